"""Satisfaction arithmetic (domain §6), free of Django.

satisfaction = perception − expectation, per driver: > 0 satisfied, = 0
basically satisfied, < 0 dissatisfied. A response's verdict: for the
expectation-vs-perception survey the sign of the mean gap; CSAT 4–5
satisfied, 3 basically, 1–2 dissatisfied; NPS 9–10 satisfied (promoters),
7–8 basically (passives), 0–6 dissatisfied (detractors). Aggregates: the
CSAT percentage (share of 4–5), the NPS (% promoters − % detractors), the
mean gap of each driver and the drivers ranked by their largest negative gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SATISFIED = "satisfied"
BASICALLY = "basically_satisfied"
DISSATISFIED = "dissatisfied"

CSAT, NPS, SPE = "csat", "nps", "spe"
CSAT_RANGE = (1, 5)
NPS_RANGE = (0, 10)
RATING_RANGE = (1, 5)  # an expectation or a perception


def gap(expectation: int, perception: int) -> int:
    return perception - expectation


def _by_sign(value: float) -> str:
    if value > 0:
        return SATISFIED
    return BASICALLY if value == 0 else DISSATISFIED


def gap_verdict(value: int) -> str:
    """One driver's verdict from its gap."""
    return _by_sign(value)


def csat_verdict(score: int) -> str:
    if score >= 4:
        return SATISFIED
    return BASICALLY if score == 3 else DISSATISFIED


def nps_verdict(score: int) -> str:
    if score >= 9:
        return SATISFIED
    return BASICALLY if score >= 7 else DISSATISFIED


def spe_verdict(gaps: Sequence[int]) -> str:
    """By the mean gap; the sign of the sum is the sign of the mean, without rounding."""
    if not gaps:
        raise ValueError("an expectation-vs-perception answer needs at least one driver")
    return _by_sign(sum(gaps))


def verdict(kind: str, *, score: int | None = None, gaps: Sequence[int] = ()) -> str:
    if kind == CSAT:
        return csat_verdict(score)
    if kind == NPS:
        return nps_verdict(score)
    if kind == SPE:
        return spe_verdict(gaps)
    raise ValueError(f"unknown survey kind {kind!r}")


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def csat_percent(scores: Iterable[int]) -> float | None:
    """The share of 4 and 5 among CSAT scores, in percent; None without scores."""
    scores = list(scores)
    if not scores:
        return None
    return 100 * sum(1 for s in scores if s >= 4) / len(scores)


def nps(scores: Iterable[int]) -> float | None:
    """% promoters (9–10) − % detractors (0–6), from −100 to 100; None without scores."""
    scores = list(scores)
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100 * (promoters - detractors) / len(scores)


@dataclass(frozen=True)
class DriverGap:
    driver: str
    count: int
    expectation: float  # the means
    perception: float
    gap: float

    @property
    def verdict(self) -> str:
        return _by_sign(self.gap)


def driver_gaps(answers: Iterable[tuple[str, int, int]]) -> list[DriverGap]:
    """(driver, expectation, perception) rows → each driver's means, in the order first seen."""
    sums: dict[str, list[int]] = {}
    for driver, expectation, perception in answers:
        row = sums.setdefault(driver, [0, 0, 0])
        row[0] += 1
        row[1] += expectation
        row[2] += perception
    return [DriverGap(driver, n, e / n, p / n, (p - e) / n) for driver, (n, e, p) in sums.items()]


def largest_gaps(gaps: Iterable[DriverGap], *, limit: int | None = None) -> list[DriverGap]:
    """The drivers whose perception falls short of expectation, the largest shortfall first."""
    short = sorted((g for g in gaps if g.gap < 0), key=lambda g: (g.gap, g.driver))
    return short if limit is None else short[:limit]
