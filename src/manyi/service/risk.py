"""How urgently a complaint needs attention: the queue's order. Pure; the
service stores the figure when anything it depends on changes, and the SLA
sweep refreshes it as the clock runs down."""

from __future__ import annotations

import math

ESCALATION = {"low": 0.0, "medium": 0.5, "high": 1.0}
SEVERITY = {"low": 0.0, "normal": 1 / 3, "high": 2 / 3, "critical": 1.0}
WEIGHTS = {"escalation": 0.35, "intensity": 0.2, "severity": 0.15, "value": 0.15, "urgency": 0.15}


def value_share(clv: float) -> float:
    """A customer's value on a 0..1 scale: log10 of the lifetime value over
    six decades, so ¥1,000,000 and above count fully."""
    return min(1.0, math.log10(1 + max(clv, 0.0)) / 6)


def urgency(*, remaining_seconds: float | None, target_seconds: float) -> float:
    """0 with the whole resolution time left, 1 at or past the deadline; 0.2
    while the clock is paused (waiting for the customer)."""
    if remaining_seconds is None:
        return 0.2
    if remaining_seconds <= 0 or target_seconds <= 0:
        return 1.0
    return max(0.0, min(1.0, 1 - remaining_seconds / target_seconds))


def score(*, escalation: str, intensity: float, severity: str, clv: float, remaining_seconds: float | None, target_seconds: float, closed: bool = False) -> float:
    """0..100: escalation risk of the latest customer message, its intensity,
    the severity, the customer's value and the time left on the clock."""
    if closed:
        return 0.0
    parts = {
        "escalation": ESCALATION.get(escalation, 0.0),
        "intensity": max(0.0, min(1.0, intensity)),
        "severity": SEVERITY.get(severity, 1 / 3),
        "value": value_share(clv),
        "urgency": urgency(remaining_seconds=remaining_seconds, target_seconds=target_seconds),
    }
    return round(100 * sum(WEIGHTS[name] * part for name, part in parts.items()), 2)
