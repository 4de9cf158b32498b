"""Visit planning: grade frequencies, fixed weekdays, capacity, holidays and the workload table.

Pure Python, no database. Unless a test says otherwise a rep sees at most
`capacity` customers a day, grades follow the default frequencies (A weekly,
B every 2nd week, C every 4th, D every 12th), and weeks are counted from
Monday 2024-01-01.
"""

import math
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta

import chinese_calendar
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.sales.planner import (
    DEFAULT_VISITS_PER_MONTH,
    PlanCustomer,
    Slot,
    assign_slots,
    cn_is_workday,
    interval_weeks,
    iso_week,
    parse_iso_week,
    plan_week,
    week_index,
    working_days_in_month,
    workload,
)

OFFICE = (31.2304, 121.4737)
FREQ = DEFAULT_VISITS_PER_MONTH
MONDAY = date(2026, 3, 2)  # an ordinary week, no holidays in the twelve that follow


def always(day: date) -> bool:
    return True


def around(km_north: float, km_east: float) -> tuple[float, float]:
    """A point so many km north and east of the office."""
    return (OFFICE[0] + km_north / 111.2, OFFICE[1] + km_east / (111.2 * math.cos(math.radians(OFFICE[0]))))


def visits(slots, weeks: int, start: date = MONDAY) -> dict[int, list[date]]:
    """Each customer's visit days over `weeks` weeks (every weekday a working day)."""
    seen = defaultdict(list)
    for w in range(weeks):
        for plan in plan_week(slots, start + timedelta(weeks=w), is_workday=always):
            for customer_id in plan.customer_ids:
                seen[customer_id].append(plan.day)
    return seen


def peak_load(slots) -> int:
    """The most visits on any weekday of any week (over a cycle of the slots' intervals)."""
    cycle = math.lcm(*{s.interval for s in slots.values()}) if slots else 1
    per_day = Counter()
    for s in slots.values():
        for week in range(s.phase, cycle, s.interval):
            per_day[week, s.weekday] += 1
    return max(per_day.values(), default=0)


def test_the_planner_imports_nothing_from_django():
    code = "import sys, manyi.sales.planner; assert not any(m.startswith('django') for m in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


# --- Frequencies ---


def test_grades_are_visited_4_2_1_and_a_third_times_a_month():
    assert FREQ == {"A": 4, "B": 2, "C": 1, "D": pytest.approx(1 / 3)}


@pytest.mark.parametrize(("per_month", "weeks"), [(4, 1), (2, 2), (1, 4), (1 / 3, 12), (3, 1), (0.5, 8), (1.5, 3)])
def test_a_frequency_becomes_a_visit_every_so_many_weeks(per_month, weeks):
    assert interval_weeks(per_month) == weeks


def test_no_visits_a_month_has_no_interval():
    assert interval_weeks(0) == 0


@pytest.mark.parametrize("per_month", [5, 4.5, -1, math.nan])
def test_more_than_one_visit_a_week_is_refused(per_month):
    with pytest.raises(ValueError, match="between 0 and 4"):
        interval_weeks(per_month)


def test_over_a_12_week_cycle_each_grade_gets_its_visits_at_its_rhythm():
    customers = [PlanCustomer(1, "A", around(5, 0)), PlanCustomer(2, "B", around(0, 5)),
                 PlanCustomer(3, "C", around(-5, 0)), PlanCustomer(4, "D", around(0, -5))]
    slots = assign_slots(customers, visits_per_month=FREQ, capacity=8, base=OFFICE).slots
    seen = visits(slots, 12)
    assert {c: len(days) for c, days in seen.items()} == {1: 12, 2: 6, 3: 3, 4: 1}
    for customer_id, every in ((1, 7), (2, 14), (3, 28)):
        assert {(b - a).days for a, b in zip(seen[customer_id], seen[customer_id][1:], strict=False)} == {every}


def test_a_customer_is_always_visited_on_the_same_weekday():
    rng = np.random.default_rng(1)
    customers = [PlanCustomer(i, g, around(*rng.normal(0, 10, 2))) for i, g in enumerate("AABBBCCCCDDDDD" * 3)]
    slots = assign_slots(customers, visits_per_month=FREQ, capacity=8, base=OFFICE).slots
    for customer_id, days in visits(slots, 24).items():
        assert {day.weekday() for day in days} == {slots[customer_id].weekday}


# --- Assignment ---


