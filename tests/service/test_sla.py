"""The SLA clock: counted time, pauses and deadlines, in calendar and business modes.

Pure Python, no database. Worked examples carry their arithmetic; the
properties at the end hold for any start and any amount of time.
"""

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.service.sla import (
    ClockState,
    Mode,
    Pause,
    WorkCalendar,
    due_at,
    elapsed,
    remaining,
    state,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
HOUR = 3600
CN = WorkCalendar()  # Asia/Shanghai, 09:00–18:00 = 9 working hours a day, Chinese statutory holidays
WEEKENDS = WorkCalendar(holidays="weekends")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def clock(**kwargs):
    """Keyword defaults for the module's functions: business mode on the Chinese calendar, no pauses."""
    return {"pauses": [], "mode": Mode.BUSINESS, "calendar": CN} | kwargs


def same_instant(a: datetime | None, b: datetime) -> bool:
    return a is not None and a.timestamp() == b.timestamp()


def test_the_clock_imports_nothing_from_django():
    code = "import sys, manyi.service.sla; assert not any(m.startswith('django') for m in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


# --- The calendar these examples rely on, as chinese_calendar 1.11 has it ---


def test_the_2026_autumn_holidays_are_as_the_examples_assume():
    workdays = {day: chinese_calendar.is_workday(date(2026, 9, 1) + timedelta(days=day - 1)) for day in range(1, 31)}
    assert workdays[20] is True  # Sunday 20 September: make-up working day for National Day
    assert workdays[25] is False  # Friday 25 September: Mid-Autumn Festival
    assert workdays[30] is True  # Wednesday 30 September: the last working day before the holiday
    assert [chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 13)] == [
        *[False] * 7,  # 1–7 October: National Day
        True,  # Thursday 8 October
        True,  # Friday 9 October
        True,  # Saturday 10 October: make-up working day
        False,  # Sunday 11 October
        True,  # Monday 12 October
    ]


# --- Worked examples ---


def test_a_complaint_filed_on_the_eve_of_national_day_is_due_on_the_make_up_saturday():
    # Filed Wednesday 2026-09-30 20:00, after closing: that day adds nothing.
    # 1–7 October are holidays: nothing. 24 working hours are needed:
    #   Thu 8 Oct 09:00–18:00   9 h  (9 so far)
    #   Fri 9 Oct 09:00–18:00   9 h  (18 so far)
    #   Sat 10 Oct (make-up)    6 h  09:00 + 6 h = 15:00  (24)
    filed = sh(2026, 9, 30, 20, 0)
    due = due_at(**clock(started=filed, target_seconds=24 * HOUR))
    assert due == sh(2026, 10, 10, 15, 0)
    assert due.tzinfo == SHANGHAI
    assert CN.business_seconds(filed, due) == 24 * HOUR


def test_the_same_complaint_on_a_calendar_clock_is_due_a_day_later():
    # 2026-09-30 20:00 + 24 h = 2026-10-01 20:00, holiday or not.
    due = due_at(**clock(started=sh(2026, 9, 30, 20, 0), target_seconds=24 * HOUR, mode=Mode.CALENDAR))
    assert due == sh(2026, 10, 1, 20, 0)


def test_a_make_up_saturday_is_a_working_day_and_an_ordinary_saturday_is_not():
    assert CN.is_workday(date(2026, 10, 10))  # Saturday, make-up day
    assert not CN.is_workday(date(2026, 10, 17))  # Saturday
    assert CN.is_workday(date(2026, 9, 20))  # Sunday, make-up day
    # Whole days: 9 working hours on the make-up Saturday, none on the ordinary one.
    assert CN.business_seconds(sh(2026, 10, 10), sh(2026, 10, 11)) == 9 * HOUR
    assert CN.business_seconds(sh(2026, 10, 17), sh(2026, 10, 18)) == 0


