"""metrics.rfm: aggregates, value-cut quintiles, the R x F segment grid."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.metrics import rfm

AS_OF = 100

# customer: (day, amount) orders; 5 has only an order after AS_OF, 3 has one too
ORDERS = {
    0: [(99, 100.0), (90, 50.0), (80, 50.0)],
    1: [(50, 10.0)],
    2: [(95, 30.0), (60, 30.0)],
    3: [(10, 500.0), (101, 1000.0)],
    4: [(98, 25.0), (97, 25.0), (96, 25.0), (95, 25.0)],
    5: [(200, 80.0)],
}


def _arrays(orders):
    rows = [(c, d, a) for c, items in orders.items() for d, a in items]
    rows.reverse()  # unsorted on purpose
    c, d, a = zip(*rows, strict=True)
    return np.array(c, dtype=np.int64), np.array(d, dtype=np.int32), np.array(a)


def _hand():
    c, d, a = _arrays(ORDERS)
    agg = rfm.aggregate(c, d, a, n_customers=7, as_of_day=AS_OF)  # 6: never ordered
    return agg, rfm.scores(agg, as_of_day=AS_OF)


def test_aggregate_by_hand():
    agg, _ = _hand()
    assert agg.has_orders.tolist() == [True, True, True, True, True, False, False]
    assert agg.order_count.tolist() == [3, 1, 2, 1, 4, 0, 0]
    assert agg.total_amount.tolist() == [200.0, 10.0, 60.0, 500.0, 100.0, 0.0, 0.0]
    assert agg.first_day[:5].tolist() == [80, 50, 60, 10, 95]
    assert agg.last_day[:5].tolist() == [99, 50, 95, 10, 98]
    assert (agg.first_day[5:] == rfm.NO_DAY).all() and (agg.last_day[5:] == rfm.NO_DAY).all()


def test_scores_by_hand():
    _, s = _hand()
    assert s.recency_days.tolist() == [1, 50, 5, 90, 2, -1, -1]
    # five customers: the cuts are the four smallest values, so distinct values score by rank
    assert s.r.tolist() == [5, 2, 3, 1, 4, 0, 0]
    assert s.m.tolist() == [4, 1, 2, 5, 3, 0, 0]
    # counts 3,1,2,1,4: cuts 1,1,2,3; the tie at 1 stays together and 2 jumps to F3
    assert s.f.tolist() == [4, 1, 3, 1, 5, 0, 0]
    assert s.f_cuts.tolist() == [1, 1, 2, 3]
    assert s.r_cuts.tolist() == [90, 50, 5, 2]
    assert s.r.dtype == s.f.dtype == s.m.dtype == np.int8


def test_segments_by_hand():
    _, s = _hand()
    names = [rfm.SEGMENTS[i] for i in rfm.segment(s.r, s.f, s.m)]
    assert names == ["champions", "hibernating", "loyal", "lost", "champions", "none", "none"]


# The grid's rules in words (the docstring's), each (r, f) must match exactly one.
RULES = {
    "champions": lambda r, f: r >= 4 and f >= 4,
    "loyal": lambda r, f: r >= 3 and f >= 3 and not (r >= 4 and f >= 4),
    "potential": lambda r, f: r >= 4 and f <= 2 and (r, f) != (5, 1),
    "new": lambda r, f: (r, f) == (5, 1),
    "at_risk": lambda r, f: r <= 2 and 3 <= f <= 4,
    "cant_lose": lambda r, f: r <= 2 and f == 5,
    "hibernating": lambda r, f: 2 <= r <= 3 and f <= 2,
    "lost": lambda r, f: r == 1 and f <= 2,
}


def test_grid_covers_every_pair_exactly_once():
    assert set(RULES) | {"none"} == set(rfm.SEGMENTS)
    for r in range(1, 6):
        for f in range(1, 6):
            matching = [name for name, rule in RULES.items() if rule(r, f)]
            assert len(matching) == 1, (r, f, matching)
            assert rfm.SEGMENTS[rfm.segment(np.array([r]), np.array([f]))[0]] == matching[0]
    assert {rfm.SEGMENTS[c] for c in rfm.GRID[1:, 1:].ravel()} == set(RULES)
    assert (rfm.GRID[0, :] == rfm.NONE).all() and (rfm.GRID[:, 0] == rfm.NONE).all()


def test_segment_rejects_scores_out_of_range():
    with pytest.raises(ValueError, match="r scores"):
        rfm.segment(np.array([6]), np.array([1]), np.array([1]))


def test_migration_counts():
    before = np.array([0, 0, 8, 7, 0], dtype=np.int8)
    after = np.array([0, 1, 3, 7, 1], dtype=np.int8)
    m = rfm.migration(before, after)
    assert m.shape == (len(rfm.SEGMENTS), len(rfm.SEGMENTS))
    assert m[0, 0] == 1 and m[0, 1] == 2 and m[8, 3] == 1 and m[7, 7] == 1
    assert m.sum() == 5
    with pytest.raises(ValueError, match="same shape"):
        rfm.migration(before, after[:2])


def test_aggregate_validates_input():
    with pytest.raises(ValueError, match="same length"):
        rfm.aggregate([0, 1], [1], [1.0, 2.0], n_customers=2, as_of_day=5)
    with pytest.raises(ValueError, match="outside"):
        rfm.aggregate([0, 2], [1, 1], [1.0, 2.0], n_customers=2, as_of_day=5)


def test_no_orders_at_all():
    agg = rfm.aggregate([], [], [], n_customers=3, as_of_day=5)
    s = rfm.scores(agg, as_of_day=5)
    assert s.r.tolist() == s.f.tolist() == s.m.tolist() == [0, 0, 0]
    assert (rfm.segment(s.r, s.f, s.m) == rfm.NONE).all()


orders = st.integers(1, 25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1), st.integers(0, 60), st.sampled_from([0.0, 5.0, 9.99, 10.0, 120.5, 3000.0])
            ),
            max_size=80,
        ),
    )
)


@settings(max_examples=200, deadline=None)
@given(orders)
def test_score_properties(data):
    n, rows = data
    c = np.array([r[0] for r in rows], dtype=np.int64)
    d = np.array([r[1] for r in rows], dtype=np.int32)
    a = np.array([r[2] for r in rows], dtype=np.float64)
    agg = rfm.aggregate(c, d, a, n_customers=n, as_of_day=50)  # days 51..60 do not count
    s = rfm.scores(agg, as_of_day=50)
    has = agg.has_orders
    assert has.tolist() == [bool(((c == i) & (d <= 50)).any()) for i in range(n)]
    for score, value in ((s.r, -s.recency_days), (s.f, agg.order_count), (s.m, agg.total_amount)):
        assert ((score >= 1) & (score <= 5))[has].all() and (score[~has] == 0).all()
        v, sc = value[has], score[has]
        # monotone, and equal values share a score
        assert not ((v[:, None] > v[None, :]) & (sc[:, None] < sc[None, :])).any()
        assert not ((v[:, None] == v[None, :]) & (sc[:, None] != sc[None, :])).any()
        # value cut points: at most 20 % score 5, at most 40 % score 4 or more, ...
        for level in range(2, 6):
            assert (sc >= level).sum() <= (6 - level) / 5 * has.sum() + 1e-9
    seg = rfm.segment(s.r, s.f, s.m)
    assert seg.shape == (n,) and ((seg >= 0) & (seg < len(rfm.SEGMENTS))).all()
    assert ((seg == rfm.NONE) == ~has).all()
    assert rfm.migration(seg, seg).trace() == n
