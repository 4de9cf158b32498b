"""RFM: recency, frequency and monetary scores, segments and their migration.

Input convention (shared by the ``metrics`` package): one row per order, in
three parallel arrays, in any order::

    customer  int64    customer index 0 .. n_customers-1
    day       int32    days since 1970-01-01
    amount    float64  the order's value

Quintile scores use **value cut points**, not ranks.  Over the customers that
have orders, the cut points are the 20/40/60/80 % quantiles taken with
``numpy.quantile(..., method="inverted_cdf")`` (each cut is an observed value:
the smallest value ``x`` with at least k/5 of the customers at or below ``x``).
A customer's score is ``1 + (number of cut points strictly below the value)``,
with recency negated so that "more recent" is "higher".  Hence

* equal values always get the same score (ties are never split, unlike SQL
  ``NTILE``), and a strictly better value never gets a lower score;
* at most 20 % of customers get a 5, at most 40 % a 4 or more, and so on;
* when many customers share a value (say 60 % have exactly one order), scores
  are skipped: the next value up can jump from 1 straight to 4.

Customers without orders score 0 on R, F and M and fall in segment "none".
"""

from dataclasses import dataclass

import numpy as np

NO_DAY = np.iinfo(np.int32).min
"""``first_day``/``last_day`` of a customer without orders."""

_QUINTILES = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Aggregates:
    """Per-customer totals, each an array of length ``n_customers``."""

    has_orders: np.ndarray  # bool
    first_day: np.ndarray  # int32, NO_DAY without orders
    last_day: np.ndarray  # int32, NO_DAY without orders
    order_count: np.ndarray  # int64, distinct orders (= rows)
    total_amount: np.ndarray  # float64, 0.0 without orders


@dataclass(frozen=True)
class Scores:
    """Quintile scores (int8, 1..5, 0 = no orders) and what they were cut at."""

    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    recency_days: np.ndarray  # int32, as_of_day - last_day; -1 without orders
    r_cuts: np.ndarray  # recency days: R >= k+1 iff recency_days < r_cuts[k-1]
    f_cuts: np.ndarray  # order counts: F >= k+1 iff order_count > f_cuts[k-1]
    m_cuts: np.ndarray  # amounts:      M >= k+1 iff total_amount > m_cuts[k-1]


def _check_orders(customer, day, amount, n_customers):
    customer = np.asarray(customer, dtype=np.int64)
    day = np.asarray(day, dtype=np.int32)
    amount = np.asarray(amount, dtype=np.float64)
    if not (customer.ndim == day.ndim == amount.ndim == 1):
        raise ValueError("customer, day and amount must be 1-D arrays")
    if not (len(customer) == len(day) == len(amount)):
        raise ValueError("customer, day and amount must have the same length")
    if len(customer) and (customer.min() < 0 or customer.max() >= n_customers):
        raise ValueError("customer index outside 0 .. n_customers-1")
    return customer, day, amount


