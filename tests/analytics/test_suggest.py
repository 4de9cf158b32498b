"""metrics.suggest: co-occurrence suggestions, the popularity baseline, hit rate."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.metrics import suggest


def world(seed, *, n=3000, families=6, size=4, history=3, p_family=0.6):
    """Products in families; a customer has a favourite family that takes
    p_family of their purchases, the rest follow a popularity (Zipf) curve
    across all products.  Returns the history pairs and one later purchase
    per customer (the held-out month)."""
    rng = np.random.default_rng(seed)
    p = families * size
    pop = 1.0 / np.arange(1, p + 1)
    pop /= pop.sum()
    favourite = rng.integers(0, families, n)

    def draw(m):
        in_family = favourite[:, None] * size + rng.integers(0, size, (n, m))
        return np.where(rng.random((n, m)) < p_family, in_family, rng.choice(p, (n, m), p=pop))

    history = draw(history)
    customer = np.repeat(np.arange(n), history.shape[1])
    return n, p, customer, history.ravel(), np.arange(n), draw(1).ravel()


def test_co_occurrence_beats_popularity_on_a_held_out_month():
    n, p, c, prod, held_c, held_p = world(seed=11)
    model = suggest.CoOccurrence().fit(c, prod, n_customers=n, n_products=p, min_support=5)
    picked = model.suggest(c, prod, k=3)
    popular = suggest.popular(c, prod, k=3, n_customers=n, n_products=p)
    everyone = np.broadcast_to(suggest.popular(prod, 3), (n, 3))
    rate = {
        name: suggest.hit_rate(s, held_c, held_p, before_customer=c, before_product=prod)
        for name, s in (("co", picked.product), ("popular", popular), ("everyone", everyone))
    }
    assert rate["co"] > rate["popular"] + 0.1, rate
    assert rate["popular"] >= rate["everyone"], rate  # skipping owned products helps too


def test_reasons_are_consistent():
    n, p, c, prod, _, _ = world(seed=3, n=800)
    model = suggest.CoOccurrence().fit(c, prod, n_customers=n, n_products=p, min_support=3)
    s = model.suggest(c, prod, k=4)
    owned = np.zeros((n, p), dtype=bool)
    owned[c, prod] = True
    rows = np.repeat(np.arange(n), 4).reshape(n, 4)
    valid = s.product >= 0
    assert not owned[rows[valid], s.product[valid]].any()  # never an owned product
    rule = s.because >= 0
    assert owned[rows[rule], s.because[rule]].all()  # the reason is owned
    assert np.array_equal(s.share[rule], model.conf[s.because[rule], s.product[rule]])
    assert np.array_equal(s.score[rule], s.share[rule])
    fill = valid & ~rule
    assert (s.score[fill] == 0).all() and np.allclose(s.share[fill], model.popularity[s.product[fill]])
    assert (s.because[~valid] == -1).all() and (s.share[~valid] == 0).all()
    # best first: scores never increase along a row
    assert (np.diff(s.score, axis=1) <= 0).all()
    # a product per row at most once
    for row in s.product:
        got = row[row >= 0]
        assert len(set(got.tolist())) == len(got)


def test_customers_without_purchases_get_the_most_popular():
    c = np.array([0, 0, 1, 1, 2])
    prod = np.array([0, 1, 1, 2, 1])
    model = suggest.CoOccurrence().fit(c, prod, n_customers=5, n_products=4, min_support=1)
    s = model.suggest(c, prod, k=3)
    assert s.product[3].tolist() == s.product[4].tolist() == [1, 0, 2]  # product 3: nobody bought it
    assert s.because[3].tolist() == [-1, -1, -1]
    assert np.allclose(s.share[3], [3 / 3, 1 / 3, 1 / 3])
    # customer 2 owns 1: one of its 3 buyers also bought 0, one also bought 2
    assert s.product[2].tolist() == [0, 2, -1] and s.because[2].tolist() == [1, 1, -1]
    assert np.allclose(s.share[2, :2], [1 / 3, 1 / 3])


def test_min_support_drops_rare_pairs():
    c = np.array([0, 0, 1, 1, 1, 2, 2])
    prod = np.array([0, 1, 0, 1, 2, 0, 2])
    model = suggest.CoOccurrence().fit(c, prod, n_customers=3, n_products=3, min_support=2)
    assert model.together.toarray().tolist() == [[3, 2, 2], [2, 2, 1], [2, 1, 2]]
    assert model.conf[1, 2] == 0 and model.conf[0, 1] == pytest.approx(2 / 3)
    assert model.conf[1, 0] == 1.0 and np.diag(model.conf).tolist() == [0, 0, 0]


def test_pair_counting_agrees_with_the_sparse_product(monkeypatch):
    rng = np.random.default_rng(5)
    c, prod = rng.integers(0, 300, 2000), rng.integers(0, 30, 2000)
    fast = suggest.CoOccurrence().fit(c, prod, n_customers=300, n_products=30)
    monkeypatch.setattr(suggest, "_PAIR_COUNT_MAX", 0)
    sparse = suggest.CoOccurrence().fit(c, prod, n_customers=300, n_products=30)
    assert np.array_equal(fast.together.toarray(), sparse.together.toarray())


def test_popular():
    prod = np.array([2, 2, 1, 2, 1, 0])
    assert suggest.popular(prod, 2).tolist() == [2, 1]
    assert suggest.popular(prod, k=5).tolist() == [2, 1, 0, -1, -1]
    per_customer = suggest.popular(np.array([0, 0, 1, 1, 2, 3]), prod, k=2, n_customers=5)
    assert per_customer.tolist() == [[1, 0], [0, -1], [2, 0], [1, 2], [1, 2]]


def test_hit_rate():
    suggested = np.array([[1, 2], [3, -1], [0, 1], [0, 1]])
    held_c, held_p = np.array([0, 1, 2, 0]), np.array([2, 0, 1, 2])
    assert suggest.hit_rate(suggested, held_c, held_p) == pytest.approx(2 / 3)
    # customer 2 had bought 1 before: a re-buy, so it is not counted
    assert suggest.hit_rate(suggested, held_c, held_p, before_customer=[2], before_product=[1]) == 0.5
    assert np.isnan(suggest.hit_rate(suggested, [], []))


def test_memory_stays_bounded():
    rng = np.random.default_rng(1)
    n, p = 100_000, 200
    c, prod = rng.integers(0, n, 300_000), rng.integers(0, p, 300_000)
    model = suggest.CoOccurrence().fit(c, prod, n_customers=n, n_products=p, min_support=2)
    tracemalloc.start()
    model.suggest(c, prod, k=3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40e6, peak  # a dense n x p array would be 40 MB even in uint16 (160 MB in float64)


def test_validation():
    with pytest.raises(ValueError, match="outside"):
        suggest.CoOccurrence().fit([0], [5], n_customers=1, n_products=5)
    with pytest.raises(ValueError, match="dense"):
        suggest.CoOccurrence().fit([], [], n_customers=1, n_products=suggest.MAX_PRODUCTS + 1)
    model = suggest.CoOccurrence().fit([0], [0], n_customers=1, n_products=1)
    with pytest.raises(ValueError, match="positive"):
        model.suggest([0], [0], k=0)


def _expected(owned, conf, buyers, popularity, i, k):
    """Suggestions for customer i by brute force, as the module documents them."""
    mine = np.flatnonzero(owned[i])
    ranked = []
    for y in range(owned.shape[1]):
        if owned[i, y]:
            continue
        score = conf[mine, y].max() if len(mine) else 0.0
        if score > 0:
            ranked.append((0, -score, y, int(mine[np.flatnonzero(conf[mine, y] == score)[0]]), score, score))
        elif buyers[y] > 0:
            ranked.append((1, -buyers[y], y, -1, 0.0, popularity[y]))
    ranked.sort()
    return ranked[:k]


pairs = st.integers(1, 90).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.integers(1, 9),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 8)), max_size=250),
        st.integers(1, 3),
        st.integers(1, 5),
        st.integers(1, 40),
    )
)


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_matches_brute_force(data):
    n, p, rows, min_support, k, chunk = data
    rows = [(c, x % p) for c, x in rows]
    c = np.array([r[0] for r in rows], dtype=np.int64)
    prod = np.array([r[1] for r in rows], dtype=np.int64)
    model = suggest.CoOccurrence().fit(c, prod, n_customers=n, n_products=p, min_support=min_support)
    s = model.suggest(c, prod, k=k, chunk=chunk)
    owned = np.zeros((n, p), dtype=bool)
    owned[c, prod] = True
    u = owned.astype(int)
    assert np.array_equal(model.together.toarray(), u.T @ u)
    for i in range(n):
        want = _expected(owned, model.conf, model.buyers, model.popularity, i, k)
        want += [(None, None, -1, -1, 0.0, 0.0)] * (k - len(want))
        assert s.product[i].tolist() == [w[2] for w in want], i
        assert s.because[i].tolist() == [w[3] for w in want], i
        assert np.allclose(s.score[i], [w[4] for w in want]) and np.allclose(s.share[i], [w[5] for w in want]), i


def test_many_blocks_match_one(monkeypatch):
    n, p, c, prod, _, _ = world(seed=8, n=1500)
    model = suggest.CoOccurrence().fit(c, prod, n_customers=n, n_products=p, min_support=2)
    whole = model.suggest(c, prod, k=3, chunk=n)
    monkeypatch.setattr(suggest, "_BLOCK_BYTES", 1)  # blocks of 64 customers
    pieces = model.suggest(c, prod, k=3, chunk=333)
    for field in ("product", "because", "score", "share"):
        assert np.array_equal(getattr(whole, field), getattr(pieces, field)), field
