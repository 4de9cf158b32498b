"""Customer lifetime value: RFM summary, BG/NBD, Gamma-Gamma (manyi.analytics.metrics.clv).

Reference numbers:
- published: Fader, Hardie & Lee (2005) fit BG/NBD to the CDNOW sample with
  r=0.243, alpha=4.414, a=0.793, b=2.426, and the x=2, t_x=30.43, T=38.86
  customer expects 1.226 purchases in the next 39 weeks; Fader & Hardie's
  note 025 fits Gamma-Gamma with p=6.25, q=3.74, gamma=15.44.
- LIFETIMES_*: computed once with lifetimes 0.11.3 (BetaGeoFitter().fit and
  GammaGammaFitter().fit with default settings on the same CSV files; the
  log-likelihoods by calling their _negative_log_likelihood at the fitted
  parameters on the unscaled data, times the number of customers). lifetimes
  is a benchmark-only dependency, so the numbers are hard-coded here.
- mpmath: the papers' closed forms evaluated with 50 significant digits (30 where a
  and b run to 1e12, the 2F1 then by Euler's integral where mpmath's own gives up).
"""

import functools
import os
import warnings
from collections import defaultdict
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from manyi.analytics.metrics.clv import (
    BetaGeo,
    GammaGamma,
    Summary,
    lifetime_value,
    summarise,
)

# The shared CLV data (never copied into the repository): beside the checkout
# (../shared/data), or where MANYI_SHARED_DATA or this machine keeps it.
DATA = next(
    (
        folder / "clv"
        for folder in (
            Path(os.environ.get("MANYI_SHARED_DATA", "/nonexistent")),
            Path(__file__).resolve().parents[2].parent / "shared" / "data",
            Path("/work/shared/data"),
        )
        if (folder / "clv" / "cdnow_customers_summary.csv").exists()
    ),
    Path("/work/shared/data/clv"),
)

LIFETIMES_BG = {"r": 0.24259292827982182, "alpha": 4.413532265271819, "a": 0.7928859664406882, "b": 2.42575238262586}
LIFETIMES_BG_LL = -9582.425560567368
LIFETIMES_E39 = 1.2259104241743999  # conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
LIFETIMES_P_ALIVE = [1.0, 0.726609136799059, 0.6418006393519146]  # x=(0, 2, 7), t_x=(0, 30.43, 29.43), T=38.86
LIFETIMES_NEW = [0.05318473689563137, 1.1950162284461952, 1.8579717035277383]  # t = 1, 39, 78
LIFETIMES_GG = {"p": 6.248802496075312, "q": 3.744588460923114, "gamma": 15.44774806492914}
LIFETIMES_GG_LL = -4055.9232435028644
LIFETIMES_SPEND = [24.658616189236472, 35.17100215250665, 30.4175597831664]  # x=(2, 0, 5), m=(22.35, 0, 30)
# ggf.customer_lifetime_value(bgf, x, t_x, T=38.86, m, time=12, discount_rate=0.01, freq="W")
LIFETIMES_CLV_W = [36.27849576362541, 4.637466328569604, 8.344093121809983, 157.56590444913445]
CLV_CUSTOMERS = {"frequency": [2, 1, 0, 7], "recency": [30.43, 1.71, 0.0, 29.43], "T": 38.86, "monetary": [22.35, 11.77, 0.0, 40.0]}

CDNOW_PARAMS = (0.243, 4.414, 0.793, 2.426)


def _csv(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"CDNOW data not found at {path}")
    return np.genfromtxt(path, delimiter=",", names=True)


