"""Pipeline arithmetic: the weighted forecast by month, win rates and lost
reasons, and the flags on a deal that needs attention. Pure: plain values in,
dataclasses out, no Django."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class OpenDeal:
    amount: Decimal
    probability: int
    expected_close: dt.date | None


@dataclass
class MonthForecast:
    """One bar of the forecast. `month` is the first day of the month; the
    overdue bar (expected close before this month) and the undated one have
    `month` None and a `bucket` of "overdue" or "undated"."""

    month: dt.date | None
    bucket: str
    deals: int = 0
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")


def weighted(amount: Decimal, probability: int) -> Decimal:
    """What a deal counts for in the forecast: amount × probability."""
    return (amount * probability / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def forecast(deals: Iterable[OpenDeal], *, today: dt.date, months: int = 6) -> list[MonthForecast]:
    """The weighted forecast of open deals: an overdue bar, one bar per month
    from this one for `months` months, a "later" bar and an undated bar. Every
    deal lands in exactly one bar."""
    this_month = today.replace(day=1)
    bars = [MonthForecast(None, "overdue")]
    bars += [MonthForecast(_add_months(this_month, i), "month") for i in range(months)]
    later = MonthForecast(_add_months(this_month, months), "later")
    undated = MonthForecast(None, "undated")
    bars += [later, undated]
    for deal in deals:
        if deal.expected_close is None:
            bar = undated
        elif deal.expected_close < this_month:
            bar = bars[0]
        else:
            offset = (deal.expected_close.year - this_month.year) * 12 + deal.expected_close.month - this_month.month
            bar = bars[1 + offset] if offset < months else later
        bar.deals += 1
        bar.amount += deal.amount
        bar.weighted += weighted(deal.amount, deal.probability)
    return bars


@dataclass(frozen=True)
class ClosedDeal:
    """A won or lost deal, with what it is grouped by (rep, stage, month ...)."""

    group: Hashable
    won: bool
    amount: Decimal = Decimal("0")
    lost_reason: str = ""


@dataclass
class WinRate:
    group: Hashable
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal("0")
    lost_amount: Decimal = Decimal("0")
    reasons: Counter = field(default_factory=Counter)

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> float | None:
        """Won ÷ closed, None when nothing closed."""
        return self.won / self.closed if self.closed else None


def win_rates(deals: Iterable[ClosedDeal]) -> list[WinRate]:
    """Win rate and lost reasons per group, in the order groups first appear."""
    groups: dict[Hashable, WinRate] = {}
    for deal in deals:
        row = groups.setdefault(deal.group, WinRate(deal.group))
        if deal.won:
            row.won += 1
            row.won_amount += deal.amount
        else:
            row.lost += 1
            row.lost_amount += deal.amount
            row.reasons[deal.lost_reason or "other"] += 1
    return list(groups.values())


def reasons_total(rows: Iterable[WinRate]) -> Counter:
    total: Counter = Counter()
    for row in rows:
        total.update(row.reasons)
    return total


@dataclass(frozen=True)
class Flags:
    no_next_step: bool
    next_step_overdue: bool
    stuck_days: int | None

    @property
    def any(self) -> bool:
        return self.no_next_step or self.next_step_overdue or self.stuck_days is not None


def flags(*, next_step: str, next_step_on: dt.date | None, days_in_stage: int, stuck_after_days: int, today: dt.date) -> Flags:
    """What needs attention on an open deal: no next step (or no date for it),
    a next step whose date has passed, or too long in its stage."""
    no_next = not next_step.strip() or next_step_on is None
    overdue = not no_next and next_step_on < today
    stuck = days_in_stage if stuck_after_days and days_in_stage > stuck_after_days else None
    return Flags(no_next_step=no_next, next_step_overdue=overdue, stuck_days=stuck)

