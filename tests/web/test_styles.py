from django.utils import translation

from manyi.customers import styles
from manyi.customers.models import SocialStyle, Temperament


def test_every_social_style_and_temperament_has_advice():
    for value in SocialStyle.values:
        advice = styles.social_style_advice(value)
        assert advice is not None and 3 <= len(advice.tips) <= 5, value
    for value in Temperament.values:
        advice = styles.temperament_advice(value)
        assert advice is not None and 3 <= len(advice.tips) <= 5, value
    assert styles.social_style_advice("") is None and styles.temperament_advice("unknown") is None


def test_advice_is_translated():
    advice = styles.social_style_advice(SocialStyle.EXPRESSIVE)
    with translation.override("en"):
        assert "in writing" in " ".join(str(t) for t in advice.tips)
    with translation.override("zh-hans"):
        assert str(advice.label) == "表现型"
        assert "书面" in " ".join(str(t) for t in advice.tips)