@pytest.fixture(scope="module")
def cdnow():
    return _csv("cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_spend():
    return _csv("cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def bg(cdnow):
    return BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def gg(cdnow_spend):
    repeat = cdnow_spend["x"] > 0
    return GammaGamma().fit(cdnow_spend["x"][repeat], cdnow_spend["zbar"][repeat])


# --- CDNOW: published and lifetimes numbers ---------------------------------------------


def test_cdnow_data_is_the_published_sample(cdnow, cdnow_spend):
    assert len(cdnow) == 2357 and cdnow["T"].max() == pytest.approx(38.86)
    assert len(cdnow_spend) == 2357


def test_bgnbd_fit_matches_the_paper_and_lifetimes(bg):
    assert (round(bg.r, 3), round(bg.alpha, 3), round(bg.a, 3), round(bg.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    for name, value in LIFETIMES_BG.items():
        assert round(getattr(bg, name), 4) == round(value, 4)
        assert getattr(bg, name) == pytest.approx(value, rel=1e-5)
    assert bg.log_likelihood == pytest.approx(LIFETIMES_BG_LL, abs=1e-6)
    assert round(bg.log_likelihood, 1) == -9582.4  # as published
    assert bg.converged and bg.n_iterations > 0


def test_bgnbd_predictions_match_the_paper_and_lifetimes(bg):
    e39 = bg.expected_purchases(39, 2, 30.43, 38.86)
    assert round(float(e39), 3) == 1.226
    assert e39 == pytest.approx(LIFETIMES_E39, rel=1e-6)
    alive = bg.p_alive([0, 2, 7], [0, 30.43, 29.43], 38.86)
    np.testing.assert_allclose(alive, LIFETIMES_P_ALIVE, rtol=1e-6)
    np.testing.assert_allclose(bg.expected_purchases_new([1.0, 39.0, 78.0]), LIFETIMES_NEW, rtol=1e-6)


def test_bgnbd_weights_equal_repeated_rows(cdnow, bg):
    rows = np.stack([cdnow["frequency"], cdnow["recency"], cdnow["T"]], axis=1)
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(distinct) < len(rows)
    weighted = BetaGeo().fit(*distinct.T, weights=counts)
    np.testing.assert_allclose(weighted.params, bg.params, rtol=1e-8)
    assert weighted.log_likelihood == pytest.approx(bg.log_likelihood, rel=1e-12)


def test_gamma_gamma_fit_matches_the_note_and_lifetimes(gg, cdnow_spend):
    # The note prints 6.25, 3.74, 15.44; the maximum is at gamma = 15.4477 (lifetimes agrees),
    # so gamma is checked to within 0.01 of the printed value rather than by rounding.
    assert (round(gg.p, 2), round(gg.q, 2)) == (6.25, 3.74)
    assert abs(gg.gamma - 15.44) < 0.01
    for name, value in LIFETIMES_GG.items():
        assert round(getattr(gg, name), 3) == round(value, 3)
        assert getattr(gg, name) == pytest.approx(value, rel=1e-5)
    assert gg.log_likelihood == pytest.approx(LIFETIMES_GG_LL, abs=1e-6)
    assert gg.converged
    everyone = GammaGamma().fit(cdnow_spend["x"], cdnow_spend["zbar"])  # x = 0 rows are left out
    np.testing.assert_allclose(everyone.params, gg.params, rtol=1e-10)


def test_spend_and_lifetime_value_match_lifetimes(bg, gg):
    np.testing.assert_allclose(gg.expected_spend([2, 0, 5], [22.35, 0, 30.0]), LIFETIMES_SPEND, rtol=1e-6)
    clv = lifetime_value(bg, gg, **CLV_CUSTOMERS, month_days=4.345 * 7)
    np.testing.assert_allclose(clv, LIFETIMES_CLV_W, rtol=1e-5)


def test_lifetime_value_is_the_discounted_sum_of_monthly_purchases(bg, gg):
    c = CLV_CUSTOMERS
    month = (365.25 / 12) / 7
    spend = gg.expected_spend(c["frequency"], c["monetary"])
    upto = [bg.expected_purchases(i * month, c["frequency"], c["recency"], c["T"]) for i in range(25)]
    want = sum(spend * (upto[i] - upto[i - 1]) / 1.02**i for i in range(1, 25))
    got = lifetime_value(bg, gg, **c, months=24, monthly_discount=0.02)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(lifetime_value(bg, gg, **c, months=0), 0.0)
    # the same customers and model in days instead of weeks (alpha scales with time) give the same value
    daily = BetaGeo(bg.r, bg.alpha * 7, bg.a, bg.b)
    in_days = lifetime_value(daily, gg, c["frequency"], np.multiply(c["recency"], 7), c["T"] * 7, c["monetary"],
                             months=24, monthly_discount=0.02, unit_days=1.0)
    np.testing.assert_allclose(in_days, got, rtol=1e-10)


def test_lifetime_value_with_the_spend_given(bg, gg):
    c = CLV_CUSTOMERS
    rfm = (c["frequency"], c["recency"], c["T"])
    spend = gg.expected_spend(c["frequency"], c["monetary"])
    np.testing.assert_allclose(lifetime_value(bg, None, *rfm, spend=spend), lifetime_value(bg, gg, **c), rtol=1e-14)
    # a Gamma-Gamma fit with q <= 1 has no finite mean spend: the caller passes each customer's
    # own average order instead, and the model (passed or not) is not consulted
    own = np.array([30.0, 11.77, 25.0, 40.0])
    per_unit = lifetime_value(bg, None, *rfm, spend=1.0)
    assert (per_unit > 0).all()
    np.testing.assert_allclose(lifetime_value(bg, GammaGamma(2.0, 0.9, 10.0), **c, spend=own), per_unit * own, rtol=1e-14)
    np.testing.assert_allclose(lifetime_value(bg, None, *rfm, None, spend=own, months=0), 0.0)
    with pytest.raises(ValueError, match="GammaGamma model and monetary values, or spend"):
        lifetime_value(bg, None, **c)
    with pytest.raises(ValueError, match="GammaGamma model and monetary values, or spend"):
        lifetime_value(bg, gg, *rfm)
    with pytest.raises(ValueError, match="same length"):
        lifetime_value(bg, None, *rfm, spend=[1.0, 2.0])
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="spend must be finite and non-negative"):
            lifetime_value(bg, None, *rfm, spend=[1.0, 2.0, bad, 3.0])


# --- the hypergeometric part against mpmath ---------------------------------------------


@functools.cache
def mp_alive(params, t, x, T):
    """[BG eq. 10] over P(alive) (it does not depend on t_x) with 50 significant digits,
    or more where the values at two precisions disagree (mpmath's 2F1 can lose many
    digits for heavy buyers).

    For z > 0.8 mpmath's hyp2f1 leaves its series for transformations that can be
    wrong in the 7th digit at 50 and at 100 digits alike (2F1(371.5, 676; 679; 0.819)
    is): there (1-z)^(r+x) 2F1(r+x, b+x; c; z) is also computed after Pfaff's
    transformation, as 2F1(r+x, a-1; c; z/(z-1)), and the two must agree as well."""
    previous = None
    for dps in (50, 100, 200, 400):
        with mp.workdps(dps):
            r, al, a, b = (mp.mpf(v) for v in params)
            t_, x_, T_ = (mp.mpf(v) for v in (t, x, T))
            c, z = a + b + x_ - 1, t_ / (al + T_ + t_)
            scaled = [((al + T_) / (al + T_ + t_)) ** (r + x_) * mp.hyp2f1(r + x_, b + x_, c, z)]
            if z > 0.8:
                scaled.append(mp.hyp2f1(r + x_, a - 1, c, z / (z - 1)))
            values = [c / (a - 1) * (1 - v) for v in scaled]
            if previous is not None and all(abs(v - values[0]) <= abs(values[0]) * mp.mpf(10) ** -20
                                            for v in values + previous):
                return values[0]
            previous = values
    raise AssertionError(f"mpmath does not settle on {params}, {t}, {x}, {T}: {values}")


def mp_expected(params, t, x, tx, T):
    """[BG eq. 10]: `mp_alive` times P(alive) with 50 significant digits."""
    if t == 0:
        return mp.mpf(0)
    alive = mp_alive(tuple(map(float, params)), float(t), float(x), float(T))
    with mp.workdps(50):
        r, al, a, b = (mp.mpf(float(v)) for v in params)
        x_, tx_, T_ = (mp.mpf(float(v)) for v in (x, tx, T))
        return alive / (1 + (a / (b + x_ - 1)) * ((al + T_) / (al + tx_)) ** (r + x_) if x else 1)


def mp_p_alive(params, x, tx, T):
    with mp.workdps(50):
        r, al, a, b = (mp.mpf(v) for v in params)
        x, tx, T = (mp.mpf(v) for v in (x, tx, T))
        return 1 / (1 + (a / (b + x - 1)) * ((al + T) / (al + tx)) ** (r + x)) if x > 0 else mp.mpf(1)


GRID_PARAMS = [
    CDNOW_PARAMS,
    (2.5, 10.0, 3.2, 0.4),
    (0.05, 0.5, 0.3, 50.0),
    (1.3, 2.0, 1.7, 1.1),
    (100.0, 1.0, 1.0001, 1e-3),  # large r: the transformed series alternates, quadrature takes over
    (1e-7, 1.0, 2.0, 1e3),  # nearly all the result cancels in the closed form
]


@pytest.mark.parametrize("params", GRID_PARAMS)
def test_expected_purchases_grid_against_mpmath(params):
    """Heavy buyers (up to 1000 repeat purchases) and horizons up to 100,000 units."""
    xs, ts, Ts = [0, 1, 2, 5, 20, 100, 500, 1000], [0.0, 0.01, 1.0, 39.0, 520.0, 5000.0, 1e5], [0.0, 38.86, 300.0]
    grid = np.array([(x, T * f, T, t) for x in xs for T in Ts for f in (0.0, 0.5, 1.0) for t in ts if x or f == 0])
    x, tx, T, t = grid.T
    model = BetaGeo(*params)
    got = model.expected_purchases(t, x, tx, T)
    alive = model.p_alive(x, tx, T)
    assert np.isfinite(got).all() and np.isfinite(alive).all()
    want = np.array([float(mp_expected(params, *row[[3, 0, 1, 2]])) for row in grid])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-300)  # below that, doubles are subnormal
    # over 1000 entries at once the series is given more terms before the quadrature takes over
    many = model.expected_purchases(np.tile(t, 3), np.tile(x, 3), np.tile(tx, 3), np.tile(T, 3))
    np.testing.assert_allclose(many, np.tile(want, 3), rtol=1e-8, atol=1e-300)
    np.testing.assert_allclose(alive, [float(mp_p_alive(params, *row[:3])) for row in grid], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    r=st.floats(0.01, 100.0),
    alpha=st.floats(0.05, 200.0),
    a=st.floats(0.02, 30.0),
    b=st.floats(0.01, 1000.0),
    x=st.integers(0, 1000),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.0, 1000.0),
    t=st.floats(1e-3, 2e4),
)
def test_expected_purchases_property_against_mpmath(r, alpha, a, b, x, share, T, t):
    assume(abs(a - 1) > 1e-3 and abs(a + b + x - 1) > 1e-3)  # the closed form divides by both
    params = (r, alpha, a, b)
    tx = T * share if x else 0.0
    got = BetaGeo(*params).expected_purchases(t, x, tx, T)
    assert np.isfinite(got)
    assert float(got) == pytest.approx(float(mp_expected(params, t, x, tx, T)), rel=1e-8, abs=1e-300)
    assert float(BetaGeo(*params).p_alive(x, tx, T)) == pytest.approx(float(mp_p_alive(params, x, tx, T)), rel=1e-12)


def test_expected_purchases_at_a_equal_one_is_the_limit():
    at_one = BetaGeo(0.5, 3.0, 1.0, 2.0).expected_purchases([1.0, 50.0, 1e4], 3, 10.0, 20.0)
    near = (BetaGeo(0.5, 3.0, 1.0 + d, 2.0).expected_purchases([1.0, 50.0, 1e4], 3, 10.0, 20.0) for d in (-1e-7, 1e-7))
    np.testing.assert_allclose(at_one, sum(near) / 2, rtol=1e-9)


# --- a and b in the millions and beyond: what the fit gives when dropout hardly varies ----


def mp_hyp2f1_euler(A, B, C, z):
    """2F1(A, B; C; z) for 0 < z < 1 and C - B > 1 by Euler's integral,
    Gamma(C)/(Gamma(B) Gamma(C-B)) int_0^1 p^(B-1) (1-p)^(C-B-1) (1-zp)^-A dp, taken in
    v = logit(p) (dp = p (1-p) dv), split around the integrand's peak (bisection on the
    derivative of its log, then the width from the second difference). mpmath's own
    hyp2f1 gives up (or is wrong) there for z > 0.8 with parameters in the millions."""
    def g(v):
        lp, lq = -mp.log1p(mp.exp(-v)), -mp.log1p(mp.exp(v))
        return B * lp + (C - B) * lq - A * mp.log1p(-z * mp.exp(lp))

    def slope(v):
        p = 1 / (1 + mp.exp(-v))
        return B * (1 - p) - (C - B) * p + A * z * p * (1 - p) / (1 - z * p)

    lo, hi = mp.mpf(-100), mp.mpf(100)
    while hi - lo > mp.mpf(10) ** -10:
        lo, hi = ((lo + hi) / 2, hi) if slope((lo + hi) / 2) > 0 else (lo, (lo + hi) / 2)
    m, e = (lo + hi) / 2, mp.mpf(10) ** -8
    sd = 1 / mp.sqrt(-(g(m + e) - 2 * g(m) + g(m - e)) / e**2)
    gm = g(m)
    pts = [m + k * sd for k in (-60, -12, 0, 12, 60)]
    v, err = mp.quad(lambda w: mp.exp(g(w) - gm), pts, error=True, method="gauss-legendre")
    assert err < v * mp.mpf(10) ** -20
    return v * mp.exp(mp.loggamma(C) - mp.loggamma(B) - mp.loggamma(C - B) + gm)


@functools.cache
def mp_alive_large(params, t, x, T):
    """[BG eq. 10] over P(alive), 30 digits, for a > 1: mpmath's 2F1 (its plain series)
    for z <= 0.8, Euler's integral beyond."""
    with mp.workdps(30):
        r, al, a, b = (mp.mpf(v) for v in params)
        t, x, T = (mp.mpf(v) for v in (t, x, T))
        c, z = a + b + x - 1, t / (al + T + t)
        F = mp.hyp2f1(r + x, b + x, c, z) if z <= 0.8 else mp_hyp2f1_euler(r + x, b + x, c, z)
        return c / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * F)


