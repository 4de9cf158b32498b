"""The SLA clock: how much of a complaint's time has counted, and when it is due.

Pure Python: no ORM and nothing from Django, so the clock can be tested (and
reasoned about) on its own. The service layer turns ``ComplaintEvent`` rows
into a start instant and a list of :class:`Pause` values and asks this module
for the figures a page shows.

The model
=========

*Counted time.* A clock starts at ``started`` and counts seconds. What counts
depends on the :class:`Mode`:

- ``Mode.CALENDAR`` counts every real second (absolute time, so a daylight
  saving change does not add or lose an hour);
- ``Mode.BUSINESS`` counts only working time of a :class:`WorkCalendar`: the
  hours ``day_start``..``day_end`` (local wall time in the calendar's
  ``time_zone``) on working days. Days off are skipped entirely; the evening
  and the night count nothing.

*Pauses.* While a complaint waits on the customer the clock stops. A
:class:`Pause` is a half-open interval ``[start, end)``; ``end=None`` means
the pause is still open. Overlapping or touching pauses are merged, so time
is never taken off twice, and pauses are clipped to the interval being
measured, so a pause before ``started`` or after ``now`` takes nothing off.

*Deadline.* :func:`due_at` is the earliest instant at which :func:`elapsed`
reaches the target. Closed pauses before that instant push it later (by the
counted time they cover: a pause over a night pushes a business deadline by
nothing); a pause after it does not undo a breach. While a pause is open the
clock is stopped and there is no deadline: :func:`due_at` returns ``None``.

*Working days.* ``holidays="cn"`` follows the Chinese statutory holidays and
make-up working days (调休) from ``chinese_calendar``, so a make-up Saturday is a
working day and National Day is not. The package's data covers 2004–2026;
for a date outside it the calendar falls back to Monday–Friday (holidays are
then *not* skipped, so update ``chinese-calendar`` each year when the State
Council publishes the next year's arrangement). ``holidays="weekends"`` is
Monday–Friday always, for teams outside mainland China.

Arithmetic is exact: instants are turned into whole microseconds since the
epoch and all sums are integers; results are returned as float seconds.
Long spans are walked one day at a time (never minute by minute), and each
day's working window is cached.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

__all__ = [
    "ClockState",
    "Mode",
    "Pause",
    "WorkCalendar",
    "due_at",
    "elapsed",
    "remaining",
    "state",
]

HOLIDAY_RULES = ("cn", "weekends")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)


class Mode(StrEnum):
    CALENDAR = "calendar"
    BUSINESS = "business"


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working hours ``day_start``..``day_end`` (local time in ``time_zone``) on working days.

    ``holidays`` is ``"cn"`` (Chinese statutory holidays and make-up working
    days; Monday–Friday outside the data's years) or ``"weekends"``
    (Monday–Friday only). A working window cannot span midnight.
    """

    time_zone: str = "Asia/Shanghai"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    holidays: str = "cn"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from exc
        for name in ("day_start", "day_end"):
            value = getattr(self, name)
            if not isinstance(value, time):
                raise TypeError(f"{name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"{name} must be a local (naive) time; the zone is time_zone={self.time_zone!r}")
        if self.day_end <= self.day_start:
            raise ValueError(f"day_end ({self.day_end}) must be later than day_start ({self.day_start})")
        if self.holidays not in HOLIDAY_RULES:
            raise ValueError(f"holidays must be one of {HOLIDAY_RULES}, got {self.holidays!r}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_workday(self, day: date) -> bool:
        if self.holidays == "cn":
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:  # outside the package's data (2004–2026 in 1.11)
                pass
        return day.weekday() < 5

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds in ``[start, end)``; 0 if ``end <= start``."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        return self._business_us(_to_us(start), _to_us(end)) / 1e6

    def add_business(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant by which ``seconds`` working seconds after ``start`` have passed.

        ``seconds == 0`` gives ``start`` itself; otherwise counting begins at
        ``start`` or, outside working hours, at the next opening. When the
        time runs out exactly at a closing, the closing is the answer (not the
        next opening). The result is in the calendar's zone.
        """
        _require_aware(start, "start")
        return _from_us(self._add_us(_to_us(start), _seconds_to_us(seconds, "seconds")), self.zone)

    # Internals work on whole microseconds since the epoch.

    def _business_us(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        zone = self.zone
        day = _from_us(start, zone).date()
        last = _from_us(end, zone).date()
        total = 0
        while day <= last:
            window = _window(self, day)
            if window is not None:
                low, high = max(start, window[0]), min(end, window[1])
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total

    def _add_us(self, start: int, amount: int) -> int:
        if amount == 0:
            return start
        day = _from_us(start, self.zone).date()
        needed = amount
        while True:
            window = _window(self, day)
            if window is not None:
                low = max(start, window[0])
                if window[1] > low:
                    available = window[1] - low
                    if available >= needed:
                        return low + needed
                    needed -= available
            try:
                day += _ONE_DAY
            except OverflowError:
                raise ValueError(f"{amount / 1e6} working seconds after {start} runs past the year 9999") from None


@lru_cache(maxsize=16384)
def _window(calendar: WorkCalendar, day: date) -> tuple[int, int] | None:
    """The working window of ``day`` as epoch microseconds, or None on a day off."""
    if not calendar.is_workday(day):
        return None
    zone = calendar.zone
    opening = _to_us(datetime.combine(day, calendar.day_start, tzinfo=zone))
    closing = _to_us(datetime.combine(day, calendar.day_end, tzinfo=zone))
    if closing <= opening:  # only when a daylight saving change swallows the whole window
        return None
    return opening, closing


@dataclass(frozen=True, slots=True)
class Pause:
    """The clock is stopped over ``[start, end)``; ``end=None`` while the pause is open."""

    start: datetime
    end: datetime | None

    def __post_init__(self) -> None:
        _require_aware(self.start, "pause start")
        if self.end is not None:
            _require_aware(self.end, "pause end")
            if _to_us(self.end) < _to_us(self.start):
                raise ValueError(f"pause end {self.end.isoformat()} is before its start {self.start.isoformat()}")


@dataclass(frozen=True, slots=True)
class ClockState:
    """What a page shows about one clock at ``now``."""

    due: datetime | None
    remaining_seconds: float | None
    paused: bool
    breached: bool
    warn: bool  # remaining <= warn_before_seconds and not breached


def elapsed(
    *, started: datetime, now: datetime, pauses: Sequence[Pause], mode: Mode, calendar: WorkCalendar
) -> float:
    """Counted seconds from ``started`` to ``now``, leaving out paused time (an open pause runs to ``now``)."""
    _require_aware(started, "started")
    _require_aware(now, "now")
    return _elapsed_us(_to_us(started), _to_us(now), pauses, Mode(mode), calendar) / 1e6


def due_at(
    *, started: datetime, target_seconds: float, pauses: Sequence[Pause], mode: Mode, calendar: WorkCalendar
) -> datetime | None:
    """The earliest instant at which :func:`elapsed` reaches ``target_seconds``; None while a pause is open."""
    _require_aware(started, "started")
    needed = _seconds_to_us(target_seconds, "target_seconds")
    mode = Mode(mode)
    if any(pause.end is None for pause in pauses):
        return None
    cursor = _to_us(started)
    for pause_start, pause_end in _merged(pauses, after=cursor) if needed else ():
        counted = _measure(cursor, pause_start, mode, calendar)
        if counted >= needed:
            break
        needed -= counted
        cursor = max(cursor, pause_end)
    return _from_us(_advance(cursor, needed, mode, calendar), calendar.zone)


def remaining(*, due: datetime | None, now: datetime, mode: Mode, calendar: WorkCalendar) -> float | None:
    """Counted seconds from ``now`` until ``due``: negative once past, None when there is no deadline."""
    _require_aware(now, "now")
    if due is None:
        return None
    _require_aware(due, "due")
    mode = Mode(mode)
    now_us, due_us = _to_us(now), _to_us(due)
    if now_us <= due_us:
        return _measure(now_us, due_us, mode, calendar) / 1e6
    return -_measure(due_us, now_us, mode, calendar) / 1e6


def state(
    *,
    started: datetime,
    now: datetime,
    target_seconds: float,
    pauses: Sequence[Pause],
    mode: Mode,
    calendar: WorkCalendar,
    warn_before_seconds: float,
) -> ClockState:
    """The clock as a page shows it.

    ``breached`` once the counted time has reached the target (``now >= due``);
    this stays true through a pause opened after the breach. While paused there
    is no deadline, so ``due`` and ``remaining_seconds`` are None and ``warn``
    is false.
    """
    _require_aware(now, "now")
    _seconds_to_us(warn_before_seconds, "warn_before_seconds")
    due = due_at(started=started, target_seconds=target_seconds, pauses=pauses, mode=mode, calendar=calendar)
    if due is None:
        counted = _elapsed_us(_to_us(started), _to_us(now), pauses, Mode(mode), calendar)
        breached = counted >= _seconds_to_us(target_seconds, "target_seconds")
    else:
        breached = _to_us(now) >= _to_us(due)
    left = remaining(due=due, now=now, mode=mode, calendar=calendar)
    return ClockState(
        due=due,
        remaining_seconds=left,
        paused=due is None,
        breached=breached,
        warn=left is not None and not breached and left <= warn_before_seconds,
    )


def _elapsed_us(start: int, end: int, pauses: Sequence[Pause], mode: Mode, calendar: WorkCalendar) -> int:
    if end <= start:
        return 0
    total = 0
    cursor: int | float = start
    for pause_start, pause_end in _merged(pauses, after=start):
        if pause_start >= end:
            break
        total += _measure(cursor, pause_start, mode, calendar)
        cursor = max(cursor, pause_end)
        if cursor >= end:
            return total
    return total + _measure(cursor, end, mode, calendar)


def _merged(pauses: Sequence[Pause], *, after: int) -> list[tuple[int, int | float]]:
    """Pauses as sorted, disjoint ``(start, end)`` microsecond pairs, clipped to start at ``after``.

    An open pause ends at infinity; pauses that end by ``after`` are dropped.
    """
    spans = sorted(
        (max(_to_us(p.start), after), math.inf if p.end is None else _to_us(p.end))
        for p in pauses
        if p.end is None or _to_us(p.end) > after
    )
    merged: list[tuple[int, int | float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _measure(start: int, end: int, mode: Mode, calendar: WorkCalendar) -> int:
    if end <= start:
        return 0
    if mode is Mode.BUSINESS:
        return calendar._business_us(start, end)
    return end - start


def _advance(start: int, amount: int, mode: Mode, calendar: WorkCalendar) -> int:
    if mode is Mode.BUSINESS:
        return calendar._add_us(start, amount)
    return start + amount


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got naive {value.isoformat()}")


def _seconds_to_us(seconds: float, name: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {seconds!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {seconds!r}")
    try:
        # timedelta rounds exactly as ``start + timedelta(seconds=s)`` would.
        return timedelta(seconds=seconds) // _MICROSECOND
    except OverflowError:
        raise ValueError(f"{name} is too large: {seconds!r}") from None


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _from_us(microseconds: int, zone: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=microseconds)).astimezone(zone)
