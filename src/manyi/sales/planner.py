"""Visit planning: how often each grade is visited, on which fixed weekday, and the workload.

Pure Python and numpy: nothing from Django. The service layer turns customers
into :class:`PlanCustomer` values and stores the :class:`Slot` each one gets.

The model
=========

*Frequency.* A grade has a number of visits a month (A 4, B 2, C 1, D 1/3 by
default). With a month taken as four weeks, that is a visit every
``round(4 / f)`` weeks: A weekly, B every 2nd week, C every 4th, D every 12th.
A customer has one fixed weekday, so more than 4 visits a month is refused;
0 means the grade is not visited.

*Weeks.* Weeks are counted from the Monday 2024-01-01 (week 0). A
:class:`Slot` ``(weekday, interval, phase)`` visits its customer on
``weekday`` of every week whose index ``% interval == phase``, so the weekday
never changes and the rhythm carries on across months and years.

*Assignment.* Existing slots with the right interval are kept (highest
grades first, as long as they fit). The others are placed highest grade
first: the customers with a location are swept by bearing around the base
(or their centroid) into five sectors of equal weekly visits, one sector a
weekday (matched to the weekdays kept customers already have), and each one
goes to its sector's weekday or, when that is full, to the weekday whose
customers lie nearest. The phase is the one that keeps the busiest week of that
weekday lowest, and among those the one whose customers lie nearest, so a
week's visits on a weekday stay close together. Customers without a location
go where the load is lowest; a re-slotted customer keeps its old weekday when
it fits. No weekday of any week gets more than ``capacity`` visits; a customer
who cannot be placed is reported with a reason instead.

*Holidays.* :func:`plan_week` skips the visits of a weekday that is a Chinese
statutory holiday (``chinese_calendar``: 2004–2026 in version 1.11; Monday to
Friday outside its data). Skipped visits are not moved, so every customer
keeps its weekday; make-up working days (调休, always a weekend) carry no
fixed visits, but count as working days in the workload.
"""

import calendar
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import permutations

import chinese_calendar
import numpy as np

from manyi.sales.routes import Point

__all__ = [
    "DEFAULT_VISITS_PER_MONTH",
    "EPOCH",
    "MAX_VISITS_PER_MONTH",
    "Assignment",
    "DayPlan",
    "PlanCustomer",
    "Slot",
    "Workload",
    "WorkloadRow",
    "assign_slots",
    "cn_is_workday",
    "interval_weeks",
    "iso_week",
    "parse_iso_week",
    "plan_week",
    "week_index",
    "working_days_in_month",
    "workload",
]

DEFAULT_VISITS_PER_MONTH: dict[str, float] = {"A": 4.0, "B": 2.0, "C": 1.0, "D": 1 / 3}
MAX_VISITS_PER_MONTH = 4  # one fixed weekday: at most one visit a week
WEEKS_PER_MONTH = 4  # the planning convention behind the intervals
WEEKDAYS = 5  # Monday (0) .. Friday (4)
EPOCH = date(2024, 1, 1)  # a Monday: week 0

CAPACITY = "capacity"  # reasons a customer is not slotted
NO_VISITS = "no_visits"
UNKNOWN_GRADE = "unknown_grade"

_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_KM_PER_DEGREE = 111.2


def interval_weeks(visits_per_month: float) -> int:
    """Weeks between two visits: ``round(4 / f)``, at least 1; 0 for a grade that is not visited."""
    if visits_per_month == 0:
        return 0
    if not 0 < visits_per_month <= MAX_VISITS_PER_MONTH:
        raise ValueError(
            f"visits a month must be between 0 and {MAX_VISITS_PER_MONTH} "
            f"(one fixed weekday is at most a visit a week), got {visits_per_month}"
        )
    return max(1, math.floor(WEEKS_PER_MONTH / visits_per_month + 0.5))


def week_index(monday: date) -> int:
    """Weeks since the Monday 2024-01-01 (negative before it) of the week holding ``monday``."""
    return (monday - EPOCH).days // 7


def parse_iso_week(text: str) -> date:
    """The Monday of an ISO week written ``YYYY-Www`` (``"2026-W49"``)."""
    match = _ISO_WEEK.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"an ISO week is written like 2026-W49, got {text!r}")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a week of its year") from None