def mp_expected_large(params, t, x, tx, T):
    """[BG eq. 10] with 30 digits for a > 1."""
    if t == 0:
        return mp.mpf(0)
    alive = mp_alive_large(tuple(map(float, params)), float(t), float(x), float(T))
    with mp.workdps(30):
        r, al, a, b = (mp.mpf(float(v)) for v in params)
        x, tx, T = (mp.mpf(float(v)) for v in (x, tx, T))
        return alive / (1 + (a / (b + x - 1)) * ((al + T) / (al + tx)) ** (r + x) if x else 1)


def limit_expected(params, t, x, tx, T):
    """[BG eq. 10] as a, b -> infinity with p = a/(a+b) fixed: every customer drops out
    with probability p after each repeat purchase, E[Y(t) | alive] = (1 - (1+pu)^-(r+x))/p,
    u = t/(alpha+T), and P(alive) = 1/(1 + [x>0] p/(1-p) ((alpha+T)/(alpha+t_x))^(r+x))."""
    r, al, a, b = params
    p, s, u = a / (a + b), r + np.asarray(x, float), t / (al + np.asarray(T, float))
    alive = 1.0 / (1.0 + np.where(np.asarray(x) > 0, p / (1 - p) * ((al + T) / (al + np.asarray(tx))) ** s, 0.0))
    return alive * -np.expm1(-s * np.log1p(p * u)) / p