def test_counting_starts_at_the_next_opening_and_ends_at_a_closing():
    # Tuesday 2026-03-10 07:30 is before opening: 1 h counts from 09:00, due 10:00.
    assert CN.add_business(sh(2026, 3, 10, 7, 30), HOUR) == sh(2026, 3, 10, 10, 0)
    # 9 h from the opening runs out exactly at 18:00, not at the next morning's 09:00.
    assert CN.add_business(sh(2026, 3, 10, 9, 0), 9 * HOUR) == sh(2026, 3, 10, 18, 0)
    # Zero seconds is the start itself, even outside hours.
    assert CN.add_business(sh(2026, 3, 10, 22, 0), 0) == sh(2026, 3, 10, 22, 0)
    # 17:00–10:00 next morning: 17–18 (1 h) + 09–10 (1 h) = 2 h.
    assert CN.business_seconds(sh(2026, 3, 10, 17, 0), sh(2026, 3, 11, 10, 0)) == 2 * HOUR
    assert CN.business_seconds(sh(2026, 3, 11, 10, 0), sh(2026, 3, 10, 17, 0)) == 0


def test_a_pause_of_two_working_hours_moves_the_deadline_by_two_working_hours():
    # Tuesday 2026-03-10 09:00, 8 working hours: due 17:00 without pauses.
    started = sh(2026, 3, 10, 9, 0)
    assert due_at(**clock(started=started, target_seconds=8 * HOUR)) == sh(2026, 3, 10, 17, 0)
    # Paused 10:00–12:00 (2 working hours): 17:00 + 2 h = 1 h today (to 18:00) + 1 h Wednesday → 10:00.
    pause = Pause(sh(2026, 3, 10, 10, 0), sh(2026, 3, 10, 12, 0))
    assert due_at(**clock(started=started, target_seconds=8 * HOUR, pauses=[pause])) == sh(2026, 3, 11, 10, 0)
    # A pause over the night, 17:00–10:00, also covers 2 working hours (17–18, 09–10): the same deadline.
    overnight = Pause(sh(2026, 3, 10, 17, 0), sh(2026, 3, 11, 10, 0))
    # 8 h before it? Only 8 h (09–17) counted by 17:00, so the deadline is 17:00, at the pause's start.
    assert due_at(**clock(started=started, target_seconds=8 * HOUR, pauses=[overnight])) == sh(2026, 3, 10, 17, 0)
    # With a 9 h target: 8 h by 17:00, paused until Wed 10:00, the last hour runs to 11:00.
    assert due_at(**clock(started=started, target_seconds=9 * HOUR, pauses=[overnight])) == sh(2026, 3, 11, 11, 0)


def test_a_pause_over_the_night_takes_nothing_from_a_business_clock():
    # Paused 18:00–09:00: no working time in it, the 9 h target is still 18:00.
    started = sh(2026, 3, 10, 9, 0)
    night = Pause(sh(2026, 3, 10, 18, 0), sh(2026, 3, 11, 9, 0))
    assert due_at(**clock(started=started, target_seconds=9 * HOUR, pauses=[night])) == sh(2026, 3, 10, 18, 0)
    # A 10 h target: 9 h Tuesday, then 1 h Wednesday → 10:00, whether or not the night was paused.
    assert due_at(**clock(started=started, target_seconds=10 * HOUR, pauses=[night])) == sh(2026, 3, 11, 10, 0)


def test_an_open_pause_stops_the_clock_and_leaves_no_deadline():
    started = sh(2026, 3, 10, 9, 0)
    waiting = Pause(sh(2026, 3, 10, 11, 0), None)
    assert due_at(**clock(started=started, target_seconds=8 * HOUR, pauses=[waiting])) is None
    # 09:00–11:00 counted, then nothing, however late it gets.
    assert elapsed(**clock(started=started, now=sh(2026, 3, 12, 15, 0), pauses=[waiting])) == 2 * HOUR
    assert remaining(due=None, now=sh(2026, 3, 12, 15, 0), mode=Mode.BUSINESS, calendar=CN) is None


