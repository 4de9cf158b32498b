"""The arithmetic of the complaint dashboards: Haier's three controls (三控,
each rate per 100,000 against a target), percentiles of handling times, the
SLA outcome of one complaint, and the period a dashboard covers. Pure Python:
nothing here imports Django, so it is tested without a database
(manyi.service.dashboards reads the rows and calls these)."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PER = 100_000
# Haier's star service: complaint, omission and dissatisfaction rates each
# below 1 in 100,000 (domain §4).
DEFAULT_TARGET = 1.0
RECENT_DAYS = 30
CHART_MONTHS = 12


# --- the three controls -----------------------------------------------------------


def rate_per_100k(count: int, denominator: int) -> float | None:
    """count per 100,000 of the denominator; None when there is nothing to divide by."""
    if not denominator or denominator < 0 or count < 0:
        return None
    return count * PER / denominator


def status(rate: float | None, target: float = DEFAULT_TARGET) -> str:
    """"met" at or below the target, "over" above it, "none" without a rate."""
    if rate is None:
        return "none"
    return "met" if rate <= target else "over"


def format_rate(rate: float | None) -> str:
    """"—" for no rate; 0, 0.42, 3.5, 12, 2,000: two significant digits under 100, whole numbers above."""
    if rate is None:
        return "—"
    if rate == 0:
        return "0"
    if rate >= 100:
        return f"{rate:,.0f}"
    digits = max(0, 1 - math.floor(math.log10(rate)))
    text = f"{rate:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class Control:
    """One of the three controls: so many per 100,000 against the target."""

    code: str  # complaint | omission | dissatisfaction
    count: int
    denominator: int
    target: float = DEFAULT_TARGET

    @property
    def rate(self) -> float | None:
        return rate_per_100k(self.count, self.denominator)

    @property
    def status(self) -> str:
        return status(self.rate, self.target)

    @property
    def shown(self) -> str:
        return format_rate(self.rate)


# --- percentiles and handling times ---------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between the
    closest ranks (numpy's default); None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must lie between 0 and 100")
    position = (len(xs) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (xs[high] - xs[low]) * (position - low)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)


def hours(start: dt.datetime, end: dt.datetime) -> float:
    """Calendar hours from start to end (never negative)."""
    return max(0.0, (end - start).total_seconds() / 3600)


def met_deadline(done: dt.datetime, due: dt.datetime | None, breached_at: dt.datetime | None) -> bool:
    """Whether something done at `done` met its deadline: done by the stored
    due time; without one (a clock paused when it was closed), whether the
    breach was never recorded."""
    if due is None:
        return breached_at is None
    return done <= due


def outcome(*, started: dt.datetime, done: dt.datetime | None, due: dt.datetime | None, breached_at: dt.datetime | None, now: dt.datetime) -> tuple[float | None, bool | None]:
    """How long a clock took and whether it met its deadline: (hours, met).
    Not done yet: no hours, and missed once the deadline passed or a breach
    was recorded, otherwise not decided (None)."""
    if done is not None:
        return hours(started, done), met_deadline(done, due, breached_at)
    if breached_at is not None or (due is not None and due < now):
        return None, False
    return None, None


@dataclass(frozen=True, slots=True)
class Times:
    """One month's handling times: how many, median and 90th percentile in
    hours, and the share of the decided ones that met the deadline."""

    count: int
    median: float | None
    p90: float | None
    decided: int
    met: int

    @property
    def share(self) -> float | None:
        return self.met / self.decided if self.decided else None


def summarise(durations: Sequence[float], outcomes: Iterable[bool | None]) -> Times:
    decided = [o for o in outcomes if o is not None]
    return Times(count=len(durations), median=median(durations), p90=percentile(durations, 90), decided=len(decided), met=sum(decided))


# --- months and periods --------------------------------------------------------------------


def month_key(when: dt.date | dt.datetime) -> tuple[int, int]:
    return when.year, when.month


def last_months(until: dt.date, n: int = CHART_MONTHS) -> list[tuple[int, int]]:
    """The n months ending with until's month, oldest first: [(2025, 5), …, (2026, 4)]."""
    index = until.year * 12 + until.month - 1
    return [(k // 12, k % 12 + 1) for k in range(index - n + 1, index + 1)]


def month_label(key: tuple[int, int]) -> str:
    return f"{key[0]}-{key[1]:02d}"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days from `first` to `last` (both included) in the time zone `tz`."""

    first: dt.date
    last: dt.date
    tz: dt.tzinfo
    kind: str = "recent"  # recent | month | range

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def month(self) -> str:
        return f"{self.first:%Y-%m}" if self.kind == "month" else ""

    def chart_months(self, n: int = CHART_MONTHS) -> list[tuple[int, int]]:
        return last_months(self.last, n)

    def chart_start(self, n: int = CHART_MONTHS) -> dt.datetime:
        year, month = self.chart_months(n)[0]
        return dt.datetime(year, month, 1, tzinfo=self.tz)

    def chart_end(self) -> dt.datetime:
        year, month = month_key(self.last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return dt.datetime(year, month, 1, tzinfo=self.tz)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _month(text: str) -> dt.date | None:
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    year, month = int(parts[0]), int(parts[1])
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return dt.date(year, month, 1)


def period_from(*, month: str = "", start: str = "", end: str = "", today: dt.date, tz: dt.tzinfo) -> tuple[Period, bool]:
    """The period asked for: a month ("2026-03"), or from–to dates (either may
    be left out: from the first day, or up to today; swapped when reversed),
    else the last 30 days up to today. The flag is False when what was asked
    could not be read and the last 30 days are shown instead."""
    recent = Period(today - dt.timedelta(days=RECENT_DAYS - 1), today, tz, "recent")
    month, start, end = (month or "").strip(), (start or "").strip(), (end or "").strip()
    if month:
        first = _month(month)
        if first is None:
            return recent, False
        return Period(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]), tz, "month"), True
    if start or end:
        first, last = _date(start) if start else None, _date(end) if end else today
        if (start and first is None) or last is None:
            return recent, False
        if first is None:
            first = min(last, today) - dt.timedelta(days=RECENT_DAYS - 1)
        if first > last:
            first, last = last, first
        return Period(first, last, tz, "range"), True
    return recent, True