@pytest.fixture
def no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# BG/NBD fits to real small data sets where dropout hardly varies between customers
FITTED_LARGE_AB = [
    (1.6407710357490488, 23.604763335648755, 3527325.241890936, 45269239.34436506),
    (1.09, 12.5, 6e5, 6.7e6),
]
FITTED_LARGE_E52 = [[1.48581, 0.96622, 1.20889], [1.23675, 0.73879, 1.07887]]  # x=(0,0,3), t_x=(0,0,40), T=(29,60,80)


@pytest.mark.parametrize(("params", "printed"), zip(FITTED_LARGE_AB, FITTED_LARGE_E52))
def test_expected_purchases_of_fitted_large_a_and_b(params, printed, no_runtime_warnings):
    """These once came out as 1e-25 and 1e-5: the series' terms overflowed."""
    x, tx, T = np.array([0, 0, 3]), np.array([0.0, 0.0, 40.0]), np.array([29.0, 60.0, 80.0])
    model = BetaGeo(*params)
    got = model.expected_purchases(52.18, x, tx, T)
    np.testing.assert_allclose(got, printed, rtol=5e-6)
    np.testing.assert_allclose(got, [float(mp_expected_large(params, 52.18, *row)) for row in zip(x, tx, T)], rtol=1e-8)
    np.testing.assert_allclose(model.p_alive(x, tx, T), [float(mp_p_alive(params, *map(float, row))) for row in zip(x, tx, T)],
                               rtol=1e-12)
    # the same through lifetime_value: one month, no discount, spend 1 is E[Y(month)]
    month = (365.25 / 12) / 7
    one_month = lifetime_value(model, None, x, tx, T, spend=1.0, months=1, monthly_discount=0.0)
    np.testing.assert_allclose(one_month, [float(mp_expected_large(params, month, *row)) for row in zip(x, tx, T)],
                               rtol=1e-8)
    year = lifetime_value(model, None, x, tx, T, spend=[10.0, 20.0, 30.0], monthly_discount=0.01)
    upto = [model.expected_purchases(i * month, x, tx, T) for i in range(13)]
    want = sum(np.array([10.0, 20.0, 30.0]) * (upto[i] - upto[i - 1]) / 1.01**i for i in range(1, 13))
    np.testing.assert_allclose(year, want, rtol=1e-12)