def iso_week(day: date) -> str:
    """The ISO week holding ``day``, written ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def cn_is_workday(day: date) -> bool:
    """Chinese statutory calendar (holidays, make-up days); Monday–Friday outside its data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < WEEKDAYS


@dataclass
class PlanCustomer:
    """A customer to plan: its grade and location (``None`` when unknown)."""

    id: int
    grade: str
    point: Point | None = None


@dataclass(frozen=True)
class Slot:
    """Visit on ``weekday`` (0 = Monday) of every week whose index ``% interval == phase``."""

    customer_id: int
    weekday: int
    interval: int
    phase: int

    def visits(self, week: int) -> bool:
        """Whether the week with index ``week`` has this customer's visit."""
        return week % self.interval == self.phase


@dataclass
class Assignment:
    """Slots by customer id, and the customers left out with a reason code."""

    slots: dict[int, Slot]
    unplaced: list[tuple[int, str]]


def assign_slots(
    customers: Sequence[PlanCustomer],
    *,
    visits_per_month: Mapping[str, float],
    capacity: int,
    existing: Mapping[int, Slot] | None = None,
    base: Point | None = None,
) -> Assignment:
    """A fixed weekday and phase for each customer, at most ``capacity`` visits a weekday in any week.

    Unplaced reasons: "capacity", "no_visits" (the grade has 0 visits), "unknown_grade".
    """
    if capacity < 1:
        raise ValueError(f"capacity must be at least 1 visit a day, got {capacity}")
    intervals = {grade: interval_weeks(f) for grade, f in visits_per_month.items()}
    ids = [customer.id for customer in customers]
    if len(set(ids)) != len(ids):
        raise ValueError("each customer may appear once")
    wanted, unplaced = _wanted(customers, intervals)
    load = _Load(capacity, math.lcm(*{interval for _, interval in wanted}))
    existing = existing or {}
    slots = _keep(wanted, existing, load)
    todo = [(c, interval) for c, interval in wanted if c.id not in slots]
    geo = _Geography(wanted, slots, base)
    for customer, interval in sorted(todo, key=lambda item: (item[1], *geo.sweep_key(item[0]))):
        slot = _place(customer, interval, load, geo, existing.get(customer.id))
        if slot is None:
            unplaced.append((customer.id, CAPACITY))
        else:
            load.add(slot)
            geo.add(customer, slot)
            slots[customer.id] = slot
    return Assignment(slots=slots, unplaced=unplaced)


def _wanted(customers: Sequence[PlanCustomer], intervals: Mapping[str, int]):
    """The customers to slot with their interval, and those that are not (with a reason)."""
    wanted, unplaced = [], []
    for customer in customers:
        interval = intervals.get(customer.grade)
        if interval is None:
            unplaced.append((customer.id, UNKNOWN_GRADE))
        elif interval == 0:
            unplaced.append((customer.id, NO_VISITS))
        else:
            wanted.append((customer, interval))
    return wanted, unplaced


def _keep(wanted, existing: Mapping[int, Slot], load: "_Load") -> dict[int, Slot]:
    """The existing slots still valid (same interval) that fit, highest grades first."""
    kept = {}
    for customer, interval in sorted(wanted, key=lambda item: (item[1], item[0].id)):
        slot = existing.get(customer.id)
        if slot is None or slot.interval != interval:
            continue
        if not (0 <= slot.weekday < WEEKDAYS and 0 <= slot.phase < interval):
            continue
        slot = Slot(customer.id, slot.weekday, interval, slot.phase)
        if load.peak(slot) < load.capacity:
            load.add(slot)
            kept[customer.id] = slot
    return kept


def _place(customer: PlanCustomer, interval: int, load: "_Load", geo: "_Geography", old: Slot | None) -> Slot | None:
    """The best slot that fits for one customer, or ``None`` when every weekday is full."""
    days = geo.day_order(customer) if customer.point is not None else load.day_order()
    if old is not None and old.weekday in days:
        days = [old.weekday] + [day for day in days if day != old.weekday]
    for day in days:
        fits = [Slot(customer.id, day, interval, phase) for phase in range(interval)]
        fits = [slot for slot in fits if load.peak(slot) < load.capacity]
        if fits:
            return min(fits, key=lambda slot: (load.peak(slot), geo.distance(customer, slot), slot.phase))
    return None