def test_pauses_outside_the_measured_interval_are_ignored_and_overlapping_ones_merged():
    started, now = sh(2026, 3, 10, 9, 0), sh(2026, 3, 10, 18, 0)  # 9 working hours
    before = Pause(sh(2026, 3, 9, 10, 0), sh(2026, 3, 9, 12, 0))  # Monday: before the clock started
    after = Pause(sh(2026, 3, 11, 10, 0), sh(2026, 3, 11, 12, 0))  # Wednesday: after now
    assert elapsed(**clock(started=started, now=now, pauses=[before, after])) == 9 * HOUR
    # A pause straddling the start is clipped to it: 08:00–10:00 takes 09:00–10:00 only → 8 h.
    straddling = Pause(sh(2026, 3, 10, 8, 0), sh(2026, 3, 10, 10, 0))
    assert elapsed(**clock(started=started, now=now, pauses=[straddling])) == 8 * HOUR
    # 10:00–12:00 and 11:00–13:00 overlap: together 10:00–13:00 = 3 h, not 4 → 6 h counted.
    overlapping = [Pause(sh(2026, 3, 10, 11, 0), sh(2026, 3, 10, 13, 0)), Pause(sh(2026, 3, 10, 10, 0), sh(2026, 3, 10, 12, 0))]
    assert elapsed(**clock(started=started, now=now, pauses=overlapping)) == 6 * HOUR
    # The deadline moves by the merged 3 h: 8 h target, 17:00 + 3 h = 18:00 + 2 h Wednesday → 11:00.
    assert due_at(**clock(started=started, target_seconds=8 * HOUR, pauses=overlapping)) == sh(2026, 3, 11, 11, 0)


def test_beyond_the_holiday_data_weekends_fall_back():
    # chinese_calendar 1.11 knows 2004–2026 only; 2027 is Monday–Friday (New Year's Day included, for now).
    assert CN.is_workday(date(2027, 1, 1))  # Friday
    assert not CN.is_workday(date(2027, 1, 2))  # Saturday
    assert not CN.is_workday(date(2027, 1, 3))  # Sunday
    # Friday 2027-01-08 17:00 + 8 h: 1 h Friday, weekend skipped, 7 h Monday 09:00 → 16:00.
    assert CN.add_business(sh(2027, 1, 8, 17, 0), 8 * HOUR) == sh(2027, 1, 11, 16, 0)
    # Across the edge of the data: Thu 2026-12-31 09:00 + 18 h = 9 h that day + 9 h Fri 2027-01-01 → 18:00.
    assert CN.add_business(sh(2026, 12, 31, 9, 0), 18 * HOUR) == sh(2027, 1, 1, 18, 0)


def test_a_weekends_calendar_ignores_statutory_holidays():
    assert WEEKENDS.is_workday(date(2026, 10, 1))  # National Day, a Thursday
    assert not WEEKENDS.is_workday(date(2026, 10, 10))  # make-up Saturday: still a Saturday
    # The National Day complaint again: Thu 1 Oct 9 h + Fri 2 Oct 9 h + Mon 5 Oct 6 h → 15:00.
    due = due_at(**clock(started=sh(2026, 9, 30, 20, 0), target_seconds=24 * HOUR, calendar=WEEKENDS))
    assert due == sh(2026, 10, 5, 15, 0)


def test_a_london_team_counts_its_own_hours_across_the_clocks_going_forward():
    london = WorkCalendar(time_zone="Europe/London", holidays="weekends")
    # Friday 2026-03-27 17:00 GMT + 2 working hours: 17–18 Friday, clocks go forward Sunday 29 March,
    # then 09–10 Monday BST. Due Monday 30 March 10:00 BST = 09:00 UTC.
    due = london.add_business(datetime(2026, 3, 27, 17, 0, tzinfo=LONDON), 2 * HOUR)
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
    assert due.tzinfo == LONDON
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    # An instant given in Shanghai time is read in London: Tue 2026-03-10 09:00 +08:00 is 01:00 GMT,
    # before London opens; 1 h from 09:00 GMT is 10:00 GMT = 18:00 in Shanghai.
    assert london.add_business(sh(2026, 3, 10, 9, 0), HOUR) == sh(2026, 3, 10, 18, 0)
    # The same hour on the Shanghai calendar: 09:00–10:00 Shanghai time.
    assert CN.add_business(sh(2026, 3, 10, 9, 0), HOUR) == sh(2026, 3, 10, 10, 0)


def test_a_calendar_clock_counts_real_seconds_across_a_daylight_saving_change():
    london = WorkCalendar(time_zone="Europe/London")
    # Saturday 28 March 12:00 GMT + 24 h = Sunday 29 March 12:00 UTC = 13:00 BST (the night lost an hour).
    due = due_at(started=datetime(2026, 3, 28, 12, tzinfo=LONDON), target_seconds=24 * HOUR, pauses=[], mode=Mode.CALENDAR, calendar=london)
    assert due == datetime(2026, 3, 29, 13, tzinfo=LONDON)