LARGE_AB = [(1.09, 12.5, a, 3 * a) for a in (1e3, 1e6, 1e9, 1e12)] + [(1.64, 23.6, a, 13 * a) for a in (1e3, 1e6, 1e9, 1e12)]


@pytest.mark.parametrize("params", LARGE_AB)
def test_expected_purchases_large_a_and_b_against_mpmath(params, no_runtime_warnings):
    """Frequencies up to 1000, horizons up to 10,000 units, new and lapsed customers."""
    rows = [(x, tx, T, t) for x in (0, 1, 2, 10, 100, 1000) for tx, T in ([(0.0, 0.0), (0.0, 60.0)] if x == 0 else
                                                                          [(30.0, 60.0), (60.0, 60.0)])
            for t in (0.01, 1.0, 52.18, 1e4)]
    x, tx, T, t = np.array(rows).T
    model = BetaGeo(*params)
    got = model.expected_purchases(t, x, tx, T)
    want = np.array([float(mp_expected_large(params, row[3], *row[:3])) for row in rows])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-300)
    # over 1000 entries at once the series is given more terms
    many = model.expected_purchases(np.tile(t, 30), np.tile(x, 30), np.tile(tx, 30), np.tile(T, 30))
    np.testing.assert_allclose(many, np.tile(want, 30), rtol=1e-8, atol=1e-300)
    np.testing.assert_allclose(model.p_alive(x, tx, T), [float(mp_p_alive(params, *row[:3])) for row in rows],
                               rtol=1e-12)
    # towards the fixed-dropout limit as a, b grow: the relative distance is below (1+x)/a here
    np.testing.assert_array_less(np.abs(got / limit_expected(params, t, x, tx, T) - 1), (1 + x) / params[2])


