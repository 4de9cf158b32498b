"""The loyalty pages: who sees what, and each form's round trip."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from manyi.loyalty import services
from manyi.loyalty.models import LedgerEntry, Member, Referral, Reward, Tier
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_(client, settings):
    """A client logged in as `user`, reading the pages in English."""

    def login(user):
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login


def test_members_list_shows_only_visible_members_with_search_and_tier_filter(as_, member, rep, outsider, tiers):
    services.points_earn(member=member, points=1200, reason="welcome")
    other = services.member_enroll(customer=CustomerFactory(owner=outsider, name="外人客户"), by=outsider)
    page = as_(rep).get(reverse("web:loyalty_members"), {"sort": "-balance"})
    assert page.status_code == 200
    text = page.content.decode()
    assert member.number in text and "张三" in text and other.number not in text
    assert member.number in as_(rep).get(reverse("web:loyalty_members"), {"q": member.number}).content.decode()
    assert member.number not in as_(rep).get(reverse("web:loyalty_members"), {"tier": tiers[2].pk}).content.decode()
    assert member.number in as_(rep).get(reverse("web:loyalty_members"), {"tier": tiers[1].pk}).content.decode()
    empty = as_(outsider).get(reverse("web:loyalty_members"), {"q": "张三"}).content.decode()
    assert "No member matches these filters." in empty


def test_member_card_shows_balance_tier_expiring_points_and_ledger(as_, member, rep, tiers, reward):
    services.points_earn(member=member, points=1500, reason="welcome", expires_on=timezone.localdate() + dt.timedelta(days=30))
    page = as_(rep).get(reverse("web:loyalty_member", args=[member.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert member.number in text and "Silver" in text and "1500" in text
    assert "3500 more to reach Gold" in text
    assert "1500 points lapse by" in text
    assert "保温杯" in text and reverse("web:loyalty_redeem", args=[member.pk]) in text
    assert reverse("web:loyalty_adjust", args=[member.pk]) not in text  # a rep does not adjust


def test_outsider_gets_404_on_every_member_path(as_, member, outsider, reward):
    entry = services.points_earn(member=member, points=100, reason="welcome")
    client = as_(outsider)
    assert client.get(reverse("web:loyalty_member", args=[member.pk])).status_code == 404
    assert client.post(reverse("web:loyalty_redeem", args=[member.pk]), {"reward": reward.pk}).status_code == 404
    assert client.get(reverse("web:loyalty_reverse", args=[entry.pk])).status_code == 404
    assert client.post(reverse("web:loyalty_enroll", args=[member.customer_id])).status_code == 404
    assert LedgerEntry.objects.count() == 1


def test_analyst_reads_but_cannot_redeem_or_enrol(as_, member, analyst, reward):
    services.points_earn(member=member, points=500, reason="welcome")
    client = as_(analyst)
    page = client.get(reverse("web:loyalty_member", args=[member.pk]))
    assert page.status_code == 200 and reverse("web:loyalty_redeem", args=[member.pk]) not in page.content.decode()
    assert client.post(reverse("web:loyalty_redeem", args=[member.pk]), {"reward": reward.pk}).status_code == 403
    assert client.post(reverse("web:loyalty_enroll", args=[CustomerFactory(owner=member.customer.owner).pk])).status_code == 403
    assert Member.objects.get(pk=member.pk).balance == 500


def test_enrol_redeem_and_reverse_round_trip(as_, customer, rep, reward):
    client = as_(rep)
    response = client.post(reverse("web:loyalty_enroll", args=[customer.pk]))
    member = Member.objects.get(customer=customer)
    assert response.status_code == 302 and response.url == reverse("web:loyalty_member", args=[member.pk])
    services.points_earn(member=member, points=150, reason="welcome")
    client.post(reverse("web:loyalty_redeem", args=[member.pk]), {"reward": reward.pk})
    refused = client.post(reverse("web:loyalty_redeem", args=[member.pk]), {"reward": reward.pk}, follow=True)
    assert "needs 100 points; the balance is 50." in refused.content.decode()
    redeemed = LedgerEntry.objects.get(kind="redeem")
    assert client.get(reverse("web:loyalty_reverse", args=[redeemed.pk])).status_code == 200
    assert client.post(reverse("web:loyalty_reverse", args=[redeemed.pk]), {"reason": ""}).status_code == 400
    client.post(reverse("web:loyalty_reverse", args=[redeemed.pk]), {"reason": "wrong gift"})
    assert Member.objects.get(pk=member.pk).balance == 150
    assert Reward.objects.get(pk=reward.pk).stock == 5


def test_a_manager_adjusts_with_a_required_reason(as_, member, manager):
    client = as_(manager)
    page = client.post(reverse("web:loyalty_adjust", args=[member.pk]), {"points": "50", "reason": ""})
    assert page.status_code == 400 and "This field is required." in page.content.decode()
    client.post(reverse("web:loyalty_adjust", args=[member.pk]), {"points": "50", "reason": "goodwill"})
    assert Member.objects.get(pk=member.pk).balance == 50


def test_a_rep_may_not_adjust(as_, member, rep):
    assert as_(rep).post(reverse("web:loyalty_adjust", args=[member.pk]), {"points": "50", "reason": "x"}).status_code == 403


def test_referral_page_records_a_referral_between_visible_customers(as_, customer, rep, outsider):
    friend = CustomerFactory(owner=rep, name="李四")
    client = as_(rep)
    page = client.get(reverse("web:loyalty_referral"))
    assert "李四" in page.content.decode()
    client.post(reverse("web:loyalty_referral"), {"referrer": customer.pk, "referred": friend.pk})
    assert Referral.objects.filter(referrer=customer, referred=friend).exists()
    stranger = CustomerFactory(owner=outsider)
    refused = client.post(reverse("web:loyalty_referral"), {"referrer": customer.pk, "referred": stranger.pk})
    assert refused.status_code == 400 and "Customer not found." in refused.content.decode()
    assert not Referral.objects.filter(referred=stranger).exists()


def test_settings_admins_set_tiers_in_ascending_order(as_, admin, tiers):
    client = as_(admin)
    assert client.get(reverse("web:loyalty_settings")).status_code == 200
    rows = {
        "tier_id": [t.pk for t in tiers] + [""], "tier_name": ["普通", "银卡", "金卡", "钻石"], "tier_name_en": ["", "", "", "Diamond"],
        "tier_threshold": ["0", "1000", "5000", "3000"], "tier_multiplier": ["1", "1.5", "2", "3"], "tier_benefits": ["", "", "", ""],
        "save_tiers": "",
    }  # fmt: skip
    page = client.post(reverse("web:loyalty_settings"), rows)
    assert page.status_code == 400 and "Thresholds go up from row to row: above 5000" in page.content.decode()
    rows["tier_threshold"][3] = "20000"
    rows["tier_delete"] = ["1"]
    assert client.post(reverse("web:loyalty_settings"), rows).status_code == 302
    assert [(t.name, t.threshold) for t in Tier.objects.all()] == [("普通", 0), ("金卡", 5000), ("钻石", 20000)]


def test_settings_managers_keep_the_rewards_and_others_are_turned_away(as_, manager, rep):
    client = as_(manager)
    client.post(reverse("web:loyalty_settings"), {"name": "雨伞", "cost": "80", "stock": "", "active": "on", "save_reward": ""})
    assert Reward.objects.get(name="雨伞").stock is None
    assert client.post(reverse("web:loyalty_settings"), {"rule_spend_points": "5", "save_rules": ""}).status_code == 403
    assert as_(rep).get(reverse("web:loyalty_settings")).status_code == 403
