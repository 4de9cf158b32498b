"""Throttling maths: at most `limit` messages in any `window` seconds.

The claims already made are counted from the database, so every worker of a
campaign sees the same count; these functions only do the arithmetic. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


def allowance(*, limit: int, claimed_in_window: int) -> int:
    """How many more messages may be claimed now."""
    return max(0, limit - claimed_in_window)


def next_opening(*, oldest_in_window: dt.datetime, window: float) -> dt.datetime:
    """When the oldest claim in the window leaves it, and one more may be sent."""
    return oldest_in_window + dt.timedelta(seconds=window)


def busiest_window(times: Sequence[float], window: float) -> int:
    """The most claims in any half-open interval [t, t + window): what a
    throttle of `limit` per `window` must keep at or below `limit`."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best