def test_existing_slots_are_kept_when_customers_join():
    first = [PlanCustomer(i, g, around(i, -i)) for i, g in enumerate("ABCDABCD")]
    before = assign_slots(first, visits_per_month=FREQ, capacity=4, base=OFFICE).slots
    joined = first + [PlanCustomer(100 + i, "A", around(-i, i)) for i in range(6)]
    after = assign_slots(joined, visits_per_month=FREQ, capacity=4, base=OFFICE, existing=before).slots
    assert {c: after[c] for c in before} == before
    assert set(after) == {c.id for c in joined}


def test_assigning_again_changes_nothing():
    rng = np.random.default_rng(2)
    customers = [PlanCustomer(i, g, around(*rng.normal(0, 10, 2))) for i, g in enumerate("ABBCCCDDDD" * 5)]
    first = assign_slots(customers, visits_per_month=FREQ, capacity=6, base=OFFICE)
    again = assign_slots(customers, visits_per_month=FREQ, capacity=6, base=OFFICE, existing=first.slots)
    assert again == first


def test_a_grade_change_re_slots_the_customer_on_the_same_weekday():
    slots = {1: Slot(1, weekday=3, interval=4, phase=2)}  # a C customer on Thursdays
    upgraded = assign_slots([PlanCustomer(1, "A", OFFICE)], visits_per_month=FREQ, capacity=8, existing=slots)
    assert upgraded.slots[1] == Slot(1, weekday=3, interval=1, phase=0)


def test_an_existing_slot_that_no_longer_fits_the_calendar_is_replaced():
    slots = {1: Slot(1, weekday=6, interval=1, phase=0), 2: Slot(2, weekday=0, interval=2, phase=5)}
    result = assign_slots([PlanCustomer(1, "A"), PlanCustomer(2, "B")], visits_per_month=FREQ, capacity=8, existing=slots)
    assert result.slots[1].weekday in range(5)
    assert result.slots[2].phase in (0, 1)


def test_a_cluster_of_customers_shares_a_weekday():
    centres = [around(15 * math.sin(a), 15 * math.cos(a)) for a in np.linspace(0, 2 * math.pi, 5, endpoint=False)]
    rng = np.random.default_rng(3)
    customers = [
        PlanCustomer(10 * k + i, "A", (lat + rng.normal(0, 0.005), lon + rng.normal(0, 0.005)))
        for k, (lat, lon) in enumerate(centres)
        for i in range(6)
    ]
    slots = assign_slots(customers, visits_per_month=FREQ, capacity=6, base=OFFICE).slots
    weekday_of_cluster = [{slots[10 * k + i].weekday for i in range(6)} for k in range(5)]
    assert all(len(days) == 1 for days in weekday_of_cluster)
    assert set.union(*weekday_of_cluster) == {0, 1, 2, 3, 4}


def test_weekdays_are_balanced():
    rng = np.random.default_rng(4)
    customers = [PlanCustomer(i, "A", around(*rng.uniform(-20, 20, 2))) for i in range(50)]
    slots = assign_slots(customers, visits_per_month=FREQ, capacity=20, base=OFFICE).slots
    assert Counter(s.weekday for s in slots.values()) == dict.fromkeys(range(5), 10)


def test_customers_without_a_location_still_get_a_slot_where_the_load_is_lowest():
    located = [PlanCustomer(i, "A", around(10, i)) for i in range(3)]
    nowhere = [PlanCustomer(100 + i, "A") for i in range(7)]
    slots = assign_slots(located + nowhere, visits_per_month=FREQ, capacity=2, base=OFFICE).slots
    assert set(slots) == {c.id for c in located + nowhere}
    assert Counter(s.weekday for s in slots.values()) == dict.fromkeys(range(5), 2)


def test_customers_beyond_capacity_are_reported_unplaced():
    customers = [PlanCustomer(i, "A", around(i, 0)) for i in range(7)]
    result = assign_slots(customers, visits_per_month=FREQ, capacity=1, base=OFFICE)
    assert len(result.slots) == 5
    assert sorted(reason for _, reason in result.unplaced) == ["capacity", "capacity"]


def test_when_time_is_short_the_higher_grades_are_visited():
    customers = [PlanCustomer(i, "D", around(0, i)) for i in range(20)] + [PlanCustomer(100 + i, "A", around(i, 0)) for i in range(5)]
    result = assign_slots(customers, visits_per_month=FREQ, capacity=1, base=OFFICE)
    assert all(100 <= c < 105 for c in result.slots)
    assert len(result.unplaced) == 20


