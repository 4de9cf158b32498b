"""The complaint dashboards' reads: the four no-misses and their drill-down
lists, the three controls over a known number of customers served, handling
times by month, causes by month and the value kept. Each counts only what the
asking user may see."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from manyi.analytics import services as analytics_services
from manyi.analytics.models import CustomerValue
from manyi.interactions.services import interaction_create
from manyi.service import controls, dashboards, services
from manyi.service.models import Step
from tests.factories import CustomerFactory, buy
from tests.service.helpers import PROCESS, close_properly, file_complaint

pytestmark = pytest.mark.django_db

COMPLAINING = "你们的产品质量太差了，我要投诉！"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def period():
    """The last 30 days up to today."""
    return controls.period_from(today=timezone.localdate(), tz=timezone.get_current_timezone())[0]


def said(customer, by, text=COMPLAINING, *, direction="inbound", at=None):
    data = {"kind": "call", "direction": direction, "text": text}
    if at is not None:
        data["occurred_at"] = at
    return interaction_create(by=by, customer=customer, data=data)


def walk_to(complaint, step, *, by):
    """Record each step of the process up to `step`."""
    for name, data in PROCESS:
        services.complaint_step(complaint=complaint, by=by, step=name, data=data)
        if name == step:
            return complaint
    raise AssertionError(step)


def override_close(complaint, *, by):
    return services.complaint_step(complaint=complaint, by=by, step=Step.CLOSED, skip_reason="客户联系不上", override_reason="客户联系不上")


def figures(user, period, now=None):
    return {m.kind: (m.done, m.should, m.misses) for m in dashboards.four_no_misses(user=user, period=period, now=now)}


# --- recorded -----------------------------------------------------------------------------


def test_words_read_as_a_complaint_with_no_complaint_are_a_recorded_miss(rep, rep2, manager, admin, outsider, customer, enterprise, period):
    now = timezone.now()
    missed = said(customer, rep)
    far = said(enterprise, rep, at=now - 5 * DAY)  # five days before the complaint below: not covered
    covered = said(enterprise, rep, at=now - 2 * DAY)  # two days before it: covered
    file_complaint(enterprise, by=rep)  # its own words are linked to it
    said(customer, rep, "谢谢你们的帮助，问题解决了")  # not a complaint
    said(customer, rep, direction="outbound")  # our own words
    said(customer, rep, at=now - 40 * DAY)  # before the period

    assert list(dashboards.recorded_misses(user=rep, period=period)) == [missed, far]
    assert covered not in dashboards.recorded_misses(user=admin, period=period)
    assert set(dashboards.recorded_misses(user=manager, period=period)) == {missed, far}
    assert not dashboards.recorded_misses(user=rep2, period=period).exists()
    assert not dashboards.recorded_misses(user=outsider, period=period).exists()
    assert figures(rep, period)["recorded"] == (1, 3, 2)
    assert figures(outsider, period)["recorded"] == (0, 0, 0)


def test_a_complaint_filed_after_the_words_covers_them(rep, customer, period):
    missed = said(customer, rep)
    assert list(dashboards.recorded_misses(user=rep, period=period)) == [missed]
    file_complaint(customer, by=rep)
    assert not dashboards.recorded_misses(user=rep, period=period).exists()


# --- handled -------------------------------------------------------------------------------------


def test_no_first_response_a_late_one_or_open_past_the_deadline_are_handled_misses(rep, outsider, customer, period):
    now = timezone.now()
    fresh = file_complaint(customer, by=rep, subject="刚收到")
    answered = walk_to(file_complaint(customer, by=rep, subject="及时回复"), Step.CONFIRMED, by=rep)
    done = close_properly(file_complaint(customer, by=rep, subject="已关闭"), by=rep)
    late = walk_to(file_complaint(customer, by=rep, subject="回复晚了", received_at=now - 2 * DAY), Step.CONFIRMED, by=rep)

    assert list(dashboards.handled_misses(user=rep, period=period, now=now)) == [late]
    # a day later the fresh one has had no answer; three days later the answered one is open past its deadline
    assert list(dashboards.handled_misses(user=rep, period=period, now=now + 25 * HOUR)) == [late, fresh]
    later = now + 73 * HOUR
    misses = list(dashboards.handled_misses(user=rep, period=period, now=later))
    assert set(misses) == {late, fresh, answered} and done not in misses
    why = dashboards.why_missed("handled", misses, now=later)
    assert why[fresh.pk] == ["no_response", "overdue"]
    assert why[answered.pk] == ["overdue"]
    assert why[late.pk] == ["late_response", "overdue"]
    assert figures(rep, period, now)["handled"] == (3, 4, 1)
    assert not dashboards.handled_misses(user=outsider, period=period, now=later).exists()


# --- rechecked ---------------------------------------------------------------------------------------


def test_closing_without_a_recheck_or_leaving_one_undone_a_week_is_a_rechecked_miss(rep, manager, outsider, customer, period):
    now = timezone.now()
    proper = close_properly(file_complaint(customer, by=rep, subject="正常关闭"), by=rep)
    overridden = override_close(walk_to(file_complaint(customer, by=rep, subject="经理强制关闭"), Step.CARRIED_OUT, by=rep), by=manager)
    reopened = close_properly(file_complaint(customer, by=rep, subject="重开后强制关闭"), by=rep)
    services.complaint_reopen(complaint=reopened, by=rep, reason="又漏水了")
    override_close(reopened, by=manager)  # the recheck before reopening does not count
    carried = walk_to(file_complaint(customer, by=rep, subject="已实施待回访"), Step.CARRIED_OUT, by=rep)
    at_recheck = walk_to(file_complaint(customer, by=rep, subject="已回访"), Step.RECHECKED, by=rep)

    assert list(dashboards.rechecked_misses(user=rep, period=period, now=now)) == [overridden, reopened]
    week_later = now + 8 * DAY
    misses = list(dashboards.rechecked_misses(user=rep, period=period, now=week_later))
    assert misses == [overridden, reopened, carried]
    assert proper not in misses and at_recheck not in misses
    why = dashboards.why_missed("rechecked", misses, now=week_later)
    assert why == {overridden.pk: ["closed_unchecked"], reopened.pk: ["closed_unchecked"], carried.pk: ["recheck_overdue"]}
    # out of the three closed and the one at the recheck step; a week later also the one overdue
    assert figures(rep, period, now)["rechecked"] == (2, 4, 2)
    assert figures(rep, period, week_later)["rechecked"] == (2, 5, 3)
    assert figures(manager, period, now)["rechecked"] == (2, 4, 2)
    assert figures(outsider, period, now)["rechecked"] == (0, 0, 0)


# --- fed back --------------------------------------------------------------------------------------


def test_closed_without_feedback_or_with_feedback_nobody_answered_is_a_fed_back_miss(rep, manager, outsider, customer, period):
    now = timezone.now()
    without = override_close(walk_to(file_complaint(customer, by=rep, subject="没有反馈"), Step.RECHECKED, by=rep), by=manager)
    unanswered = close_properly(file_complaint(customer, by=rep, subject="反馈无人理"), by=rep)
    answered = close_properly(file_complaint(customer, by=rep, subject="反馈已确认"), by=rep)
    services.feedback_acknowledge(item=answered.feedback_items.get(), by=manager)
    walk_to(file_complaint(customer, by=rep, subject="还没关闭"), Step.RECHECKED, by=rep)

    assert list(dashboards.fed_back_misses(user=rep, period=period, now=now)) == [without]
    two_weeks = now + 15 * DAY
    misses = list(dashboards.fed_back_misses(user=rep, period=period, now=two_weeks))
    assert misses == [without, unanswered]
    assert dashboards.why_missed("fed_back", misses, now=two_weeks) == {without.pk: ["no_feedback"], unanswered.pk: ["feedback_unanswered"]}
    assert figures(rep, period, now)["fed_back"] == (2, 3, 1)
    assert figures(rep, period, two_weeks)["fed_back"] == (1, 3, 2)
    assert not dashboards.fed_back_misses(user=outsider, period=period, now=two_weeks).exists()


def test_misses_are_asked_for_by_kind(rep, customer, period):
    missed = said(customer, rep)
    assert list(dashboards.misses("recorded", user=rep, period=period)) == [missed]
    for kind in ("handled", "rechecked", "fed_back"):
        assert not dashboards.misses(kind, user=rep, period=period).exists()
    with pytest.raises(KeyError):
        dashboards.misses("everything", user=rep, period=period)


# --- the three controls ------------------------------------------------------------------------------


@pytest.fixture
def served(rep, products):
    """Four of rep's customers: one complained (two days ago, answered late, and
    dissatisfied at the recheck), one only said something that reads as a
    complaint, one only ordered, one only had an order cancelled (not served)."""
    c1, c2, c3, c4 = (CustomerFactory(name=f"客户{i}", owner=rep) for i in range(1, 5))
    complaint = file_complaint(c1, by=rep, received_at=timezone.now() - 2 * DAY)
    close_properly(complaint, by=rep, recheck="dissatisfied")
    said(c2, rep)
    buy(c3, rep, [products["filter"]], [3])
    buy(c4, rep, [products["filter"]], [3], status="cancelled")
    return c1, c2, c3, c4


def test_the_three_controls_are_per_100000_customers_served(served, rep, period):
    three = dashboards.three_controls(user=rep, period=period)
    assert three.basis == "customers" and three.served == 3 and three.orders == 1
    assert [(c.code, c.count, c.denominator) for c in three.all] == [("complaint", 1, 3), ("omission", 2, 3), ("dissatisfaction", 1, 3)]
    assert three.complaint.rate == pytest.approx(100_000 / 3) and three.complaint.shown == "33,333" and three.complaint.status == "over"
    assert three.omission.rate == pytest.approx(200_000 / 3)
    assert three.complaint.target == controls.DEFAULT_TARGET


def test_the_controls_may_count_per_100000_orders(served, rep, period):
    three = dashboards.three_controls(user=rep, period=period, basis="orders")
    assert three.basis == "orders" and [c.denominator for c in three.all] == [1, 1, 1]
    assert three.complaint.rate == 100_000 and three.dissatisfaction.rate == 100_000
    assert dashboards.three_controls(user=rep, period=period, basis="nonsense").basis == "customers"


def test_an_outsider_has_no_customers_served_and_no_rates(served, outsider, rep2, period):
    for user in (outsider, rep2):
        three = dashboards.three_controls(user=user, period=period)
        assert three.served == 0 and three.orders == 0
        assert [(c.count, c.rate, c.shown, c.status) for c in three.all] == [(0, None, "—", "none")] * 3


def test_customers_served_before_the_period_do_not_count(rep, products):
    c = CustomerFactory(owner=rep)
    buy(c, rep, [products["filter"]], [45])
    last_30 = controls.period_from(today=timezone.localdate(), tz=timezone.get_current_timezone())[0]
    assert dashboards.customers_served(rep, last_30) == 0
    month = (timezone.localdate() - dt.timedelta(days=45)).strftime("%Y-%m")
    assert dashboards.customers_served(rep, controls.period_from(month=month, today=timezone.localdate(), tz=timezone.get_current_timezone())[0]) == 1


# --- handling times and causes -----------------------------------------------------------------------


def _month_start(now):
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def test_handling_times_by_month_received(rep, outsider, customer, period):
    now = timezone.now()
    tz = timezone.get_current_timezone()
    quick = file_complaint(customer, by=rep, received_at=max(now - 2 * HOUR, _month_start(now)))
    close_properly(quick, by=rep)
    quick.refresh_from_db()
    # two complaints in the middle of a month three months back, answered only now: late, and open past the deadline
    back = (_month_start(now) - 80 * DAY).replace(day=10, hour=12)
    slow = [file_complaint(customer, by=rep, received_at=back), file_complaint(customer, by=rep, received_at=back + 2 * DAY)]
    for c in slow:
        walk_to(c, Step.CONFIRMED, by=rep)
        c.refresh_from_db()

    months = dashboards.handling_times(user=rep, period=period, now=now)
    assert [m.month for m in months] == period.chart_months() and len(months) == 12
    by_month = {m.month: m for m in months}
    this = by_month[controls.month_key(timezone.localtime(now, tz))]
    assert this.received == 1
    assert this.response.count == 1 and this.response.median == pytest.approx(controls.hours(quick.received_at, quick.responded_at))
    assert this.response.share == 1 and this.resolution.count == 1 and this.resolution.share == 1

    then = by_month[controls.month_key(back)]
    hours = sorted(controls.hours(c.received_at, c.responded_at) for c in slow)
    assert then.received == 2 and then.response.count == 2
    assert then.response.median == pytest.approx(sum(hours) / 2) and then.response.p90 == pytest.approx(hours[0] + 0.9 * (hours[1] - hours[0]))
    assert then.response.share == 0 and then.response.decided == 2
    assert then.resolution.count == 0 and then.resolution.decided == 2 and then.resolution.share == 0

    empty = [m for m in months if m.received == 0]
    assert len(empty) == 10 and all(m.response.median is None and m.response.share is None for m in empty)
    assert all(m.received == 0 for m in dashboards.handling_times(user=outsider, period=period, now=now))


def test_causes_by_month_group_the_cause_codes(rep, outsider, customer, period):
    close_properly(file_complaint(customer, by=rep), by=rep)  # product/manufacturing
    file_complaint(customer, by=rep, subject="客户来电", description="送货晚了三天，我要投诉")  # delivery/late, read from the words
    file_complaint(customer, by=rep, subject="客户来电", description="你们太让人失望了，我要投诉")  # no cause yet
    table = dashboards.causes_by_month(user=rep, period=period)
    this = controls.month_key(timezone.localdate())
    assert list(table) == [*dashboards.causes.GROUPS, ""]
    assert table["product"][this] == 1 and table["delivery"][this] == 1 and table[""][this] == 1
    assert sum(sum(row.values()) for row in table.values()) == 3
    assert all(len(row) == 12 for row in table.values())
    assert sum(sum(row.values()) for row in dashboards.causes_by_month(user=outsider, period=period).values()) == 0


# --- value at risk and kept ---------------------------------------------------------------------------


def test_value_at_risk_and_the_part_kept_by_ordering_again(rep, outsider, products, period):
    kept, lost, newcomer = (CustomerFactory(name=n, owner=rep) for n in ("回头客", "流失客", "新客"))
    buy(kept, rep, [products["purifier"]], [100])
    buy(lost, rep, [products["lock"]], [100])
    file_complaint(kept, by=rep, received_at=timezone.now() - 3 * DAY)
    file_complaint(kept, by=rep, received_at=timezone.now() - 10 * DAY)
    file_complaint(lost, by=rep, received_at=timezone.now() - 3 * DAY)
    file_complaint(newcomer, by=rep)  # no figures at all: counts as 0
    buy(kept, rep, [products["filter"]], [1])  # after the last complaint
    buy(lost, rep, [products["filter"]], [3], status="cancelled")
    buy(lost, rep, [products["filter"]], [3])  # the same day as the complaint: not after it
    analytics_services.analytics_refresh()
    revenue = dict(CustomerValue.objects.values_list("customer_id", "revenue_year"))

    value = dashboards.value_kept(user=rep, period=period)
    assert value.customers == 3 and value.kept_customers == 1
    assert value.at_risk == pytest.approx(revenue[kept.pk] + revenue[lost.pk])
    assert value.kept == pytest.approx(revenue[kept.pk]) and value.kept > 0
    assert value.share == pytest.approx(revenue[kept.pk] / (revenue[kept.pk] + revenue[lost.pk]))
    nothing = dashboards.value_kept(user=outsider, period=period)
    assert (nothing.customers, nothing.at_risk, nothing.kept, nothing.share) == (0, 0, 0, None)


# --- who may see the agent load ---------------------------------------------------------------------


def test_only_managers_analysts_and_administrators_see_the_agent_load(rep, agent, manager, analyst, admin, outsider):
    assert [dashboards.can_see_agent_load(u) for u in (rep, agent, outsider)] == [False] * 3
    assert [dashboards.can_see_agent_load(u) for u in (manager, analyst, admin)] == [True] * 3