def test_homogeneous_dropout_fit_runs_a_and_b_off_and_still_predicts(no_runtime_warnings):
    rng = np.random.default_rng(0)
    n = 400  # BG/NBD process with one dropout probability for everyone, two years of daily ages
    lam = rng.gamma(1.5, 1 / 20.0, n)
    T = rng.integers(1, 104 * 7, n) / 7
    N = rng.poisson(lam * T)
    x = np.minimum(N, rng.geometric(0.08, n))
    tx = np.zeros(n)
    tx[x > 0] = np.floor(T[x > 0] * 7 * rng.beta(x[x > 0], N[x > 0] - x[x > 0] + 1)) / 7
    model = BetaGeo().fit(x, tx, T)
    assert model.a > 1e5 and model.b > 1e5
    assert model.a / (model.a + model.b) == pytest.approx(0.08, rel=0.3)
    got = model.expected_purchases(52.18, x, tx, T)
    assert np.isfinite(got).all() and (got > 0).all()
    np.testing.assert_array_less(np.abs(got / limit_expected(model.params, 52.18, x, tx, T) - 1), (1 + x) / model.a)
    pick = np.flatnonzero(x > 0)[:3].tolist() + np.flatnonzero(x == 0)[:2].tolist()
    want = [float(mp_expected_large(model.params, 52.18, x[i], tx[i], T[i])) for i in pick]
    np.testing.assert_allclose(got[pick], want, rtol=1e-8)


def test_expected_purchases_for_many_customers_equals_one_by_one(bg):
    rng = np.random.default_rng(3)
    n = 20_000  # enough for the (frequency, T) grouping to kick in
    T = rng.integers(1, 300, n) / 7
    x = rng.integers(0, 40, n).astype(float)
    tx = np.where(x > 0, np.floor(T * 7 * rng.random(n)) / 7, 0.0)
    together = bg.expected_purchases(52.0, x, tx, T)
    alone = bg.expected_purchases(np.full(n, 52.0), x, tx, T)  # an array of t is not grouped
    np.testing.assert_allclose(together, alone, rtol=1e-14)
    assert np.all(np.diff(bg.expected_purchases([1.0, 10.0, 100.0, 1e3, 1e4], 3, 20.0, 38.0)) > 0)


# --- summarise --------------------------------------------------------------------------


def test_summarise_hand_example():
    orders = [  # (customer, day, amount), deliberately unsorted
        (0, 31, 4.0), (2, 50, 7.0), (0, 10, 5.0), (0, 120, 100.0), (3, 101, 9.0),
        (0, 17, 2.0), (0, 10, 3.0), (4, 100, 6.0), (0, 31, 1.0),
    ]
    s = summarise(*map(list, zip(*orders)), n_customers=5, now_day=100, unit_days=7.0)
    assert isinstance(s, Summary)
    # 0: days 10 (5+3), 17 (2), 31 (4+1); the order on day 120 is after now. 1: no orders.
    # 2: one order. 3: only an order after now. 4: one order on now_day itself.
    np.testing.assert_array_equal(s.frequency, [2, 0, 0, 0, 0])
    np.testing.assert_array_equal(s.order_days, [3, 0, 1, 0, 1])
    np.testing.assert_array_equal(s.has_orders, [True, False, True, False, True])
    np.testing.assert_array_equal(s.first_day, [10, 0, 50, 0, 100])
    np.testing.assert_array_equal(s.last_day, [31, 0, 50, 0, 100])
    np.testing.assert_allclose(s.recency, [3.0, 0, 0, 0, 0])
    np.testing.assert_allclose(s.T, [90 / 7, 0, 50 / 7, 0, 0])
    np.testing.assert_allclose(s.monetary, [3.5, 0, 0, 0, 0])  # (2 + 5) / 2, the first day left out
    np.testing.assert_allclose(s.total_amount, [15.0, 0, 7.0, 0, 6.0])
    assert s.frequency.dtype.kind == "i"


