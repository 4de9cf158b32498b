"""The dashboards' arithmetic, without a database: rates per 100,000 against
the target, percentiles, SLA outcomes and the period asked for."""

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.service import controls
from manyi.service.controls import (
    Control,
    Period,
    format_rate,
    percentile,
    period_from,
    rate_per_100k,
    status,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


# --- rates and targets ------------------------------------------------------------


def test_a_rate_is_per_100000_of_the_denominator():
    assert rate_per_100k(3, 200) == 1500
    assert rate_per_100k(1, 100_000) == 1
    assert rate_per_100k(0, 50) == 0


def test_nothing_to_divide_by_gives_no_rate():
    assert rate_per_100k(0, 0) is None
    assert rate_per_100k(5, 0) is None
    assert format_rate(None) == "—"
    assert status(None) == "none"


def test_the_target_defaults_to_one_in_100000():
    assert controls.DEFAULT_TARGET == 1.0
    assert status(1.0) == "met" and status(0.4) == "met" and status(1.01) == "over"
    assert status(3, target=5) == "met"


def test_a_control_carries_its_rate_status_and_shown_figure():
    c = Control("complaint", count=2, denominator=400_000)
    assert c.rate == 0.5 and c.status == "met" and c.shown == "0.5"
    c = Control("omission", count=9, denominator=74)
    assert c.status == "over" and c.shown == "12,162"
    c = Control("dissatisfaction", count=0, denominator=0)
    assert c.rate is None and c.status == "none" and c.shown == "—"


@pytest.mark.parametrize(("rate", "shown"), [(0, "0"), (0.4213, "0.42"), (3.54, "3.5"), (12.4, "12"), (99.4, "99"), (2000, "2,000"), (1.0, "1"), (0.5, "0.5")])
def test_rates_are_shown_with_two_significant_digits_below_100(rate, shown):
    assert format_rate(rate) == shown


# --- percentiles -----------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 90) == 10
    assert percentile([4, 1, 3, 2], 0) == 1 and percentile([4, 1, 3, 2], 100) == 4
    assert percentile(range(1, 11), 90) == pytest.approx(9.1)
    assert controls.median([5, 1, 3]) == 3


def test_no_values_have_no_percentile():
    assert percentile([], 50) is None and controls.median([]) is None


def test_a_percentile_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50), st.integers(min_value=0, max_value=100))
def test_percentiles_agree_with_numpy(values, q):
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-9)


# --- SLA outcomes ----------------------------------------------------------------------------

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_done_by_the_deadline_met_it():
    took, met = controls.outcome(started=T0, done=T0 + dt.timedelta(hours=5), due=T0 + dt.timedelta(hours=24), breached_at=None, now=T0 + dt.timedelta(days=9))
    assert took == 5 and met is True


def test_done_after_the_deadline_missed_it():
    took, met = controls.outcome(started=T0, done=T0 + dt.timedelta(hours=30), due=T0 + dt.timedelta(hours=24), breached_at=None, now=T0 + dt.timedelta(days=9))
    assert took == 30 and met is False


def test_not_done_and_past_the_deadline_missed_it_not_done_in_time_is_undecided():
    due = T0 + dt.timedelta(hours=24)
    assert controls.outcome(started=T0, done=None, due=due, breached_at=None, now=T0 + dt.timedelta(hours=25)) == (None, False)
    assert controls.outcome(started=T0, done=None, due=due, breached_at=None, now=T0 + dt.timedelta(hours=2)) == (None, None)
    # Paused (no deadline) after a recorded breach: missed.
    assert controls.outcome(started=T0, done=None, due=None, breached_at=due, now=T0 + dt.timedelta(hours=2)) == (None, False)


def test_closed_while_paused_counts_by_the_recorded_breach():
    done = T0 + dt.timedelta(hours=80)
    assert controls.met_deadline(done, None, None) is True
    assert controls.met_deadline(done, None, T0 + dt.timedelta(hours=72)) is False


def test_a_month_summary_has_the_share_of_the_decided_ones():
    t = controls.summarise([2.0, 4.0, 30.0], [True, True, False, None])
    assert t.count == 3 and t.median == 4.0 and t.p90 == pytest.approx(24.8) and t.decided == 3 and t.met == 2
    assert t.share == pytest.approx(2 / 3)
    empty = controls.summarise([], [])
    assert empty.median is None and empty.p90 is None and empty.share is None


# --- months and periods --------------------------------------------------------------------------


def test_the_last_twelve_months_end_with_the_given_month():
    months = controls.last_months(dt.date(2026, 3, 15))
    assert len(months) == 12 and months[0] == (2025, 4) and months[-1] == (2026, 3)
    assert controls.last_months(dt.date(2026, 12, 1), 2) == [(2026, 11), (2026, 12)]
    assert controls.month_label((2026, 3)) == "2026-03"


def test_by_default_the_period_is_the_last_30_days_up_to_today():
    period, understood = period_from(today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert understood and period.kind == "recent"
    assert (period.first, period.last, period.days) == (dt.date(2026, 3, 2), dt.date(2026, 3, 31), 30)
    assert period.start == dt.datetime(2026, 3, 2, tzinfo=SHANGHAI)
    assert period.end == dt.datetime(2026, 4, 1, tzinfo=SHANGHAI)


def test_a_month_covers_its_days():
    period, understood = period_from(month="2024-02", today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert understood and period.kind == "month" and period.month == "2024-02"
    assert (period.first, period.last) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert period.chart_months()[-1] == (2024, 2) and period.chart_start() == dt.datetime(2023, 3, 1, tzinfo=SHANGHAI)
    assert period.chart_end() == dt.datetime(2024, 3, 1, tzinfo=SHANGHAI)
    december, _ok = period_from(month="2025-12", today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert december.chart_end() == dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)


def test_from_to_dates_are_both_included_and_swapped_when_reversed():
    period, understood = period_from(start="2026-01-10", end="2026-01-20", today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert understood and period.kind == "range" and (period.first, period.last, period.days) == (dt.date(2026, 1, 10), dt.date(2026, 1, 20), 11)
    swapped, _ok = period_from(start="2026-01-20", end="2026-01-10", today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert (swapped.first, swapped.last) == (dt.date(2026, 1, 10), dt.date(2026, 1, 20))
    open_end, _ok = period_from(start="2026-03-01", today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert (open_end.first, open_end.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    open_start, _ok = period_from(end="2026-02-28", today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert (open_start.first, open_start.last) == (dt.date(2026, 1, 30), dt.date(2026, 2, 28))


@pytest.mark.parametrize("asked", [{"month": "2026-13"}, {"month": "soon"}, {"start": "2026-02-30"}, {"end": "yesterday"}, {"month": "<script>"}])
def test_a_period_that_cannot_be_read_falls_back_to_the_last_30_days(asked):
    period, understood = period_from(**asked, today=dt.date(2026, 3, 31), tz=SHANGHAI)
    assert not understood and period.kind == "recent" and period.days == 30


def test_a_period_is_whole_local_days():
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1), SHANGHAI, "range")
    assert period.end - period.start == dt.timedelta(days=1)
    assert period.start.astimezone(UTC) == dt.datetime(2026, 2, 28, 16, tzinfo=UTC)
