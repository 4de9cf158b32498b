"""The pipeline's arithmetic, without a database: every open deal lands in
exactly one forecast bar, weighted by its probability; win rates and lost
reasons add up; the attention flags say what is missing."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from manyi.sales import pipeline

TODAY = dt.date(2026, 11, 28)


def test_the_forecast_weights_each_deal_and_puts_it_in_its_month():
    deals = [
        pipeline.OpenDeal(Decimal("100000"), 50, dt.date(2026, 11, 30)),
        pipeline.OpenDeal(Decimal("80000"), 25, dt.date(2026, 12, 1)),
        pipeline.OpenDeal(Decimal("10000"), 90, dt.date(2026, 10, 31)),
        pipeline.OpenDeal(Decimal("5000"), 10, None),
        pipeline.OpenDeal(Decimal("7000"), 100, dt.date(2027, 9, 1)),
    ]
    bars = pipeline.forecast(deals, today=TODAY, months=6)
    by = {(b.bucket, b.month): b for b in bars}
    assert by[("month", dt.date(2026, 11, 1))].weighted == Decimal("50000.00")
    assert by[("month", dt.date(2026, 12, 1))].weighted == Decimal("20000.00")
    assert by[("overdue", None)].weighted == Decimal("9000.00") and by[("overdue", None)].deals == 1
    assert by[("undated", None)].weighted == Decimal("500.00")
    later = next(b for b in bars if b.bucket == "later")
    assert later.month == dt.date(2027, 5, 1) and later.weighted == Decimal("7000.00")
    assert [b.month for b in bars if b.bucket == "month"] == [dt.date(2026, m, 1) for m in (11, 12)] + [dt.date(2027, m, 1) for m in (1, 2, 3, 4)]


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 100), st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2032, 12, 31))), max_size=40),
       st.integers(1, 24))  # fmt: skip
def test_every_deal_lands_in_exactly_one_bar(rows, months):
    deals = [pipeline.OpenDeal(Decimal(cents) / 100, p, close) for cents, p, close in rows]
    bars = pipeline.forecast(deals, today=TODAY, months=months)
    assert sum(b.deals for b in bars) == len(deals)
    assert sum(b.amount for b in bars) == sum(d.amount for d in deals)
    assert sum(b.weighted for b in bars) == sum(pipeline.weighted(d.amount, d.probability) for d in deals)


def test_win_rates_and_lost_reasons_per_group():
    rows = pipeline.win_rates([
        pipeline.ClosedDeal("王磊", True, Decimal("100")),
        pipeline.ClosedDeal("王磊", False, Decimal("50"), "price"),
        pipeline.ClosedDeal("王磊", False, Decimal("20"), "price"),
        pipeline.ClosedDeal("李娜", False, Decimal("10"), "competitor"),
        pipeline.ClosedDeal("李娜", False, Decimal("10"), ""),
    ])  # fmt: skip
    wang, li = rows
    assert (wang.won, wang.lost, wang.closed) == (1, 2, 3) and abs(wang.rate - 1 / 3) < 1e-9
    assert wang.won_amount == Decimal("100") and wang.lost_amount == Decimal("70") and wang.reasons == {"price": 2}
    assert li.rate == 0 and li.reasons == {"competitor": 1, "other": 1}
    assert pipeline.reasons_total(rows) == {"price": 2, "competitor": 1, "other": 1}
    assert pipeline.WinRate("nobody").rate is None


def test_flags_say_what_needs_attention():
    ok = pipeline.flags(next_step="拜访采购部", next_step_on=TODAY, days_in_stage=3, stuck_after_days=30, today=TODAY)
    assert not ok.any
    assert pipeline.flags(next_step="", next_step_on=TODAY, days_in_stage=0, stuck_after_days=30, today=TODAY).no_next_step
    assert pipeline.flags(next_step="打电话", next_step_on=None, days_in_stage=0, stuck_after_days=30, today=TODAY).no_next_step
    late = pipeline.flags(next_step="打电话", next_step_on=TODAY - dt.timedelta(days=1), days_in_stage=0, stuck_after_days=30, today=TODAY)
    assert late.next_step_overdue and not late.no_next_step
    stuck = pipeline.flags(next_step="打电话", next_step_on=TODAY, days_in_stage=31, stuck_after_days=30, today=TODAY)
    assert stuck.stuck_days == 31 and stuck.any
    assert pipeline.flags(next_step="x", next_step_on=TODAY, days_in_stage=400, stuck_after_days=0, today=TODAY).stuck_days is None
