"""The satisfaction arithmetic of domain §6, without a database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.satisfaction import scoring
from manyi.satisfaction.scoring import BASICALLY, DISSATISFIED, SATISFIED

ratings = st.integers(min_value=1, max_value=5)
pairs = st.lists(st.tuples(ratings, ratings), min_size=1, max_size=12)


@pytest.mark.parametrize(("expectation", "perception", "verdict"), [(3, 5, SATISFIED), (4, 4, BASICALLY), (5, 2, DISSATISFIED)])
def test_a_driver_is_judged_by_perception_minus_expectation(expectation, perception, verdict):
    assert scoring.gap_verdict(scoring.gap(expectation, perception)) == verdict


@pytest.mark.parametrize(("score", "verdict"), [(5, SATISFIED), (4, SATISFIED), (3, BASICALLY), (2, DISSATISFIED), (1, DISSATISFIED)])
def test_csat_verdicts(score, verdict):
    assert scoring.verdict("csat", score=score) == verdict


@pytest.mark.parametrize(("score", "verdict"), [(10, SATISFIED), (9, SATISFIED), (8, BASICALLY), (7, BASICALLY), (6, DISSATISFIED), (0, DISSATISFIED)])
def test_nps_verdicts(score, verdict):
    assert scoring.verdict("nps", score=score) == verdict


def test_spe_verdict_is_the_sign_of_the_mean_gap():
    assert scoring.verdict("spe", gaps=[2, -1, -1]) == BASICALLY
    assert scoring.verdict("spe", gaps=[1, -2]) == DISSATISFIED
    assert scoring.verdict("spe", gaps=[1, 0, 0]) == SATISFIED
    with pytest.raises(ValueError):
        scoring.verdict("spe", gaps=[])
    with pytest.raises(ValueError):
        scoring.verdict("stars", score=3)


def test_csat_percent_and_nps():
    assert scoring.csat_percent([5, 4, 3, 1]) == 50
    assert scoring.csat_percent([]) is None
    # 2 promoters, 1 passive, 2 detractors of 5: 40% − 40%
    assert scoring.nps([10, 9, 8, 6, 0]) == 0
    assert scoring.nps([10, 10, 7, 3]) == 25
    assert scoring.nps([]) is None


def test_driver_gaps_and_the_largest_shortfalls():
    gaps = scoring.driver_gaps([("quality", 5, 2), ("quality", 4, 3), ("design", 3, 4), ("attitude", 4, 3), ("value", 3, 3)])
    by = {g.driver: g for g in gaps}
    assert (by["quality"].count, by["quality"].expectation, by["quality"].perception, by["quality"].gap) == (2, 4.5, 2.5, -2)
    assert by["design"].verdict == SATISFIED and by["value"].verdict == BASICALLY
    assert [g.driver for g in scoring.largest_gaps(gaps)] == ["quality", "attitude"]
    assert [g.driver for g in scoring.largest_gaps(gaps, limit=1)] == ["quality"]


@given(pairs)
def test_the_verdict_agrees_with_the_mean_of_the_driver_gaps(answers):
    gaps = [scoring.gap(e, p) for e, p in answers]
    mean = scoring.mean(gaps)
    verdict = scoring.verdict("spe", gaps=gaps)
    assert verdict == (SATISFIED if mean > 1e-9 else DISSATISFIED if mean < -1e-9 else BASICALLY)
    assert -4 <= mean <= 4


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=50))
def test_nps_is_promoters_minus_detractors_within_its_bounds(scores):
    value = scoring.nps(scores)
    assert -100 <= value <= 100
    verdicts = [scoring.verdict("nps", score=s) for s in scores]
    assert value == pytest.approx(100 * (verdicts.count(SATISFIED) - verdicts.count(DISSATISFIED)) / len(scores))


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=50))
def test_csat_percent_is_the_share_of_satisfied_verdicts(scores):
    verdicts = [scoring.verdict("csat", score=s) for s in scores]
    assert scoring.csat_percent(scores) == pytest.approx(100 * verdicts.count(SATISFIED) / len(scores))


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), ratings, ratings), min_size=1, max_size=30))
def test_driver_means_weigh_every_answer_once(rows):
    gaps = scoring.driver_gaps(rows)
    assert sum(g.count for g in gaps) == len(rows)
    for g in gaps:
        mine = [(e, p) for d, e, p in rows if d == g.driver]
        assert g.gap == pytest.approx(sum(p - e for e, p in mine) / len(mine))
    ranked = scoring.largest_gaps(gaps)
    assert all(g.gap < 0 for g in ranked) and [g.gap for g in ranked] == sorted(g.gap for g in ranked)