def aggregate(customer, day, amount, *, n_customers: int, as_of_day: int) -> Aggregates:
    """First/last order day, order count and total per customer.

    Orders after ``as_of_day`` are ignored (they had not happened yet).
    """
    customer, day, amount = _check_orders(customer, day, amount, n_customers)
    keep = day <= as_of_day
    if not keep.all():
        customer, day, amount = customer[keep], day[keep], amount[keep]
    count = np.bincount(customer, minlength=n_customers).astype(np.int64)
    total = np.bincount(customer, weights=amount, minlength=n_customers)
    first = np.full(n_customers, np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(first, customer, day)
    last = np.full(n_customers, NO_DAY, dtype=np.int32)
    np.maximum.at(last, customer, day)
    has = count > 0
    first[~has] = NO_DAY
    return Aggregates(has, first, last, count, total)


def _quintile(values: np.ndarray, has: np.ndarray):
    """Scores 1..5 (0 where ``has`` is False), higher value = higher score."""
    out = np.zeros(len(values), dtype=np.int8)
    if not has.any():
        return out, np.full(4, np.nan)
    v = values[has]
    cuts = np.quantile(v, _QUINTILES, method="inverted_cdf")
    out[has] = 1 + np.searchsorted(cuts, v, side="left")
    return out, np.asarray(cuts, dtype=np.float64)


def scores(agg: Aggregates, *, as_of_day: int) -> Scores:
    """R, F and M quintile scores of the customers that have orders."""
    has = agg.has_orders
    recency = np.where(has, as_of_day - agg.last_day.astype(np.int64), -1).astype(np.int32)
    r, neg_cuts = _quintile(-recency.astype(np.int64), has)
    f, f_cuts = _quintile(agg.order_count, has)
    m, m_cuts = _quintile(agg.total_amount, has)
    return Scores(r, f, m, recency, -neg_cuts, f_cuts, m_cuts)


# --- segments ---------------------------------------------------------------

SEGMENTS = (
    "champions",
    "loyal",
    "potential",
    "new",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
    "none",
)
"""Segment codes; ``segment()`` returns indexes into this tuple."""

NONE = SEGMENTS.index("none")

_GRID_ROWS = {  # R score -> segment for F = 1, 2, 3, 4, 5
    5: ("new", "potential", "loyal", "champions", "champions"),
    4: ("potential", "potential", "loyal", "champions", "champions"),
    3: ("hibernating", "hibernating", "loyal", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
}

GRID = np.full((6, 6), NONE, dtype=np.int8)
"""``GRID[r, f]``: the segment code of every (R, F) pair; row/column 0 = none."""
for _r, _row in _GRID_ROWS.items():
    GRID[_r, 1:] = [SEGMENTS.index(name) for name in _row]


def segment(r, f, m=None) -> np.ndarray:
    """Segment code (int8, index into ``SEGMENTS``) from the R x F grid.

    ======  ============  ============  =========  =========  =========
    R \\ F   1             2             3          4          5
    ======  ============  ============  =========  =========  =========
    5       new           potential     loyal      champions  champions
    4       potential     potential     loyal      champions  champions
    3       hibernating   hibernating   loyal      loyal      loyal
    2       hibernating   hibernating   at_risk    at_risk    cant_lose
    1       lost          lost          at_risk    at_risk    cant_lose
    ======  ============  ============  =========  =========  =========

    In words: champions R4-5 F4-5; loyal R3-5 F3-5 but not champions;
    potential R4-5 F1-2 except R5 F1; new R5 F1; at_risk R1-2 F3-4;
    cant_lose R1-2 F5; hibernating R2-3 F1-2; lost R1 F1-2.  A score of 0
    (no orders) gives "none".  ``m`` is accepted for symmetry and checked,
    but the grid does not use it.
    """
    r = np.asarray(r)
    f = np.asarray(f)
    for name, s in (("r", r), ("f", f), ("m", m)):
        if s is not None and np.size(s) and (np.min(s) < 0 or np.max(s) > 5):
            raise ValueError(f"{name} scores must be in 0..5")
    if r.shape != f.shape:
        raise ValueError("r and f must have the same shape")
    return GRID[r.astype(np.intp), f.astype(np.intp)]


def migration(before, after) -> np.ndarray:
    """Counts ``out[i, j]`` of customers in segment i before and j after.

    Shape ``(len(SEGMENTS), len(SEGMENTS))``, int64; rows are "before".
    """
    before = np.asarray(before, dtype=np.intp)
    after = np.asarray(after, dtype=np.intp)
    n = len(SEGMENTS)
    if before.shape != after.shape:
        raise ValueError("before and after must have the same shape")
    if before.size and (min(before.min(), after.min()) < 0 or max(before.max(), after.max()) >= n):
        raise ValueError(f"segment codes must be in 0..{n - 1}")
    return np.bincount((before * n + after).ravel(), minlength=n * n).reshape(n, n)
