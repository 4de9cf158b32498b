"""The 20/80 rule: Pareto curve, A/B/C/D grades and importance classes.

``value`` is one number per customer (e.g. spend over the last year).  Only
positive values count towards shares: zero and negative values (refunds
exceeding purchases) are treated as "brings nothing".

Grades and classes are returned as numpy unicode arrays of the names in
``GRADES`` ("A".."D", dtype ``<U1``) and ``IMPORTANCE`` ("key".."small",
``<U8``), ready for a CharField or a template; ``GRADES.index`` /
``np.searchsorted`` on the tuple turn them back into ranks (0 = best).

Equal values always get the same grade or class; where a tie straddles a
boundary the whole tie gets the better one.
"""

import numpy as np

GRADES = ("A", "B", "C", "D")
IMPORTANCE = ("key", "major", "ordinary", "small")
_GRADE_NAMES = np.array(GRADES)
_IMPORTANCE_NAMES = np.array(IMPORTANCE)


def _values(value) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError("value must be a 1-D array")
    if not np.isfinite(v).all():
        raise ValueError("value contains NaN or infinity")
    return v


def _check_bounds(bounds, name: str, n: int) -> np.ndarray:
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (n,):
        raise ValueError(f"{name} must have exactly {n} values, got {b.size}")
    if not ((b > 0) & (b <= 1)).all():
        raise ValueError(f"{name} must lie in (0, 1], got {tuple(b.tolist())}")
    if not (np.diff(b) > 0).all():
        raise ValueError(f"{name} must be strictly increasing, got {tuple(b.tolist())}")
    return b


def _sorted_desc(v: np.ndarray):
    """Positions of the positive values sorted by value desc (stable) and those values."""
    pos = np.flatnonzero(v > 0)
    order = pos[np.argsort(-v[pos], kind="stable")]
    return order, v[order]


def _tie_best(codes: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Give every run of equal values the code of its first (best) member."""
    if len(codes) == 0:
        return codes
    start = np.ones(len(codes), dtype=bool)
    start[1:] = sorted_values[1:] != sorted_values[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(codes)), 0))
    return codes[first]


def pareto(value):
    """Points of the Pareto (Lorenz) curve, customers sorted by value desc.

    Returns ``(customer_share, value_share)``, two float64 arrays of length
    ``len(value)``: point i is "the top i+1 customers bring value_share[i] of
    the total".  The curve starts implicitly at (0, 0).  With no positive
    value at all, ``value_share`` is all zeros.
    """
    v = np.clip(_values(value), 0, None)
    n = len(v)
    customer_share = np.arange(1, n + 1, dtype=np.float64) / max(n, 1)
    cum = np.cumsum(np.sort(v)[::-1])
    total = cum[-1] if n else 0.0
    value_share = cum / total if total > 0 else np.zeros(n)
    return customer_share, value_share


def top_share(value, fraction: float = 0.2) -> float:
    """Share of the total value brought by the top ``fraction`` of customers.

    Read off the Pareto curve, linearly interpolated between customers (so the
    top 20 % of 7 customers is 1.4 customers).  0.0 when nothing has value.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    cs, vs = pareto(value)
    if len(cs) == 0:
        return 0.0
    return float(np.interp(fraction, np.r_[0.0, cs], np.r_[0.0, vs]))


def propose_grades(value, *, cutoffs=(0.80, 0.95, 0.99)) -> np.ndarray:
    """Grades "A" to "D" (a ``<U1`` array) by cumulative share of value.

    Customers are sorted by value desc.  A customer is A while the cumulative
    share of value up to and including them is <= ``cutoffs[0]``, B while
    <= ``cutoffs[1]``, C while <= ``cutoffs[2]``, D after that.  The top
    customer is always A when it has value (even if it alone exceeds the first
    cutoff); customers with value <= 0 are D.  Ties take the better grade.
    """
    v = _values(value)
    c = _check_bounds(cutoffs, "cutoffs", len(GRADES) - 1)
    out = np.full(len(v), len(GRADES) - 1, dtype=np.int8)
    order, sv = _sorted_desc(v)
    if len(order) == 0:
        return _GRADE_NAMES[out]
    cum = np.cumsum(sv)
    share = cum / cum[-1]  # the last one is exactly 1.0
    codes = np.searchsorted(c, share, side="left").astype(np.int8)
    codes[0] = 0
    out[order] = _tie_best(codes, sv)
    return _GRADE_NAMES[out]


def propose_importance(value, *, shares=(0.05, 0.20, 0.70)) -> np.ndarray:
    """Classes "key", "major", "ordinary", "small" (``<U8``) by rank share.

    Among the n customers with value > 0, sorted by value desc, a customer is
    "key" while the share of customers ranked above them is below
    ``shares[0]`` (so the top ceil(5 % of n) are key, and the top customer
    always is), "major" while it is below ``shares[1]`` (top 20 %),
    "ordinary" below ``shares[2]`` (top 70 %), else "small".  Value <= 0 is
    "small".  Ties take the better class.
    """
    v = _values(value)
    s = _check_bounds(shares, "shares", len(IMPORTANCE) - 1)
    out = np.full(len(v), len(IMPORTANCE) - 1, dtype=np.int8)
    order, sv = _sorted_desc(v)
    n = len(order)
    if n == 0:
        return _IMPORTANCE_NAMES[out]
    above = np.arange(n, dtype=np.float64) / n  # share of customers ranked above
    codes = np.searchsorted(s, above, side="right").astype(np.int8)
    out[order] = _tie_best(codes, sv)
    return _IMPORTANCE_NAMES[out]
