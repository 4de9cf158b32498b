"""The loyalty services: enrolment, earning by rule (idempotent), redeeming,
reversing, adjusting, expiry, tiers, referrals and the append-only ledger."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers.models import Customer, Depth, DepthChange
from manyi.loyalty import services
from manyi.loyalty.models import (
    AppendOnly,
    LedgerEntry,
    Member,
    Redemption,
    Referral,
    Reward,
    format_number,
    parse_number,
)
from manyi.loyalty.tasks import birthday_points, loyalty_daily
from tests.factories import CustomerFactory, buy

pytestmark = pytest.mark.django_db


def _sum(member) -> int:
    return sum(member.entries.values_list("points", flat=True))


def _balance(member) -> int:
    stored = Member.objects.get(pk=member.pk).balance
    assert stored == _sum(member)
    return stored


def test_member_numbers_read_like_cards(member):
    assert member.number == format_number(member.pk) == f"M{member.pk:06d}"
    assert parse_number(member.number) == member.pk
    assert parse_number("张三") is None


def test_enrolling_twice_is_refused_and_an_outsider_cannot_enrol(customer, rep, outsider, analyst):
    services.member_enroll(customer=customer, by=rep)
    with pytest.raises(ApplicationError) as again:
        services.member_enroll(customer=customer, by=rep)
    assert again.value.code == "already_member"
    other = CustomerFactory(owner=rep)
    with pytest.raises(NotFound):
        services.member_enroll(customer=other, by=outsider)
    with pytest.raises(PermissionDenied):
        services.member_enroll(customer=other, by=analyst)
    assert not Member.objects.filter(customer=other).exists()


def test_an_order_earns_spend_points_times_the_tier_multiplier_once(member, rep, rules, tiers, products):
    services.points_earn(member=member, points=1000, reason="welcome")
    order = buy(member.customer, rep, [products["purifier"]], [0])[0]  # ¥2,999
    entry = services.points_for_order(order=order)
    assert entry.points == int(Decimal("2999") / 100 * 10 * Decimal("1.5"))  # 449
    assert services.points_for_order(order=order) == entry
    assert LedgerEntry.objects.filter(source=f"order:{order.pk}").count() == 1
    assert _balance(member) == 1000 + 449


def test_a_cancelled_order_has_its_points_reversed(member, rep, rules, products):
    from manyi.analytics.models import Order

    order = buy(member.customer, rep, [products["filter"]], [0])[0]  # ¥239.50 → 23 points
    entry = services.points_for_order(order=order)
    assert entry.points == 23
    Order.objects.filter(pk=order.pk).update(status="cancelled")
    services.points_for_order(order=order)
    services.points_for_order(order=order)
    assert entry.reversed_by.points == -23
    assert _balance(member) == 0


def test_no_points_for_a_non_member_or_without_the_rule(customer, rep, rules, products):
    order = buy(customer, rep, [products["purifier"]], [0])[0]
    assert services.points_for_order(order=order) is None
    member = services.member_enroll(customer=customer, by=rep)
    rules["spend"].active = False
    rules["spend"].save()
    assert services.points_for_order(order=order) is None
    assert _balance(member) == 0


def test_birthday_and_survey_points_come_once(member, rules, customer):
    first = services.points_birthday(member=member, year=2026)
    assert services.points_birthday(member=member, year=2026) == first
    assert services.points_birthday(member=member, year=2027).pk != first.pk
    survey = services.points_for_survey(customer=customer, response_id=9)
    assert services.points_for_survey(customer=customer, response_id=9) == survey
    assert services.points_for_survey(customer=CustomerFactory(), response_id=10) is None
    assert _balance(member) == 50 + 50 + 20


def test_todays_birthdays_earn_points_on_the_calendar_the_customer_keeps(rep, rules):
    today = timezone.localdate()
    solar = CustomerFactory(owner=rep, birthday=today.replace(year=1988), birthday_calendar="solar")
    not_today = CustomerFactory(owner=rep, birthday=(today + dt.timedelta(days=3)).replace(year=1988), birthday_calendar="solar")
    members = [services.member_enroll(customer=c, by=rep) for c in (solar, not_today)]
    assert birthday_points(today) == 1
    assert birthday_points(today) == 1  # the same member again: nothing new written
    assert [_balance(m) for m in members] == [50, 0]


def test_redeeming_spends_points_and_stock_and_refuses_clearly(member, rep, reward):
    services.points_earn(member=member, points=250, reason="welcome")
    redemption = services.points_redeem(member=member, reward=reward, by=rep)
    assert redemption.entry.points == -100 and redemption.status == "fulfilled"
    assert Reward.objects.get(pk=reward.pk).stock == 4
    services.points_redeem(member=member, reward=reward, by=rep)
    before = LedgerEntry.objects.count()
    with pytest.raises(ApplicationError) as short:
        services.points_redeem(member=member, reward=reward, by=rep)
    assert short.value.code == "insufficient_points" and "balance is 50" in short.value.message
    assert LedgerEntry.objects.count() == before and Reward.objects.get(pk=reward.pk).stock == 3
    Reward.objects.filter(pk=reward.pk).update(stock=0, cost=10)
    with pytest.raises(ApplicationError) as empty:
        services.points_redeem(member=member, reward=Reward.objects.get(pk=reward.pk), by=rep)
    assert empty.value.code == "out_of_stock"
    Reward.objects.filter(pk=reward.pk).update(stock=None, active=False)
    with pytest.raises(ApplicationError) as gone:
        services.points_redeem(member=member, reward=reward, by=rep)
    assert gone.value.code == "reward_inactive"
    assert _balance(member) == 50


def test_cancelling_a_redemption_gives_points_and_stock_back(member, rep, reward):
    services.points_earn(member=member, points=100, reason="welcome", expires_on=dt.date(2030, 1, 1))
    redemption = services.points_redeem(member=member, reward=reward, by=rep)
    cancelled = services.redemption_cancel(redemption=redemption, by=rep, reason="customer changed mind")
    assert cancelled.status == "cancelled"
    back = redemption.entry.reversed_by
    assert back.points == 100 and back.expires_on == dt.date(2030, 1, 1)  # lapses when the spent points would have
    assert Reward.objects.get(pk=reward.pk).stock == 5
    assert _balance(member) == 100
    with pytest.raises(ApplicationError) as twice:
        services.redemption_cancel(redemption=cancelled, by=rep, reason="again")
    assert twice.value.code == "already_reversed"


def test_reversal_refuses_to_take_the_balance_below_zero(member, rep, reward):
    earned = services.points_earn(member=member, points=100, reason="welcome")
    services.points_redeem(member=member, reward=reward, by=rep)
    with pytest.raises(ApplicationError) as refused:
        services.points_reverse(entry=earned, by=rep, reason="mistake")
    assert refused.value.code == "insufficient_points"
    assert "Reversing this entry needs 100 points; the balance is 0." == refused.value.message
    with pytest.raises(ValidationFailed):
        services.points_reverse(entry=earned, by=rep, reason=" ")
    assert _balance(member) == 0


def test_only_earnings_redemptions_and_adjustments_are_reversed_and_only_once(member, rep, manager):
    earned = services.points_earn(member=member, points=100, reason="welcome", expires_on=dt.date(2026, 1, 1))
    reversal = services.points_reverse(entry=earned, by=rep, reason="mistake")
    for entry, code in ((earned, "already_reversed"), (reversal, "not_reversible")):
        with pytest.raises(ApplicationError) as refused:
            services.points_reverse(entry=entry, by=rep, reason="again")
        assert refused.value.code == code
    adjusted = services.points_adjust(member=member, points=30, reason="goodwill", by=manager)
    with pytest.raises(PermissionDenied):
        services.points_reverse(entry=adjusted, by=rep, reason="undo")
    services.points_reverse(entry=adjusted, by=manager, reason="undo")
    assert _balance(member) == 0


def test_adjustments_need_a_manager_and_a_reason(member, rep, manager, admin, outsider):
    with pytest.raises(PermissionDenied):
        services.points_adjust(member=member, points=10, reason="why not", by=rep)
    with pytest.raises(ValidationFailed) as no_reason:
        services.points_adjust(member=member, points=10, reason="", by=manager)
    assert "reason" in no_reason.value.fields
    with pytest.raises(ValidationFailed):
        services.points_adjust(member=member, points=0, reason="nothing", by=manager)
    services.points_adjust(member=member, points=10, reason="goodwill", by=admin)
    with pytest.raises(ApplicationError) as below:
        services.points_adjust(member=member, points=-11, reason="too much", by=manager)
    assert below.value.code == "insufficient_points"
    assert _balance(member) == 10


def test_expiry_writes_what_lapsed_unconsumed_once(member, rep, reward):
    services.points_earn(member=member, points=150, reason="old", expires_on=dt.date(2026, 3, 1))
    services.points_earn(member=member, points=80, reason="new", expires_on=dt.date(2026, 9, 1))
    services.points_redeem(member=member, reward=reward, by=rep)  # takes 100 of the older lot
    assert services.points_expire(as_of=dt.date(2026, 2, 28)) == {"members": 0, "entries": 0, "points": 0}
    assert services.points_expire(as_of=dt.date(2026, 3, 1)) == {"members": 1, "entries": 1, "points": 50}
    assert services.points_expire(as_of=dt.date(2026, 3, 1))["entries"] == 0
    assert services.points_expire(as_of=dt.date(2027, 1, 1), member=member)["points"] == 80
    assert _balance(member) == 0


def test_tiers_follow_the_last_twelve_months_of_earnings(member, tiers, rep):
    services.points_earn(member=member, points=999, reason="a")
    assert Member.objects.get(pk=member.pk).tier == tiers[0]
    earned = services.points_earn(member=member, points=1, reason="b")
    assert Member.objects.get(pk=member.pk).tier == tiers[1]
    services.points_reverse(entry=earned, by=rep, reason="mistake")
    assert Member.objects.get(pk=member.pk).tier == tiers[0]
    services.points_earn(member=member, points=1, reason="c")
    LedgerEntry.objects.create(member=member, kind="earn", points=5000, at=timezone.now() - dt.timedelta(days=400))
    assert services.member_tiers_refresh() == 0  # an earning older than 12 months counts for nothing
    assert Member.objects.get(pk=member.pk).tier == tiers[1]
    assert services.member_tiers_refresh(today=timezone.localdate() + dt.timedelta(days=366)) == 1
    assert Member.objects.get(pk=member.pk).tier == tiers[0]


def test_a_referral_earns_the_referrer_points_and_moves_depth_to_loyalty(member, customer, rep, rules):
    friend = CustomerFactory(owner=rep)
    referral = services.referral_record(referrer=customer, referred=friend, by=rep)
    assert Referral.objects.get().referred == friend and referral.referrer == customer
    assert _balance(member) == 200
    customer.refresh_from_db()
    assert customer.depth == Depth.LOYALTY
    assert DepthChange.objects.filter(customer=customer, evidence="referral").exists()
    with pytest.raises(ValidationFailed) as twice:
        services.referral_record(referrer=customer, referred=friend, by=rep)
    assert twice.value.code == "already_referred"
    with pytest.raises(ValidationFailed):
        services.referral_record(referrer=friend, referred=friend, by=rep)


def test_a_referral_needs_both_customers_visible(customer, rep, outsider):
    with pytest.raises(NotFound):
        services.referral_record(referrer=customer, referred=CustomerFactory(owner=outsider), by=rep)
    assert not Referral.objects.exists()


def test_ledger_rows_are_never_changed_or_deleted(member):
    entry = services.points_earn(member=member, points=10, reason="welcome")
    entry.points = 1000
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=1000)
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).points == 10


def test_the_database_refuses_zero_points_and_a_source_twice(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(member=member, kind="earn", points=0)
    services.points_earn(member=member, points=10, reason="a", source="x:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(member=member, kind="earn", points=5, source="x:1")
    assert _balance(member) == 10


def test_a_member_who_left_earns_and_redeems_nothing(member, rep, reward, rules):
    services.points_earn(member=member, points=500, reason="welcome")
    services.member_leave(member=member, by=rep)
    assert services.points_birthday(member=member, year=2026) is None
    with pytest.raises(ApplicationError) as left:
        services.points_redeem(member=member, reward=reward, by=rep)
    assert left.value.code == "member_left"
    assert services.member_enroll(customer=member.customer, by=rep).status == "active"
    assert Redemption.objects.count() == 0


def test_the_daily_task_expires_lapsed_points_and_awards_birthdays(rep, rules, tiers):
    today = timezone.localdate()
    member = services.member_enroll(customer=CustomerFactory(owner=rep, birthday=today.replace(year=1988)), by=rep)
    services.points_earn(member=member, points=70, reason="old", expires_on=today)
    result = loyalty_daily.call()
    assert result["expired"] == {"members": 1, "entries": 1, "points": 70} and result["birthdays"] == 1
    assert loyalty_daily.call()["expired"]["entries"] == 0
    assert _balance(member) == 50


def test_merging_customers_moves_the_membership_and_refuses_two(rep, rules, tiers):
    from manyi.customers import merge

    survivor = CustomerFactory(name="杭州明远科技有限公司", owner=rep)
    other = CustomerFactory(name="杭州明远科技有限责任公司", owner=rep)
    member = services.member_enroll(customer=other, by=rep)
    services.points_earn(member=member, points=120, reason="开卡礼", by=rep)
    done = merge.customer_merge(by=rep, survivor=survivor, other=other, choices={})
    member.refresh_from_db()
    assert (member.customer_id, member.balance) == (survivor.pk, 120)
    merge.customer_merge_undo(by=rep, merge=done)
    member.refresh_from_db()
    assert member.customer_id == other.pk
    services.member_enroll(customer=survivor, by=rep)
    with pytest.raises(ValidationFailed, match="Both customers are loyalty members"):
        merge.customer_merge(by=rep, survivor=survivor, other=Customer.objects.get(pk=other.pk), choices={})


def test_order_points_expire_counted_from_the_order_date(member, rep, rules, products):
    from manyi.analytics.services import order_create
    from manyi.loyalty import ledger

    recent_day = timezone.localdate() - dt.timedelta(days=100)
    recent = order_create(by=rep, customer=member.customer, data={"ordered_on": recent_day, "lines": [{"product": products["purifier"], "quantity": 1}]})
    entry = LedgerEntry.objects.get(source=f"order:{recent.pk}")
    assert entry.expires_on == ledger.default_expiry(recent_day)
    lapsed_day = timezone.localdate() - dt.timedelta(days=800)
    lapsed = order_create(by=rep, customer=member.customer, data={"ordered_on": lapsed_day, "lines": [{"product": products["purifier"], "quantity": 1}]})
    assert not LedgerEntry.objects.filter(source=f"order:{lapsed.pk}").exists()
