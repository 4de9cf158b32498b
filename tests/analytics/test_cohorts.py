"""metrics.cohorts: month indexes and the retention matrix."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.metrics import cohorts

EPOCH = dt.date(1970, 1, 1)


def day(y, m, d):
    return (dt.date(y, m, d) - EPOCH).days


def test_month_index():
    days = np.array([0, day(2024, 2, 29), day(2024, 3, 1), -1, day(1999, 12, 31)], dtype=np.int32)
    want = [1970 * 12, 2024 * 12 + 1, 2024 * 12 + 2, 1969 * 12 + 11, 1999 * 12 + 11]
    assert cohorts.month_index(days).tolist() == want
    assert int(cohorts.month_index(day(2025, 1, 15))) == 2025 * 12


ORDERS = [
    (0, day(2024, 1, 5)), (0, day(2024, 2, 3)), (0, day(2024, 2, 20)), (0, day(2024, 4, 1)),
    (1, day(2024, 3, 1)), (1, day(2024, 1, 31)),
    (2, day(2024, 2, 10)), (2, day(2024, 4, 11)),  # the April order is after as_of
    (3, day(2023, 12, 25)), (3, day(2024, 2, 1)),  # first ordered before the window
    (4, day(2024, 4, 5)),
    (5, day(2024, 5, 1)),  # only after as_of
]  # fmt: skip


def _arrays():
    c, d = zip(*ORDERS, strict=True)
    return np.array(c), np.array(d, dtype=np.int32)


def test_retention_by_hand():
    c, d = _arrays()
    sizes, matrix = cohorts.retention(c, d, start=(2024, 1), count=4, as_of_day=day(2024, 4, 10))
    assert sizes.tolist() == [2, 1, 0, 1]
    assert matrix.tolist() == [
        [2, 1, 1, 1],  # Jan: both; Feb: customer 0; Mar: customer 1; Apr: customer 0
        [1, 0, 0, -1],  # Feb: customer 2, who did not come back (the April order is too late)
        [0, 0, -1, -1],
        [1, -1, -1, -1],
    ]
    same = cohorts.retention(c, d, months=[(2024, 1), (2024, 2), (2024, 3), (2024, 4)], as_of_day=day(2024, 4, 10))
    assert same[0].tolist() == sizes.tolist() and same[1].tolist() == matrix.tolist()


def test_months_after_as_of_are_not_observable():
    c, d = _arrays()
    sizes, matrix = cohorts.retention(c, d, start=(2024, 1), count=4, as_of_day=day(2024, 2, 15))
    assert sizes.tolist() == [2, 1, 0, 0]
    assert matrix.tolist() == [[2, 1, -1, -1], [1, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1]]


def test_window_is_validated():
    c, d = _arrays()
    with pytest.raises(ValueError, match="consecutive"):
        cohorts.retention(c, d, months=[(2024, 1), (2024, 3)], as_of_day=day(2024, 4, 10))
    with pytest.raises(ValueError, match="either"):
        cohorts.retention(c, d, months=[(2024, 1)], start=(2024, 1), count=1, as_of_day=0)
    with pytest.raises(ValueError, match="start"):
        cohorts.retention(c, d, as_of_day=0)
    with pytest.raises(ValueError, match="1..12"):
        cohorts.retention(c, d, start=(2024, 13), count=2, as_of_day=0)


def test_empty():
    sizes, matrix = cohorts.retention([], [], start=(2024, 1), count=3, as_of_day=day(2024, 6, 1))
    assert sizes.tolist() == [0, 0, 0]
    assert matrix.tolist() == [[0, 0, 0], [0, 0, -1], [0, -1, -1]]
    sizes, matrix = cohorts.retention([0], [day(2024, 1, 1)], start=(2024, 1), count=0, as_of_day=day(2024, 6, 1))
    assert sizes.shape == (0,) and matrix.shape == (0, 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(day(2023, 11, 1), day(2024, 7, 31))), max_size=40),
    st.integers(1, 8),
)
def test_retention_matches_a_plain_loop(rows, count):
    as_of = day(2024, 5, 20)
    c = np.array([r[0] for r in rows], dtype=np.int64)
    d = np.array([r[1] for r in rows], dtype=np.int32)
    sizes, matrix = cohorts.retention(c, d, start=(2024, 1), count=count, as_of_day=as_of)

    def month(x):
        date = EPOCH + dt.timedelta(days=int(x))
        return date.year * 12 + date.month - 1

    start, last = 2024 * 12, month(as_of)
    seen = {}
    for cust, x in rows:
        if x <= as_of:
            seen.setdefault(cust, set()).add(month(x))
    want = np.zeros((count, count), dtype=int)
    for months in seen.values():
        i = min(months) - start
        if 0 <= i < count:
            for m in months:
                if m - start < count:
                    want[i, m - min(months)] += 1
    for i in range(count):
        for k in range(count):
            if i + k >= count or start + i + k > last:
                want[i, k] = -1
    assert matrix.tolist() == want.tolist()
    assert sizes.tolist() == [max(x, 0) for x in want[:, 0]]
