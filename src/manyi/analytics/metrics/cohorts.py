"""Monthly acquisition cohorts and their retention.

A customer's cohort is the calendar month (UTC) of their first order, counting
every order on or before ``as_of_day`` (so a customer who first ordered before
the first cohort month belongs to no cohort in the window).  ``matrix[i, k]``
is the number of customers of cohort i who ordered at least once in the k-th
month after it (k = 0 is the cohort month itself, so ``matrix[:, 0]`` equals
``cohort_sizes``).

Cells that cannot be observed yet hold -1: month i+k lies beyond the last
cohort month, or after the month containing ``as_of_day``.  Mask them
(``matrix >= 0``) before dividing by ``cohort_sizes`` for rates.
"""

import numpy as np

_EPOCH_MONTH = 1970 * 12


def month_index(day) -> np.ndarray:
    """Days since 1970-01-01 -> ``year * 12 + month - 1`` (int64), vectorised."""
    d = np.asarray(day).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH


def _window(months, start, count) -> np.ndarray:
    if months is not None:
        if start is not None or count is not None:
            raise ValueError("give either months or start and count, not both")
        idx = np.asarray([y * 12 + m - 1 for y, m in months], dtype=np.int64)
        if any(not 1 <= m <= 12 for _, m in months):
            raise ValueError("a month must be in 1..12")
        if len(idx) and not (np.diff(idx) == 1).all():
            raise ValueError("months must be consecutive calendar months in order")
        return idx
    if start is None or count is None:
        raise ValueError("give months, or start=(year, month) and count")
    if count < 0 or not 1 <= start[1] <= 12:
        raise ValueError("count must be >= 0 and the start month in 1..12")
    return start[0] * 12 + start[1] - 1 + np.arange(count, dtype=np.int64)


def retention(
    customer,
    day,
    *,
    as_of_day: int,
    months=None,
    start: tuple[int, int] | None = None,
    count: int | None = None,
):
    """Cohort sizes and the cohort x months-since-first-order matrix.

    The cohorts are either ``months``, a list of consecutive ``(year, month)``
    pairs, or ``count`` months from ``start=(year, month)``.  Returns
    ``(cohort_sizes, matrix)``: int64 arrays of shape ``(n,)`` and ``(n, n)``
    (see the module docstring for the meaning and the -1 cells).
    """
    window = _window(months, start, count)
    n = len(window)
    customer = np.asarray(customer, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    if customer.shape != day.shape or customer.ndim != 1:
        raise ValueError("customer and day must be 1-D arrays of the same length")
    sizes = np.zeros(n, dtype=np.int64)
    matrix = np.zeros((n, n), dtype=np.int64)
    if n:
        last_seen = int(month_index(as_of_day)) - int(window[0])  # window position
        i, k = np.indices((n, n))
        matrix[(i + k >= n) | (i + k > last_seen)] = -1
    keep = day <= as_of_day
    customer, day = customer[keep], day[keep]
    if n == 0 or len(customer) == 0:
        return sizes, matrix
    month = month_index(day) - window[0]  # position in the window
    n_customers = int(customer.max()) + 1
    first = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, customer, month)
    cohort = first[customer]
    in_window = (cohort >= 0) & (cohort < n) & (month < n)
    cust, k = customer[in_window], (month - cohort)[in_window]
    # one count per (customer, month): k < n, so customer * n + k is unique
    # (sort and drop repeats: much faster than np.unique, which hashes)
    pairs = np.sort(cust * n + k)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]][: len(pairs)]]
    pair_cohort = first[pairs // n]
    counts = np.bincount(pair_cohort * n + pairs % n, minlength=n * n).reshape(n, n)
    observable = matrix >= 0
    matrix[observable] = counts[observable]
    sizes[:] = counts[:, 0]
    return sizes, matrix