class _Load:
    """Visits on each weekday of each week of the cycle (the least common multiple of the intervals)."""

    def __init__(self, capacity: int, cycle: int) -> None:
        self.capacity = capacity
        self.counts = np.zeros((WEEKDAYS, cycle), dtype=np.int64)

    def peak(self, slot: Slot) -> int:
        """The busiest of the slot's weeks on its weekday, before adding it."""
        return int(self.counts[slot.weekday, slot.phase :: slot.interval].max())

    def add(self, slot: Slot) -> None:
        self.counts[slot.weekday, slot.phase :: slot.interval] += 1

    def day_order(self) -> list[int]:
        """Weekdays from the least loaded (busiest week, then total)."""
        return sorted(range(WEEKDAYS), key=lambda day: (self.counts[day].max(), self.counts[day].sum(), day))


class _Geography:
    """Where the customers are: a preferred weekday each (sectors by bearing) and each group's centre."""

    def __init__(self, wanted, kept: Mapping[int, Slot], base: Point | None) -> None:
        located = [(c, interval) for c, interval in wanted if c.point is not None]
        self.xy: dict[int, np.ndarray] = {}
        self.preferred: dict[int, int] = {}
        self.rank: dict[int, int] = {}
        self.sums: dict[tuple, np.ndarray] = {}  # (weekday,) and (weekday, interval, phase) -> [x, y, count]
        if not located:
            return
        points = np.array([c.point for c, _ in located], dtype=float)
        origin = np.asarray(base, dtype=float) if base is not None else points.mean(axis=0)
        xy = (points - origin) * [_KM_PER_DEGREE, _KM_PER_DEGREE * math.cos(math.radians(origin[0]))]
        weights = np.array([1 / interval for _, interval in located])
        sector, order = _sectors(np.arctan2(xy[:, 0], xy[:, 1]), weights)
        days = _sector_days(sector, weights, [kept.get(c.id) for c, _ in located])
        for k, (customer, _) in enumerate(located):
            self.xy[customer.id] = xy[k]
            self.preferred[customer.id] = days[sector[k]]
            self.rank[customer.id] = int(order[k])
        for customer, _ in located:
            slot = kept.get(customer.id)
            self._count((slot.weekday,) if slot else (self.preferred[customer.id],), customer.id)
            if slot is not None:
                self._count((slot.weekday, slot.interval, slot.phase), customer.id)

    def _count(self, key: tuple, customer_id: int) -> None:
        self.sums.setdefault(key, np.zeros(3))[:] += [*self.xy[customer_id], 1]

    def _centre(self, key: tuple) -> np.ndarray | None:
        total = self.sums.get(key)
        return None if total is None else total[:2] / total[2]

    def sweep_key(self, customer: PlanCustomer) -> tuple[int, int, int]:
        """Located customers first, in sweep order; then the others by id."""
        rank = self.rank.get(customer.id)
        return (0, rank, customer.id) if rank is not None else (1, 0, customer.id)

    def day_order(self, customer: PlanCustomer) -> list[int]:
        """The customer's sector weekday, then the others by the distance to their customers' centre."""
        preferred = self.preferred[customer.id]
        others = sorted(set(range(WEEKDAYS)) - {preferred}, key=lambda day: (self._far((day,), customer), day))
        return [preferred, *others]

    def distance(self, customer: PlanCustomer, slot: Slot) -> float:
        """From the customer to the centre of those already on the same weekday, interval and phase."""
        return self._far((slot.weekday, slot.interval, slot.phase), customer)

    def _far(self, key: tuple, customer: PlanCustomer) -> float:
        centre = self._centre(key)
        if centre is None or customer.id not in self.xy:
            return math.inf
        return float(np.hypot(*(self.xy[customer.id] - centre)))

    def add(self, customer: PlanCustomer, slot: Slot) -> None:
        if customer.id in self.xy:
            self._count((slot.weekday, slot.interval, slot.phase), customer.id)


