import pytest
from django.utils import translation

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_choice_labels_follow_the_active_language(rep):
    c = CustomerFactory(owner=rep, kind="individual", grade="A")
    with translation.override("zh-hans"):
        assert c.get_kind_display() == "个人客户"
    with translation.override("en"):
        assert c.get_kind_display() == "Individual"
    c.kind = "unknown"
    assert c.get_kind_display() == "unknown"
