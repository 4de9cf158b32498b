"""The points ledger's arithmetic, free of Django.

A member's entries, in the order they were written, are all there is: the
balance is their sum. Every entry with positive points opens a *lot* (earned
points, an upward adjustment, the points a reversed redemption gives back)
that lapses on its `expires_on` (None: never). Negative entries consume lots:
an expiry consumes the one lot it names; a redemption, a downward adjustment
or a reversal of an earning consumes the oldest lots first (FIFO), a reversal
of an earning starting with that earning's own lot.

A lot lapses on its `expires_on`: on that day and after, its unconsumed
points are due to expire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

EARN = "earn"
REDEEM = "redeem"
EXPIRE = "expire"
REVERSE = "reverse"
ADJUST = "adjust"
KINDS = (EARN, REDEEM, EXPIRE, REVERSE, ADJUST)
# What may be reversed: an expiry is corrected by an adjustment, a reversal never undone.
REVERSIBLE = (EARN, REDEEM, ADJUST)
EXPIRY_MONTHS = 24
TIER_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    points: int
    on: dt.date  # the day it was written
    expires_on: dt.date | None = None
    reverses: int | None = None  # the id of the entry this one reverses
    lot: int | None = None  # for an expiry: the id of the lot it expires


@dataclass
class Lot:
    entry: Entry
    remaining: int

    @property
    def id(self) -> int:
        return self.entry.id

    @property
    def expires_on(self) -> dt.date | None:
        return self.entry.expires_on


@dataclass
class Allocation:
    lots: list[Lot] = field(default_factory=list)
    # consuming entry id -> [(lot id, points taken)]
    taken: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # points a negative entry could not find in any lot (never, while balances stay >= 0)
    shortfall: int = 0

    @property
    def remaining(self) -> int:
        return sum(lot.remaining for lot in self.lots)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def default_expiry(earned_on: dt.date) -> dt.date:
    return add_months(earned_on, EXPIRY_MONTHS)


def balance(entries: Iterable[Entry]) -> int:
    return sum(e.points for e in entries)


def _take(lot: Lot, wanted: int, taken: list[tuple[int, int]]) -> int:
    amount = min(lot.remaining, wanted)
    if amount > 0:
        lot.remaining -= amount
        taken.append((lot.id, amount))
    return wanted - amount


def allocate(entries: Sequence[Entry]) -> Allocation:
    """Replay the entries (in the order given: the order written) against the lots."""
    out = Allocation()
    by_id: dict[int, Lot] = {}
    kinds = {e.id: e.kind for e in entries}
    for entry in entries:
        if entry.points > 0:
            lot = Lot(entry, entry.points)
            out.lots.append(lot)
            by_id[entry.id] = lot
            continue
        wanted = -entry.points
        taken: list[tuple[int, int]] = []
        first = None
        if entry.kind == EXPIRE and entry.lot is not None:
            first = by_id.get(entry.lot)
        elif entry.kind == REVERSE and entry.reverses is not None and kinds.get(entry.reverses) in (EARN, ADJUST):
            first = by_id.get(entry.reverses)
        if first is not None:
            wanted = _take(first, wanted, taken)
        for lot in out.lots:
            if wanted == 0:
                break
            wanted = _take(lot, wanted, taken)
        out.shortfall += wanted
        out.taken[entry.id] = taken
    return out


def lapsed(entries: Sequence[Entry], as_of: dt.date) -> list[Lot]:
    """The lots whose unconsumed points are due to expire on `as_of`."""
    return [lot for lot in allocate(entries).lots if lot.remaining > 0 and lot.expires_on is not None and lot.expires_on <= as_of]


def expiring_by(entries: Sequence[Entry], day: dt.date) -> int:
    """The points that will have lapsed by `day` unless spent before."""
    return sum(lot.remaining for lot in lapsed(entries, day))


def restored_expiry(entries: Sequence[Entry], consumer_id: int) -> dt.date | None:
    """When the points a reversal gives back lapse: the latest expiry among
    the lots the reversed entry consumed (None if one of them never lapses,
    or it consumed nothing)."""
    allocation = allocate(entries)
    lots = {lot.id: lot for lot in allocation.lots}
    dates = [lots[lot_id].expires_on for lot_id, _n in allocation.taken.get(consumer_id, []) if lot_id in lots]
    if not dates or any(d is None for d in dates):
        return None
    return max(dates)


def earned_since(entries: Iterable[Entry], start: dt.date) -> int:
    """Points earned (earn entries not reversed) on or after `start`."""
    entries = list(entries)
    reversed_ids = {e.reverses for e in entries if e.kind == REVERSE}
    return sum(e.points for e in entries if e.kind == EARN and e.on >= start and e.id not in reversed_ids)


def earned_last_year(entries: Iterable[Entry], today: dt.date) -> int:
    """Points earned in the 12 months up to `today`: what a tier is judged on."""
    return earned_since(entries, today - dt.timedelta(days=TIER_WINDOW_DAYS - 1))


def tier_for(earned: int, thresholds: Sequence[tuple[int, object]]):
    """The tier (the second of each pair) with the highest threshold at most
    `earned`; None below the lowest."""
    best = None
    best_threshold = None
    for threshold, tier in thresholds:
        if threshold <= earned and (best_threshold is None or threshold > best_threshold):
            best, best_threshold = tier, threshold
    return best


def next_tier(earned: int, thresholds: Sequence[tuple[int, object]]):
    """(threshold, tier) of the lowest tier above `earned`, or None at the top."""
    above = sorted(((t, tier) for t, tier in thresholds if t > earned), key=lambda pair: pair[0])
    return above[0] if above else None


def progress(earned: int, thresholds: Sequence[tuple[int, object]]) -> float:
    """How far from the current tier's threshold to the next one, 0..1 (1 at the top)."""
    upcoming = next_tier(earned, thresholds)
    if upcoming is None:
        return 1.0
    below = [t for t, _tier in thresholds if t <= earned]
    floor = max(below) if below else 0
    span = upcoming[0] - floor
    return max(0.0, min(1.0, (earned - floor) / span)) if span > 0 else 1.0