def _sectors(bearings: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's sector (0–4, contiguous by bearing from the widest empty gap, equal weight) and sweep rank."""
    order = np.argsort(bearings, kind="stable")
    swept = bearings[order]
    gaps = np.diff(np.append(swept, swept[0] + 2 * math.pi))
    order = np.roll(order, -(int(np.argmax(gaps)) + 1))
    w = weights[order]
    middle = (np.cumsum(w) - w / 2) / w.sum()
    sector, rank = np.empty(len(order), dtype=np.int64), np.empty(len(order), dtype=np.int64)
    sector[order] = np.minimum((middle * WEEKDAYS).astype(np.int64), WEEKDAYS - 1)
    rank[order] = np.arange(len(order))
    return sector, rank


def _sector_days(sector: np.ndarray, weights: np.ndarray, kept: list[Slot | None]) -> tuple[int, ...]:
    """The weekday of each sector: the matching that agrees most with the slots kept (Monday first by default)."""
    agree = np.zeros((WEEKDAYS, WEEKDAYS))  # sector × weekday: weight of kept slots
    for k, slot in enumerate(kept):
        if slot is not None:
            agree[sector[k], slot.weekday] += weights[k]
    return max(permutations(range(WEEKDAYS)), key=lambda days: agree[range(WEEKDAYS), days].sum())


@dataclass
class DayPlan:
    """One weekday of a week: the customers to visit, none on a holiday."""

    day: date
    customer_ids: list[int]
    holiday: bool


def plan_week(
    slots: Mapping[int, Slot] | Iterable[Slot],
    monday: date,
    *,
    is_workday: Callable[[date], bool] | None = None,
) -> list[DayPlan]:
    """Monday to Friday of the week starting ``monday``; a holiday's visits are skipped, not moved."""
    if monday.weekday() != 0:
        raise ValueError(f"{monday} is not a Monday")
    is_workday = is_workday or cn_is_workday
    slots = list(slots.values()) if isinstance(slots, Mapping) else list(slots)
    week = week_index(monday)
    plans = []
    for weekday in range(WEEKDAYS):
        day = monday + timedelta(days=weekday)
        holiday = not is_workday(day)
        ids = [] if holiday else sorted(s.customer_id for s in slots if s.weekday == weekday and s.visits(week))
        plans.append(DayPlan(day=day, customer_ids=ids, holiday=holiday))
    return plans


def working_days_in_month(year: int, month: int, is_workday: Callable[[date], bool] | None = None) -> int:
    """Working days in a month, Chinese holidays off and make-up days on by default."""
    is_workday = is_workday or cn_is_workday
    days = calendar.monthrange(year, month)[1]
    return sum(is_workday(date(year, month, d)) for d in range(1, days + 1))


@dataclass(frozen=True)
class WorkloadRow:
    """One grade of the workload table: customers × visits a month = visits needed."""

    grade: str
    customers: int
    visits_per_month: float
    visits_needed: float


@dataclass(frozen=True)
class Workload:
    """The workload table (计算工作量): rows per grade, totals, and the visits a rep makes a day."""

    rows: list[WorkloadRow]
    customers: int
    visits_needed: float
    working_days: int
    reps: int
    visits_per_day: float


def workload(
    counts_by_grade: Mapping[str, int],
    visits_per_month: Mapping[str, float],
    *,
    working_days: int,
    reps: int = 1,
) -> Workload:
    """Visits needed a month per grade and in all, and per rep per working day (to 0.1)."""
    if working_days < 1 or reps < 1:
        raise ValueError(f"working_days and reps must be at least 1, got {working_days} and {reps}")
    unknown = sorted(set(counts_by_grade) - set(visits_per_month))
    if unknown:
        raise ValueError(f"no visit frequency for grade(s) {', '.join(unknown)}")
    rows = [
        WorkloadRow(grade, counts_by_grade.get(grade, 0), float(f), round(counts_by_grade.get(grade, 0) * f, 1))
        for grade, f in visits_per_month.items()
    ]
    needed = sum(counts_by_grade.get(grade, 0) * f for grade, f in visits_per_month.items())
    return Workload(
        rows=rows,
        customers=sum(row.customers for row in rows),
        visits_needed=round(float(needed), 1),
        working_days=working_days,
        reps=reps,
        visits_per_day=round(float(needed) / working_days / reps, 1),
    )