def slow_summary(customer, day, amount, n, now, unit):
    per_day = defaultdict(lambda: defaultdict(float))
    for c, d, a in zip(customer, day, amount):
        if d <= now:
            per_day[c][d] += a
    rows = []
    for c in range(n):
        days = sorted(per_day[c])
        if not days:
            rows.append((0, 0.0, 0.0, 0.0, False, 0, 0, 0.0, 0))
            continue
        f = len(days) - 1
        repeat = sum(per_day[c][d] for d in days[1:])
        rows.append((f, (days[-1] - days[0]) / unit, (now - days[0]) / unit, repeat / f if f else 0.0,
                     True, days[0], days[-1], sum(per_day[c].values()), len(days)))
    return list(zip(*rows)) if rows else [[]] * 9


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(0, 12),
    orders=st.lists(st.tuples(st.integers(0, 11), st.integers(-30, 60), st.floats(0, 1e4)), max_size=80),
    now=st.integers(-10, 60),
    unit=st.sampled_from([1.0, 7.0, 30.0]),
)
def test_summarise_matches_a_slow_reference(n, orders, now, unit):
    orders = [o for o in orders if o[0] < n]
    customer, day, amount = (list(v) for v in zip(*orders)) if orders else ([], [], [])
    got = summarise(np.array(customer, int), np.array(day, int), amount, n_customers=n, now_day=now, unit_days=unit)
    want = slow_summary(customer, day, amount, n, now, unit)
    fields = ["frequency", "recency", "T", "monetary", "has_orders", "first_day", "last_day", "total_amount", "order_days"]
    for name, expected in zip(fields, want):
        np.testing.assert_allclose(getattr(got, name), np.array(expected, float), rtol=1e-12, atol=1e-9, err_msg=name)


def test_summarise_feeds_the_models():
    rng = np.random.default_rng(5)
    n, orders = 500, 6000
    s = summarise(rng.integers(0, n, orders), rng.integers(0, 700, orders), rng.gamma(2.0, 30.0, orders),
                  n_customers=n + 20, now_day=700)
    assert (~s.has_orders).sum() >= 20
    bg = BetaGeo().fit(s.frequency, s.recency, s.T)
    gg = GammaGamma().fit(s.frequency, s.monetary)
    clv = lifetime_value(bg, gg, s.frequency, s.recency, s.T, s.monetary)
    assert clv.shape == (n + 20,) and np.isfinite(clv).all() and (clv >= 0).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [1, 2, 3], [1.0, 2.0]), "same length"),
        (([0, 5], [1, 2], [1.0, 2.0]), "customer must be an index"),
        (([0, -1], [1, 2], [1.0, 2.0]), "customer must be an index"),
        (([0, 1], [1.5, 2], [1.0, 2.0]), "day must be"),
        (([0, 1], [1, 2], [1.0, -2.0]), "amount must be finite and non-negative"),
        (([0, 1], [1, 2], [1.0, np.nan]), "amount must be finite and non-negative"),
    ],
)
def test_summarise_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        summarise(*args, n_customers=2, now_day=10)


def test_summarise_without_orders_keeps_everyone():
    s = summarise([], [], [], n_customers=3, now_day=10)
    for name in ("frequency", "recency", "T", "monetary", "total_amount", "order_days", "first_day"):
        np.testing.assert_array_equal(getattr(s, name), 0)
    assert not s.has_orders.any() and s.frequency.shape == (3,)


# --- edge cases and validation ----------------------------------------------------------


def test_no_repeat_purchase_is_alive_and_finite():
    model = BetaGeo(*CDNOW_PARAMS)
    # x = 0: alive by definition (dropout happens only right after a repeat purchase)
    assert model.p_alive(0, 0.0, 38.86) == 1.0
    assert model.p_alive(0, 0.0, 0.0) == 1.0  # bought once, today
    new = model.expected_purchases([0.0, 39.0], 0, 0.0, 0.0)
    assert new[0] == 0.0
    assert new[1] == pytest.approx(float(model.expected_purchases_new(39.0)), rel=1e-14)
    # bought on the last day observed: t_x == T
    assert 0 < model.p_alive(3, 20.0, 20.0) < 1
    heavy = model.expected_purchases([1.0, 52.0, 5000.0], 500, 38.0, 38.86)
    assert np.isfinite(heavy).all() and np.all(np.diff(heavy) > 0)
    assert 0.0 < model.p_alive(500, 38.0, 38.86) <= 1.0
    assert model.p_alive(500, 10.0, 38.86) < 1e-100  # 500 purchases then silence: surely gone, not NaN


