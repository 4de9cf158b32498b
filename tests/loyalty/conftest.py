import pytest
from django.utils import translation

from manyi.loyalty import services
from manyi.loyalty.models import EarnRule, Reward, RuleCode, Tier


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (zh-hans is the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def rules(db):
    """10 points per 100 CNY; 50 on a birthday, 200 for a referral, 20 for a survey."""
    points = {RuleCode.SPEND: 10, RuleCode.BIRTHDAY: 50, RuleCode.REFERRAL: 200, RuleCode.SURVEY: 20}
    return {code: EarnRule.objects.create(code=code, points=n) for code, n in points.items()}


@pytest.fixture
def tiers(db):
    return [
        Tier.objects.create(name="普通会员", name_en="Member", threshold=0),
        Tier.objects.create(name="银卡", name_en="Silver", threshold=1000, multiplier="1.5", benefits="生日礼"),
        Tier.objects.create(name="金卡", name_en="Gold", threshold=5000, multiplier="2"),
    ]


@pytest.fixture
def reward(db):
    return Reward.objects.create(name="保温杯", cost=100, stock=5)


@pytest.fixture
def member(customer, rep):
    return services.member_enroll(customer=customer, by=rep)