def test_remaining_is_counted_in_the_clocks_own_mode():
    due = sh(2026, 10, 10, 15, 0)
    # From Fri 9 Oct 17:00: 1 h Friday + 6 h on the make-up Saturday = 7 h.
    assert remaining(due=due, now=sh(2026, 10, 9, 17, 0), mode=Mode.BUSINESS, calendar=CN) == 7 * HOUR
    # Past due, Monday 12 October 10:00: Sat 15–18 (3 h) + Mon 09–10 (1 h) = 4 h late.
    assert remaining(due=due, now=sh(2026, 10, 12, 10, 0), mode=Mode.BUSINESS, calendar=CN) == -4 * HOUR
    # In calendar mode Fri 17:00 → Sat 15:00 is 22 h.
    assert remaining(due=due, now=sh(2026, 10, 9, 17, 0), mode=Mode.CALENDAR, calendar=CN) == 22 * HOUR


def test_the_state_a_page_shows():
    started = sh(2026, 3, 10, 9, 0)  # 8 h target → due 17:00; warn in the last hour
    common = clock(started=started, target_seconds=8 * HOUR, warn_before_seconds=HOUR)
    assert state(**common, now=sh(2026, 3, 10, 12, 0)) == ClockState(
        due=sh(2026, 3, 10, 17, 0), remaining_seconds=5 * HOUR, paused=False, breached=False, warn=False
    )
    assert state(**common, now=sh(2026, 3, 10, 16, 30)).warn
    late = state(**common, now=sh(2026, 3, 10, 20, 0))  # 17–18 counts: 1 h late
    assert late.breached and not late.warn and late.remaining_seconds == -HOUR
    # A 9 h target is due at 18:00 sharp; at 20:00 no working time has passed since, but it is late.
    closed = state(**common | {"target_seconds": 9 * HOUR}, now=sh(2026, 3, 10, 20, 0))
    assert closed.breached and closed.remaining_seconds == 0
    assert state(**common, now=sh(2026, 3, 11, 10, 0)).remaining_seconds == -2 * HOUR  # 17–18, 09–10
    # Paused at 11:00 with 6 h left: no deadline, not breached.
    paused = state(**common | {"pauses": [Pause(sh(2026, 3, 10, 11, 0), None)]}, now=sh(2026, 3, 12, 9, 0))
    assert paused == ClockState(due=None, remaining_seconds=None, paused=True, breached=False, warn=False)
    # Paused after the deadline had passed: still breached.
    late_pause = state(**common | {"pauses": [Pause(sh(2026, 3, 11, 9, 30), None)]}, now=sh(2026, 3, 12, 9, 0))
    assert late_pause.paused and late_pause.breached


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: CN.business_seconds(datetime(2026, 3, 10, 9), sh(2026, 3, 10, 10)), "aware"),
        (lambda: CN.add_business(datetime(2026, 3, 10, 9), 60), "aware"),
        (lambda: CN.add_business(sh(2026, 3, 10, 9), -1), ">= 0"),
        (lambda: due_at(**clock(started=sh(2026, 3, 10, 9), target_seconds=-1)), ">= 0"),
        (lambda: due_at(**clock(started=sh(2026, 3, 10, 9), target_seconds=float("nan"))), "finite"),
        (lambda: elapsed(**clock(started=sh(2026, 3, 10, 9), now=datetime(2026, 3, 10, 10))), "aware"),
        (lambda: Pause(sh(2026, 3, 10, 12), sh(2026, 3, 10, 11)), "before its start"),
        (lambda: Pause(datetime(2026, 3, 10, 12), None), "aware"),
        (lambda: WorkCalendar(day_start=time(18), day_end=time(9)), "later than day_start"),
        (lambda: WorkCalendar(day_start=time(9), day_end=time(9)), "later than day_start"),
        (lambda: WorkCalendar(holidays="us"), "holidays must be one of"),
        (lambda: WorkCalendar(time_zone="Mars/Olympus"), "unknown time zone"),
        (lambda: due_at(**clock(started=sh(2026, 3, 10, 9), target_seconds=60, mode="sidereal")), "sidereal"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- Properties ---

working_seconds = st.floats(min_value=0, max_value=200 * HOUR, allow_nan=False)
calendars = st.sampled_from([CN, WEEKENDS, WorkCalendar(time_zone="Europe/London", day_start=time(8, 30), day_end=time(17, 15))])


_FIRST, _LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _instant(offset: int, zone: ZoneInfo) -> datetime:
    return (_FIRST + offset * _MICROSECOND).astimezone(zone)


# An aware instant in 2024–2026, to the microsecond, seen from Shanghai, London or UTC.
instants = st.builds(
    _instant, st.integers(0, (_LAST - _FIRST) // _MICROSECOND - 1), st.sampled_from([SHANGHAI, LONDON, UTC])
)
# A step forward of up to 400 days, to the microsecond.
steps = st.integers(0, timedelta(days=400) // _MICROSECOND).map(lambda n: n * _MICROSECOND)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@settings(max_examples=200, deadline=None)
@given(start=instants, seconds=working_seconds, calendar=calendars)
def test_counting_the_working_time_up_to_add_business_gives_it_back(start, seconds, calendar):
    end = calendar.add_business(start, seconds)
    assert calendar.business_seconds(start, end) == pytest.approx(seconds, abs=1e-6)
    assert utc(end) >= utc(start)


@settings(max_examples=200, deadline=None)
@given(start=instants, a=working_seconds, b=working_seconds, calendar=calendars)
def test_add_business_is_monotonic(start, a, b, calendar):
    low, high = sorted((a, b))
    assert utc(calendar.add_business(start, low)) <= utc(calendar.add_business(start, high))


@settings(max_examples=200, deadline=None)
@given(a=instants, first=steps, second=steps, calendar=calendars)
def test_business_seconds_is_additive_and_never_more_than_real_time(a, first, second, calendar):
    b, c = a + first, a + first + second  # wall-clock sums may land anywhere nearby; only order matters
    a, b, c = sorted((a, b, c), key=utc)
    ab, bc, ac = calendar.business_seconds(a, b), calendar.business_seconds(b, c), calendar.business_seconds(a, c)
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert 0 <= ab <= (utc(b) - utc(a)).total_seconds()
    assert calendar.business_seconds(c, a) == 0


# Up to four pauses (in seconds), each starting between 50 h before the clock and 400 h after it, lasting up to 60 h.
pauses_near = st.lists(
    st.tuples(st.integers(-50 * HOUR, 400 * HOUR), st.integers(0, 60 * HOUR)),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(start=instants, target=working_seconds, offsets=pauses_near, mode=st.sampled_from(Mode), calendar=calendars)
def test_pauses_only_push_the_deadline_later_and_it_falls_when_the_target_is_counted(start, target, offsets, mode, calendar):
    pauses = [
        Pause(utc(start) + timedelta(seconds=offset), utc(start) + timedelta(seconds=offset + length))
        for offset, length in offsets
    ]
    plain = due_at(started=start, target_seconds=target, pauses=[], mode=mode, calendar=calendar)
    due = due_at(started=start, target_seconds=target, pauses=pauses, mode=mode, calendar=calendar)
    assert due is not None and plain is not None
    assert utc(due) >= utc(plain)
    counted = elapsed(started=start, now=due, pauses=pauses, mode=mode, calendar=calendar)
    assert counted == pytest.approx(target, abs=1e-6)
    assert remaining(due=due, now=due, mode=mode, calendar=calendar) == 0
    # Opening a pause anywhere stops the clock.
    stopped = [*pauses, Pause(utc(start) + timedelta(seconds=target), None)]
    assert due_at(started=start, target_seconds=target, pauses=stopped, mode=mode, calendar=calendar) is None


@settings(max_examples=200, deadline=None)
@given(start=instants, target=st.floats(min_value=0, max_value=400 * 24 * HOUR), calendar=calendars)
def test_a_calendar_clock_without_pauses_is_due_target_seconds_later(start, target, calendar):
    due = due_at(started=start, target_seconds=target, pauses=[], mode=Mode.CALENDAR, calendar=calendar)
    assert utc(due) == utc(start) + timedelta(seconds=target)
    assert elapsed(started=start, now=due, pauses=[], mode=Mode.CALENDAR, calendar=calendar) == pytest.approx(target, abs=1e-6)
