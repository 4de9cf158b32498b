"""Visit planning (路线管理): each customer a fixed weekday by grade, holidays
skipped, no day above capacity, routes from the office, check-in logging a
visit, and who may plan and see what."""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.interactions.models import Interaction
from manyi.sales import planner
from manyi.sales.models import CalendarFeed, PlannedVisit, SalesSettings, VisitSlot
from manyi.sales.selectors import visit_reports
from manyi.sales.selectors import visits as selectors
from manyi.sales.services import visits as services
from tests.factories import CustomerFactory

# Twelve weeks without a statutory holiday or make-up day (checked below): 2026-W26 … 2026-W37.
FIRST = dt.date(2026, 6, 22)
WEEKS = [FIRST + dt.timedelta(weeks=k) for k in range(12)]
OFFICE = (30.2741, 120.1551)  # 杭州


def near(k: int) -> dict:
    """Points spread around the office, a few km apart."""
    return {"latitude": OFFICE[0] + 0.01 * (k % 7) - 0.03, "longitude": OFFICE[1] + 0.012 * (k // 7) - 0.03}


@pytest.fixture
def sales_settings(team):
    return SalesSettings.objects.create(team=team, base_latitude=OFFICE[0], base_longitude=OFFICE[1], daily_capacity=8, visit_minutes=40, speed_kmh=30)


@pytest.fixture
def book(rep, sales_settings):
    """rep's customers: 3 A, 3 B, 3 C, 2 D, all on the map."""
    grades = "AAABBBCCCDD"
    return [CustomerFactory(name=f"客户{k}{g}", owner=rep, grade=g, **near(k)) for k, g in enumerate(grades)]


def make(by, rep, monday, *, today=None):
    return services.visit_plan_make(by=by, rep=rep, monday=monday, today=today or monday)


def test_the_twelve_weeks_have_no_holiday():
    assert all(selectors.is_workday(w + dt.timedelta(days=d)) for w in WEEKS for d in range(5))


def test_grade_frequencies_are_honoured_over_the_weeks(rep, book):
    for monday in WEEKS:
        make(rep, rep, monday)
    visits = Counter(PlannedVisit.objects.filter(rep=rep).values_list("customer_id", flat=True))
    frequencies = {"A": 4, "B": 2, "C": 1, "D": 0.33}
    for customer in book:
        interval = planner.interval_weeks(frequencies[customer.grade])
        assert visits[customer.pk] == len(WEEKS) // interval, customer.grade
    by_grade = {g: max(visits[c.pk] for c in book if c.grade == g) for g in "ABCD"}
    assert by_grade["A"] > by_grade["B"] > by_grade["C"] > by_grade["D"] >= 1


def test_each_customer_keeps_one_weekday_across_weeks_made_again(rep, book):
    for monday in WEEKS[:4]:
        make(rep, rep, monday)
    newcomer = CustomerFactory(name="新客户", owner=rep, grade="A", **near(30))
    for monday in WEEKS[4:]:
        make(rep, rep, monday)
    make(rep, rep, WEEKS[0])  # the first week made again
    weekdays = defaultdict(set)
    for customer_id, day in PlannedVisit.objects.filter(rep=rep).values_list("customer_id", "day"):
        weekdays[customer_id].add(day.weekday())
    assert all(len(days) == 1 for days in weekdays.values()), weekdays
    assert newcomer.pk in weekdays
    slots = {s.customer_id: s.weekday for s in VisitSlot.objects.filter(rep=rep)}
    assert {c: next(iter(d)) for c, d in weekdays.items()} == slots


def test_statutory_holidays_are_skipped(rep, book):
    monday = planner.parse_iso_week("2026-W40")  # National Day: 1 and 2 October are Thursday and Friday
    plan = make(rep, rep, monday)
    holidays = [d.day for d in plan.days if d.holiday]
    assert dt.date(2026, 10, 1) in holidays and dt.date(2026, 10, 2) in holidays
    assert not PlannedVisit.objects.filter(rep=rep, day__in=holidays).exists()
    assert all(not d.stops for d in plan.days if d.holiday)
    assert PlannedVisit.objects.filter(rep=rep, day__lt=dt.date(2026, 10, 1)).exists()


def test_no_day_is_above_the_daily_capacity(rep, sales_settings):
    sales_settings.daily_capacity = 3
    sales_settings.save()
    customers = [CustomerFactory(owner=rep, grade="A", **near(k)) for k in range(20)]
    plan = make(rep, rep, WEEKS[0])
    per_day = Counter(PlannedVisit.objects.filter(rep=rep).values_list("day", flat=True))
    assert per_day and max(per_day.values()) <= 3
    assert sum(per_day.values()) == 15
    assert len(plan.unplaced) == 5 and {u.customer_id for u in plan.unplaced} <= {c.pk for c in customers}
    assert all(u.message for u in plan.unplaced)
    # The page reads the same customers as unplaced later on.
    again = selectors.week_plan(user=rep, rep=rep, monday=WEEKS[0])
    assert {u.customer_id for u in again.unplaced} == {u.customer_id for u in plan.unplaced}


def test_stops_are_routed_from_the_office_at_nine(rep, book, sales_settings):
    plan = make(rep, rep, WEEKS[0])
    day = next(d for d in plan.days if d.stops)
    first = day.stops[0]
    assert [s.stop for s in day.stops] == list(range(1, len(day.stops) + 1))
    assert first.travel_km > 0
    start = dt.datetime.combine(day.day, dt.time(9, 0))
    assert first.arrive_at == (start + dt.timedelta(minutes=first.travel_minutes)).time()
    for before, after in zip(day.stops, day.stops[1:], strict=False):
        expected = dt.datetime.combine(day.day, before.arrive_at) + dt.timedelta(minutes=40 + after.travel_minutes)
        assert after.arrive_at == expected.time()
    assert day.return_km > 0 and day.km == pytest.approx(sum(s.travel_km for s in day.stops) + day.return_km, abs=0.11)
    back = dt.datetime.combine(day.day, day.stops[-1].arrive_at) + dt.timedelta(minutes=40 + day.return_minutes)
    assert day.back_at == back.time() and day.late == (back.time() > dt.time(18, 0))


def test_a_day_back_after_six_is_flagged():
    def stop(n: int, at: dt.time) -> selectors.Stop:
        return selectors.Stop(
            id=n, stop=n, customer_id=n, customer_name=f"客户{n}", grade="A", address="", latitude=31.2, longitude=121.4,
            arrive_at=at, travel_km=10.0, travel_minutes=20, checked_in_at=None, interaction_id=None,
        )  # fmt: skip

    monday = dt.date(2026, 11, 30)
    on_time = selectors.Day(day=monday, holiday=False, stops=[stop(1, dt.time(16, 30))], return_km=20.0, return_minutes=40, visit_minutes=40)
    assert on_time.back_at == dt.time(17, 50) and not on_time.late
    late = selectors.Day(day=monday, holiday=False, stops=[stop(1, dt.time(17, 0))], return_km=20.0, return_minutes=40, visit_minutes=40)
    assert late.back_at == dt.time(18, 20) and late.late
    past_midnight = selectors.Day(day=monday, holiday=False, stops=[stop(1, dt.time(23, 0))], return_minutes=90, visit_minutes=40)
    assert past_midnight.back_at == dt.time(23, 59) and past_midnight.late
    assert selectors.Day(day=monday, holiday=False, stops=[]).back_at is None


def test_customers_without_coordinates_are_visited_last_and_listed(rep, sales_settings):
    mapped = CustomerFactory(owner=rep, grade="A", **near(1))
    unmapped = CustomerFactory(owner=rep, grade="A", name="没有坐标")
    plan = make(rep, rep, WEEKS[0])
    assert [p.customer_id for p in plan.no_coordinates] == [unmapped.pk]
    row = PlannedVisit.objects.get(rep=rep, customer=unmapped)
    assert row.travel_km is None and row.arrive_at is not None
    same_day = PlannedVisit.objects.filter(rep=rep, day=row.day).exclude(pk=row.pk)
    assert all(v.stop < row.stop for v in same_day)
    assert PlannedVisit.objects.filter(customer=mapped).exists()


def test_checked_in_visits_survive_planning_again(rep, book):
    make(rep, rep, WEEKS[0])
    visit = PlannedVisit.objects.filter(rep=rep).order_by("day", "stop").first()
    interaction = services.visit_check_in(by=rep, visit=visit, note="聊了新产品")
    before = PlannedVisit.objects.get(pk=visit.pk)
    customer = visit.customer
    customer.grade = "D"  # its interval changes, so it gets a new slot
    customer.save(update_fields=["grade"])
    make(rep, rep, WEEKS[0])
    after = PlannedVisit.objects.get(pk=visit.pk)
    assert (after.day, after.stop, after.arrive_at, after.interaction_id, after.checked_in_at) == (
        before.day, before.stop, before.arrive_at, interaction.pk, before.checked_in_at,
    )  # fmt: skip
    assert PlannedVisit.objects.filter(rep=rep, customer=customer, day__range=(WEEKS[0], WEEKS[0] + dt.timedelta(days=4))).count() == 1


def test_new_customers_wait_for_a_weekday_until_planned_again(rep, book):
    make(rep, rep, WEEKS[0])
    assert selectors.week_plan(user=rep, rep=rep, monday=WEEKS[0]).waiting == []
    newcomer = CustomerFactory(owner=rep, grade="B", **near(12))
    assert [p.customer_id for p in selectors.week_plan(user=rep, rep=rep, monday=WEEKS[0]).waiting] == [newcomer.pk]
    make(rep, rep, WEEKS[1])
    assert selectors.week_plan(user=rep, rep=rep, monday=WEEKS[0]).waiting == []


def test_days_before_today_keep_their_rows(rep, book):
    make(rep, rep, WEEKS[0])
    monday_rows = set(PlannedVisit.objects.filter(rep=rep, day=WEEKS[0]).values_list("pk", flat=True))
    assert monday_rows
    make(rep, rep, WEEKS[0], today=WEEKS[0] + dt.timedelta(days=2))
    assert set(PlannedVisit.objects.filter(rep=rep, day=WEEKS[0]).values_list("pk", flat=True)) == monday_rows


def test_planning_again_replaces_the_weeks_open_rows(rep, book):
    make(rep, rep, WEEKS[0])
    first = set(PlannedVisit.objects.filter(rep=rep).values_list("customer_id", "day"))
    plan = make(rep, rep, WEEKS[0])
    assert set(PlannedVisit.objects.filter(rep=rep).values_list("customer_id", "day")) == first
    assert plan.created == len(first) and plan.visits == len(first)


def test_a_deleted_customer_leaves_the_plan(rep, book):
    make(rep, rep, WEEKS[0])
    gone = book[0]
    gone.deleted_at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    gone.save(update_fields=["deleted_at"])
    make(rep, rep, WEEKS[0])
    assert not PlannedVisit.objects.filter(customer=gone).exists()
    assert not VisitSlot.objects.filter(customer=gone).exists()


def test_a_plan_starts_on_a_monday(rep, book):
    with pytest.raises(ValidationFailed):
        make(rep, rep, WEEKS[0] + dt.timedelta(days=1))


def test_only_the_rep_their_manager_or_an_administrator_plans(rep, rep2, manager, analyst, outsider, admin, book):
    for other in (rep2, outsider, analyst):
        with pytest.raises(PermissionDenied):
            make(other, rep, WEEKS[0])
    assert not PlannedVisit.objects.exists()
    make(manager, rep, WEEKS[0])
    make(admin, rep, WEEKS[1])
    assert PlannedVisit.objects.filter(rep=rep).count() > 0


# --- check-in ---------------------------------------------------------------------


@pytest.fixture
def visit(rep, book):
    make(rep, rep, WEEKS[0])
    return PlannedVisit.objects.filter(rep=rep).order_by("day", "stop").first()


def test_check_in_logs_a_visit_on_the_customer(rep, visit):
    interaction = services.visit_check_in(by=rep, visit=visit, note="客户想加订滤芯", outcome="下周报价")
    assert isinstance(interaction, Interaction)
    assert (interaction.kind, interaction.channel, interaction.direction) == ("visit", "in_person", "outbound")
    assert interaction.customer_id == visit.customer_id and interaction.created_by == rep
    assert interaction.text == "客户想加订滤芯" and interaction.outcome == "下周报价"
    stored = PlannedVisit.objects.get(pk=visit.pk)
    assert stored.interaction == interaction and stored.checked_in_at is not None


def test_checking_in_twice_is_refused(rep, visit):
    services.visit_check_in(by=rep, visit=visit)
    with pytest.raises(services.AlreadyCheckedIn, match="already"):
        services.visit_check_in(by=rep, visit=PlannedVisit.objects.get(pk=visit.pk))
    assert Interaction.objects.filter(customer_id=visit.customer_id, kind="visit").count() == 1


def test_a_visit_ahead_cannot_be_checked_in_yet(rep, book):
    ahead = PlannedVisit.objects.create(rep=rep, customer=book[0], day=dt.date.today() + dt.timedelta(days=3), stop=1)
    with pytest.raises(ValidationFailed, match="on the day"):
        services.visit_check_in(by=rep, visit=ahead)


def test_colleagues_and_outsiders_cannot_check_in_for_the_rep(rep, rep2, outsider, analyst, manager, visit):
    for other in (rep2, outsider, analyst):
        with pytest.raises(PermissionDenied):
            services.visit_check_in(by=other, visit=visit)
    for other in (rep2, outsider):
        with pytest.raises(NotFound):
            selectors.visit_get(user=other, pk=visit.pk)
    assert selectors.visit_get(user=analyst, pk=visit.pk) == visit  # the analyst reads, never writes
    services.visit_check_in(by=manager, visit=visit)
    assert PlannedVisit.objects.get(pk=visit.pk).checked_in_at is not None


# --- reads ------------------------------------------------------------------------


def test_who_sees_a_reps_plan(rep, rep2, manager, analyst, outsider, admin, book):
    make(rep, rep, WEEKS[0])
    for viewer in (rep, manager, analyst, admin):
        assert selectors.week_plan(user=viewer, rep=rep, monday=WEEKS[0]).visits > 0
        assert selectors.rep_get(user=viewer, ref=rep.username) == rep
    for viewer in (rep2, outsider):
        with pytest.raises(NotFound):
            selectors.week_plan(user=viewer, rep=rep, monday=WEEKS[0])
        with pytest.raises(NotFound):
            selectors.rep_get(user=viewer, ref=rep.pk)
    assert [u.pk for u in selectors.rep_choices(user=outsider)] == [outsider.pk]
    assert {rep.pk, rep2.pk, manager.pk} <= {u.pk for u in selectors.rep_choices(user=manager)}


def test_plan_against_done_per_rep_the_user_may_see(rep, rep2, manager, outsider, book):
    make(rep, rep, WEEKS[0])
    visit = PlannedVisit.objects.filter(rep=rep).first()
    services.visit_check_in(by=rep, visit=visit)
    other = CustomerFactory(owner=rep2, grade="A", **near(3))
    make(rep2, rep2, WEEKS[0])
    week = (WEEKS[0], WEEKS[0] + dt.timedelta(days=4))
    mine = visit_reports.plan_vs_done(user=rep, start=week[0], end=week[1])
    assert [r.rep for r in mine.rows] == [rep]
    row = mine.rows[0]
    assert row.planned == PlannedVisit.objects.filter(rep=rep).count() and row.done == 1
    assert row.due == row.planned and row.percent == pytest.approx(100 / row.planned, abs=0.1)
    team = visit_reports.plan_vs_done(user=manager, start=week[0], end=week[1])
    assert {r.rep for r in team.rows} == {rep, rep2} and team.done == 1
    assert PlannedVisit.objects.filter(customer=other).exists()
    assert visit_reports.plan_vs_done(user=outsider, start=week[0], end=week[1]).rows == []


def test_workload_table_as_the_trainers_draw_it(rep, manager, outsider, book, sales_settings):
    table = visit_reports.workload_table(user=rep, year=2026, month=10)
    rows = {r.grade: r for r in table.rows}
    assert [r.grade for r in table.rows] == ["A", "B", "C", "D"]
    assert (rows["A"].customers, rows["A"].visits_per_month, rows["A"].visits_needed) == (3, 4.0, 12.0)
    assert (rows["B"].customers, rows["B"].visits_needed) == (3, 6.0)
    assert (rows["C"].customers, rows["C"].visits_needed) == (3, 3.0)
    assert rows["D"].visits_needed == pytest.approx(0.7, abs=0.01)
    assert table.customers == 11 and table.visits_needed == pytest.approx(21.7, abs=0.01)
    assert table.working_days == planner.working_days_in_month(2026, 10)
    assert table.working_days < 22  # National Day takes a week off October
    assert table.visits_per_day == pytest.approx(table.visits_needed / table.working_days, abs=0.05)
    team = visit_reports.workload_table(user=manager, year=2026, month=10)
    assert team.team == rep.team and team.customers == 11
    with pytest.raises(NotFound):
        visit_reports.workload_table(user=outsider, rep=rep, year=2026, month=10)
    with pytest.raises(NotFound):
        selectors.team_get(user=outsider, ref=rep.team_id)


def test_frequencies_come_from_the_teams_settings(rep, book, sales_settings):
    sales_settings.visits_a = Decimal(8)
    sales_settings.save()
    rows = {r.grade: r for r in visit_reports.workload_table(user=rep, year=2026, month=11).rows}
    assert rows["A"].visits_needed == 24.0
    # A fixed weekday allows a visit a week at most: planning says so instead of guessing.
    with pytest.raises(ValidationFailed, match="at most 4"):
        make(rep, rep, WEEKS[0])
    assert "at most 4" in selectors.week_plan(user=rep, rep=rep, monday=WEEKS[0]).extra["problem"]


def test_a_grade_without_visits_is_listed_with_why(rep, book, sales_settings):
    sales_settings.visits_d = Decimal(0)
    sales_settings.save()
    plan = make(rep, rep, WEEKS[0])
    assert {u.customer_id for u in plan.unplaced} == {c.pk for c in book if c.grade == "D"}
    assert {u.reason for u in plan.unplaced} == {planner.NO_VISITS}


# --- calendar feed -------------------------------------------------------------------


def test_calendar_feed_token_is_shown_once_and_stored_as_a_digest(rep):
    token = services.calendar_feed_reset(by=rep)
    feed = CalendarFeed.objects.get(user=rep)
    assert token not in feed.digest and len(feed.digest) == 64
    assert selectors.feed_user(token) == rep
    new = services.calendar_feed_reset(by=rep)
    assert new != token and selectors.feed_user(token) is None and selectors.feed_user(new) == rep
    assert CalendarFeed.objects.filter(user=rep).count() == 1
    assert selectors.feed_user("") is None and selectors.feed_user("nonsense") is None


def test_a_customer_taken_over_keeps_their_weekday(rep, rep2, book):
    make(rep2, rep2, WEEKS[0])  # rep2 has no customers yet
    moved = CustomerFactory(owner=rep2, grade="A", **near(5))
    make(rep2, rep2, WEEKS[0])
    weekday = VisitSlot.objects.get(customer=moved).weekday
    moved.owner = rep
    moved.save(update_fields=["owner"])
    make(rep, rep, WEEKS[0])
    slot = VisitSlot.objects.get(customer=moved)
    assert (slot.rep_id, slot.weekday) == (rep.pk, weekday)