def test_grades_without_visits_and_unknown_grades_are_not_slotted():
    freq = {**FREQ, "D": 0}
    customers = [PlanCustomer(1, "D", OFFICE), PlanCustomer(2, "E", OFFICE), PlanCustomer(3, "A", OFFICE)]
    result = assign_slots(customers, visits_per_month=freq, capacity=8)
    assert set(result.slots) == {3}
    assert sorted(result.unplaced) == [(1, "no_visits"), (2, "unknown_grade")]


def test_a_capacity_below_one_and_repeated_customers_are_refused():
    with pytest.raises(ValueError, match="capacity"):
        assign_slots([], visits_per_month=FREQ, capacity=0)
    with pytest.raises(ValueError, match="once"):
        assign_slots([PlanCustomer(1, "A"), PlanCustomer(1, "B")], visits_per_month=FREQ, capacity=8)


def test_a_frequency_table_above_four_a_month_is_refused():
    with pytest.raises(ValueError, match="between 0 and 4"):
        assign_slots([PlanCustomer(1, "A")], visits_per_month={"A": 8}, capacity=8)


customer_sets = st.lists(
    st.tuples(
        st.sampled_from("ABCD"),
        st.one_of(st.none(), st.tuples(st.floats(-25, 25), st.floats(-25, 25))),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(customer_sets, st.integers(1, 10), st.booleans())
def test_no_weekday_of_any_week_is_over_capacity_and_every_customer_is_accounted_for(rows, capacity, with_base):
    customers = [PlanCustomer(i, grade, around(*xy) if xy else None) for i, (grade, xy) in enumerate(rows)]
    result = assign_slots(customers, visits_per_month=FREQ, capacity=capacity, base=OFFICE if with_base else None)
    assert peak_load(result.slots) <= capacity
    assert sorted([*result.slots, *(c for c, _ in result.unplaced)]) == list(range(len(customers)))
    assert all(reason == "capacity" for _, reason in result.unplaced)
    for customer in customers:
        slot = result.slots.get(customer.id)
        if slot:
            assert (slot.customer_id, slot.interval) == (customer.id, interval_weeks(FREQ[customer.grade]))
            assert 0 <= slot.weekday < 5 and 0 <= slot.phase < slot.interval


@settings(max_examples=30, deadline=None)
@given(customer_sets, customer_sets, st.integers(1, 10))
def test_existing_slots_stay_put_whoever_joins(rows, newcomers, capacity):
    first = [PlanCustomer(i, grade, around(*xy) if xy else None) for i, (grade, xy) in enumerate(rows)]
    before = assign_slots(first, visits_per_month=FREQ, capacity=capacity, base=OFFICE).slots
    joined = first + [PlanCustomer(1000 + i, g, around(*xy) if xy else None) for i, (g, xy) in enumerate(newcomers)]
    after = assign_slots(joined, visits_per_month=FREQ, capacity=capacity, base=OFFICE, existing=before).slots
    assert {c: after[c] for c in before} == before
    assert peak_load(after) <= capacity


# --- Weeks ---


def test_weeks_are_counted_from_monday_1_january_2024():
    assert week_index(date(2024, 1, 1)) == 0
    assert week_index(date(2024, 1, 8)) == 1
    assert week_index(date(2023, 12, 25)) == -1
    assert week_index(date(2026, 11, 30)) == 152


def test_an_iso_week_is_read_as_its_monday():
    assert parse_iso_week("2026-W49") == date(2026, 11, 30)
    assert parse_iso_week("2026-W01") == date(2025, 12, 29)
    assert parse_iso_week("2026-W53") == date(2026, 12, 28)  # 2026 starts on a Thursday: 53 weeks


@pytest.mark.parametrize("text", ["2026-49", "2026W49", "2026-W4", "2026-W00", "2025-W53", "2026-W54", "", "next week", None])
def test_bad_iso_weeks_are_refused(text):
    with pytest.raises(ValueError, match="2026-W49|not a week"):
        parse_iso_week(text)


@given(st.dates(date(1900, 1, 1), date(2999, 12, 31)))
def test_an_iso_week_written_and_read_back_is_the_monday_of_the_day(day):
    assert parse_iso_week(iso_week(day)) == day - timedelta(days=day.weekday())


# --- A week's plan and holidays ---


def thursday_and_friday_slots():
    return {1: Slot(1, 3, 1, 0), 2: Slot(2, 4, 1, 0), 3: Slot(3, 0, 1, 0)}


def test_a_week_plan_runs_monday_to_friday():
    plans = plan_week(thursday_and_friday_slots(), MONDAY)
    assert [p.day for p in plans] == [MONDAY + timedelta(days=d) for d in range(5)]
    assert [p.customer_ids for p in plans] == [[3], [], [], [1], [2]]
    assert not any(p.holiday for p in plans)


def test_a_week_plan_starts_on_a_monday():
    with pytest.raises(ValueError, match="not a Monday"):
        plan_week({}, MONDAY + timedelta(days=1))


def test_national_day_visits_are_skipped_not_moved():
    slots = thursday_and_friday_slots()
    week40 = plan_week(slots, parse_iso_week("2026-W40"))  # Thu 1 and Fri 2 October are National Day
    assert [(p.holiday, p.customer_ids) for p in week40] == [
        (False, [3]), (False, []), (False, []), (True, []), (True, []),
    ]
    week41 = plan_week(slots, parse_iso_week("2026-W41"))  # Mon 5 – Wed 7 October too
    assert [(p.holiday, p.customer_ids) for p in week41] == [
        (True, []), (True, []), (True, []), (False, [1]), (False, [2]),
    ]


def test_the_holidays_follow_chinese_calendar():
    assert chinese_calendar.is_holiday(date(2026, 10, 1))
    assert not cn_is_workday(date(2026, 10, 5))


def test_a_make_up_working_day_is_not_a_holiday():
    assert cn_is_workday(date(2026, 9, 20))  # a Sunday worked for National Day
    assert cn_is_workday(date(2026, 10, 10))  # a Saturday worked for National Day


def test_outside_the_calendars_data_weekdays_are_worked_and_weekends_are_not():
    assert cn_is_workday(date(2031, 10, 1))  # a Wednesday
    assert not cn_is_workday(date(2031, 10, 4))  # a Saturday
    assert [p.holiday for p in plan_week({}, date(2031, 9, 29))] == [False] * 5


def test_a_calendar_can_be_given():
    off_on_wednesdays = plan_week(thursday_and_friday_slots(), MONDAY, is_workday=lambda d: d.weekday() != 2)
    assert [p.holiday for p in off_on_wednesdays] == [False, False, True, False, False]


def test_a_week_plan_accepts_slots_as_a_list():
    assert plan_week(list(thursday_and_friday_slots().values()), MONDAY)[3].customer_ids == [1]


# --- Workload table (计算工作量) ---


def test_working_days_count_holidays_off_and_make_up_days_on():
    assert working_days_in_month(2026, 9) == 22  # 22 weekdays − Mid-Autumn (Fri 25) + Sunday 20 worked
    assert working_days_in_month(2026, 10) == 18  # 22 weekdays − 5 National Day weekdays + Saturday 10 worked
    assert working_days_in_month(2026, 10, always) == 31


def test_the_workload_table_of_the_sales_trainers():
    table = workload({"A": 10, "B": 20, "C": 30}, FREQ, working_days=22)
    assert [(r.grade, r.customers, r.visits_per_month, r.visits_needed) for r in table.rows] == [
        ("A", 10, 4, 40), ("B", 20, 2, 40), ("C", 30, 1, 30), ("D", 0, pytest.approx(1 / 3), 0),
    ]
    assert (table.customers, table.visits_needed, table.visits_per_day) == (60, 110, 5.0)


def test_d_customers_count_a_third_of_a_visit_a_month():
    table = workload({"D": 30}, FREQ, working_days=20)
    assert table.visits_needed == 10.0
    assert table.visits_per_day == 0.5


def test_the_visits_are_shared_by_the_reps_and_rounded_to_a_tenth():
    table = workload({"A": 10, "B": 20, "C": 30}, FREQ, working_days=21, reps=2)
    assert table.visits_per_day == 2.6  # 110 / 21 / 2 = 2.619…


def test_the_workload_needs_known_grades_and_at_least_one_day_and_rep():
    with pytest.raises(ValueError, match="E"):
        workload({"E": 1}, FREQ, working_days=22)
    with pytest.raises(ValueError, match="at least 1"):
        workload({"A": 1}, FREQ, working_days=0)
    with pytest.raises(ValueError, match="at least 1"):
        workload({"A": 1}, FREQ, working_days=22, reps=0)
