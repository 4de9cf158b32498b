"""metrics.grades: the Pareto curve, A-D grades and importance classes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.metrics import grades

RANK = {name: i for i, name in enumerate(grades.GRADES)}
IMP_RANK = {name: i for i, name in enumerate(grades.IMPORTANCE)}


def test_pareto_and_top_share_by_hand():
    cs, vs = grades.pareto([10, 0, 30, 60])
    assert cs.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert np.allclose(vs, [0.6, 0.9, 1.0, 1.0])
    assert grades.top_share([10, 0, 30, 60], 0.25) == pytest.approx(0.6)
    assert grades.top_share([10, 0, 30, 60], 0.2) == pytest.approx(0.48)  # 0.8 of the top customer
    assert grades.top_share([10, 0, 30, 60], 1.0) == pytest.approx(1.0)


def test_pareto_edge_cases():
    cs, vs = grades.pareto([])
    assert len(cs) == len(vs) == 0
    assert grades.top_share([]) == 0.0
    assert grades.pareto([0, 0])[1].tolist() == [0.0, 0.0]
    assert grades.pareto([-5, 10])[1].tolist() == [1.0, 1.0]  # negative counts as nothing


def test_grades_by_hand():
    value = [1, 50, 0, 30, 10, 5, 3, 1, -5]  # total of positive values: 100
    # cumulative shares, by value desc: .50 .80 .90 .95 .98 .99 1.0 -> A A B B C C (D -> C: tie)
    got = grades.propose_grades(value)
    assert got.tolist() == ["C", "A", "D", "A", "B", "B", "C", "C", "D"]
    assert got.dtype == np.dtype("<U1")


def test_top_customer_is_always_a_and_ties_take_the_better_grade():
    assert grades.propose_grades([100, 1]).tolist() == ["A", "D"]
    assert grades.propose_grades([50, 50]).tolist() == ["A", "A"]
    assert grades.propose_grades([40, 40, 20]).tolist() == ["A", "A", "D"]


def test_cutoffs_are_validated():
    with pytest.raises(ValueError, match="strictly increasing"):
        grades.propose_grades([1, 2], cutoffs=(0.9, 0.8, 0.99))
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        grades.propose_grades([1, 2], cutoffs=(0.0, 0.5, 0.9))
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        grades.propose_grades([1, 2], cutoffs=(0.5, 0.9, 1.5))
    with pytest.raises(ValueError, match="exactly 3"):
        grades.propose_grades([1, 2], cutoffs=(0.5, 0.9))
    with pytest.raises(ValueError, match="NaN"):
        grades.propose_grades([1, float("nan")])
    with pytest.raises(ValueError, match="shares"):
        grades.propose_importance([1, 2], shares=(0.2, 0.05, 0.7))


def test_importance_by_hand():
    value = np.r_[np.arange(100, 0, -1), 0]  # 100 positive customers and one without value
    got = grades.propose_importance(value)
    assert (got[:5] == "key").all() and (got[5:20] == "major").all()
    assert (got[20:70] == "ordinary").all() and (got[70:] == "small").all()
    assert got.dtype == np.dtype("<U8")


def test_importance_small_shops_and_ties():
    assert grades.propose_importance([7]).tolist() == ["key"]
    assert grades.propose_importance([7, 0]).tolist() == ["key", "small"]
    # of 10 customers the top one is key (ceil of 5 %), the next one major
    got = grades.propose_importance(np.arange(10, 0, -1))
    assert got[:3].tolist() == ["key", "major", "ordinary"]
    assert grades.propose_importance([5, 5, 5, 5]).tolist() == ["key"] * 4


def test_empty_and_all_zero():
    assert grades.propose_grades([]).tolist() == [] and grades.propose_importance([]).tolist() == []
    assert grades.propose_grades([0, 0, -1]).tolist() == ["D", "D", "D"]
    assert grades.propose_importance([0, 0, -1]).tolist() == ["small"] * 3


values = st.lists(st.one_of(st.just(0.0), st.integers(-3, 40).map(float), st.floats(0.01, 1e6)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(values)
def test_grade_properties(value):
    v = np.array(value, dtype=np.float64)
    g = np.array([RANK[x] for x in grades.propose_grades(v).tolist()], dtype=int)
    i = np.array([IMP_RANK[x] for x in grades.propose_importance(v).tolist()], dtype=int)
    assert len(g) == len(i) == len(v)
    for rank in (g, i):
        # more value never gets a worse grade; equal values the same one
        assert not ((v[:, None] > v[None, :]) & (rank[:, None] > rank[None, :])).any()
        assert not ((v[:, None] == v[None, :]) & (rank[:, None] != rank[None, :])).any()
        assert (rank[v <= 0] == 3).all()
    if (v > 0).any():
        assert g[np.argmax(v)] == 0 and i[np.argmax(v)] == 0
        # the A customers above the lowest A value bring at most 80 % (the lowest may be a tie
        # pulled up, or the top customer alone)
        above = v > v[g == 0].min()
        assert v[above].sum() <= 0.8 * v[v > 0].sum() * (1 + 1e-9)
    _, vs = grades.pareto(v)
    assert (np.diff(vs) >= -1e-12).all() and (len(vs) == 0 or vs[-1] in (0.0, pytest.approx(1.0)))
    assert 0.0 <= grades.top_share(v, 0.2) <= 1.0 + 1e-12
