"""A win-back campaign's result: the share of customers who bought again in
the treatment group against the held-back control group, with a two-sided
two-proportion z-test. Pure: no Django."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    size: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.size if self.size else None


@dataclass(frozen=True)
class Comparison:
    treatment: Group
    control: Group
    difference: float | None  # treatment rate − control rate (the lift, in rate points)
    z: float | None
    p_value: float | None  # two-sided; None when either group is empty or nobody/everybody converted


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """(z, two-sided p) for H0: p1 = p2, with the pooled proportion; None when undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2))


def compare(treatment: Group, control: Group) -> Comparison:
    difference = None if treatment.rate is None or control.rate is None else treatment.rate - control.rate
    test = two_proportion_z(treatment.converted, treatment.size, control.converted, control.size)
    return Comparison(treatment, control, difference, *(test or (None, None)))