def test_zero_spend_and_no_repeat_get_the_population_mean():
    gg = GammaGamma(6.25, 3.74, 15.44)
    mean = 6.25 * 15.44 / 2.74
    np.testing.assert_allclose(gg.expected_spend([0, 3, 0], [0.0, 0.0, 50.0]), mean)
    bg = BetaGeo(*CDNOW_PARAMS)
    clv = lifetime_value(bg, gg, [0, 3, 500], [0.0, 0.0, 38.0], [0.0, 38.0, 38.86], [0.0, 0.0, 80.0], months=120)
    assert np.isfinite(clv).all() and (clv > 0).all()


def test_empty_inputs_give_empty_outputs():
    bg, gg = BetaGeo(*CDNOW_PARAMS), GammaGamma(6.25, 3.74, 15.44)
    assert bg.p_alive([], [], []).shape == (0,)
    assert bg.expected_purchases(10.0, [], [], []).shape == (0,)
    assert lifetime_value(bg, gg, [], [], [], []).shape == (0,)
    with pytest.raises(ValueError, match="at least one customer with a repeat purchase"):
        BetaGeo().fit([], [], [])


def test_fit_without_any_repeat_purchase_says_why():
    with pytest.raises(ValueError, match="at least one customer with a repeat purchase"):
        BetaGeo().fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 7.0, 9.0])
    with pytest.raises(ValueError, match="at least one customer with a repeat purchase"):
        GammaGamma().fit([0, 0], [0.0, 0.0])
    with pytest.raises(ValueError, match="at least one customer with a repeat purchase"):
        GammaGamma().fit([2, 3], [0.0, 0.0])  # repeat purchases, but no money


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, 2], [1.0, 2.0], [3.0]), "same length"),
        (([1, 2], [1.0, 2.0, 3.0], [3.0, 4.0, 5.0]), "same length"),
        (([1, -2], [1.0, 2.0], [3.0, 4.0]), "frequency must be finite and non-negative"),
        (([1, 2], [1.0, -2.0], [3.0, 4.0]), "recency must be finite and non-negative"),
        (([1, 2], [1.0, 2.0], [3.0, np.inf]), "T must be finite and non-negative"),
        (([1, 2], [1.0, 5.0], [3.0, 4.0]), "recency must not exceed T"),
        (([1.5, 2], [1.0, 2.0], [3.0, 4.0]), "whole numbers"),
    ],
)
def test_bad_rfm_input_is_named(args, message):
    with pytest.raises(ValueError, match=message):
        BetaGeo().fit(*args)
    if not (message == "same length" and 1 in map(len, args)):  # predictions broadcast a single value
        with pytest.raises(ValueError, match=message):
            BetaGeo(*CDNOW_PARAMS).p_alive(*args)


def test_other_bad_input():
    bg, gg = BetaGeo(*CDNOW_PARAMS), GammaGamma(6.25, 3.74, 15.44)
    with pytest.raises(ValueError, match="t must be finite and non-negative"):
        bg.expected_purchases(-1.0, 1, 1.0, 2.0)
    with pytest.raises(ValueError, match="weights"):
        BetaGeo().fit([1, 2], [1.0, 2.0], [3.0, 4.0], weights=[1.0])
    with pytest.raises(ValueError, match="monetary must be finite and non-negative"):
        gg.expected_spend([1], [-5.0])
    with pytest.raises(ValueError, match="no parameters yet"):
        BetaGeo().p_alive(1, 1.0, 2.0)
    with pytest.raises(ValueError, match="positive"):
        BetaGeo(0.2, -1.0, 0.5, 0.5).p_alive(1, 1.0, 2.0)
    with pytest.raises(ValueError, match="no finite mean spend"):
        GammaGamma(2.0, 0.9, 10.0).expected_spend([1], [5.0])
    with pytest.raises(ValueError, match="months"):
        lifetime_value(bg, gg, [1], [1.0], [2.0], [5.0], months=-1)


def test_fit_on_a_sample_then_newton_equals_the_full_fit():
    rng = np.random.default_rng(11)
    n = 30_000  # BG/NBD process, CDNOW-like parameters, ages in whole days
    lam, p = rng.gamma(0.243, 1 / 4.414, n), rng.beta(0.793, 2.426, n)
    T = rng.integers(1, 547, n) / 7
    N = rng.poisson(lam * T)
    x = np.minimum(N, rng.geometric(p))
    tx = np.zeros(n)
    tx[x > 0] = np.floor(T[x > 0] * 7 * rng.beta(x[x > 0], N[x > 0] - x[x > 0] + 1)) / 7
    sampled = BetaGeo().fit(x, tx, T, sample=2_000)
    full = BetaGeo().fit(x, tx, T, sample=10**9)
    assert sampled.converged and full.converged
    np.testing.assert_allclose(sampled.params, full.params, rtol=1e-7)
    assert sampled.log_likelihood == pytest.approx(full.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(full.params, CDNOW_PARAMS, rtol=0.15)  # recovers the generating values
