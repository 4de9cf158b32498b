"""Customer lifetime value: RFM summary, BG/NBD, Gamma-Gamma, discounted CLV.

Pure numpy/scipy; every function takes and returns arrays with one entry per
customer. Time is counted in units of ``unit_days`` days (weeks by default, as
in the papers' CDNOW example). Equation numbers refer to:

[BG] Fader, Hardie & Lee (2005), "Counting Your Customers" the Easy Way: An
     Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284.
[PA] Fader, Hardie & Lee (2008), Computing P(alive) Using the BG/NBD Model,
     brucehardie.com note 021.
[GG] Fader & Hardie (2013), The Gamma-Gamma Model of Monetary Value,
     brucehardie.com note 025 (the spend model of Fader, Hardie & Lee (2005),
     RFM and CLV: Using Iso-Value Curves for Customer Base Analysis, JMR 42(4)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, polygamma

__all__ = ["BetaGeo", "GammaGamma", "Summary", "lifetime_value", "summarise"]

MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class Summary:
    """Per-customer RFM summary, indexed by customer (see `summarise`)."""

    frequency: np.ndarray  # distinct purchase days - 1 (int64)
    recency: np.ndarray  # (last - first purchase day) / unit_days
    T: np.ndarray  # (now_day - first purchase day) / unit_days
    monetary: np.ndarray  # mean day-total of the repeat days (first day excluded); 0 if frequency 0
    has_orders: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    total_amount: np.ndarray  # every order up to now_day, first day included
    order_days: np.ndarray  # distinct purchase days


def _whole(name, values):
    arr = np.asarray(values)
    whole = arr.dtype.kind in "iu" or arr.dtype.kind == "f" and (np.isfinite(arr) & (arr == np.floor(arr))).all()
    if arr.ndim != 1 or not whole:
        raise ValueError(f"{name} must be a one-dimensional array of whole numbers")
    return arr.astype(np.int64, copy=False)


def summarise(customer, day, amount, *, n_customers, now_day, unit_days=7.0) -> Summary:
    """Lifetimes-style RFM summary from order rows in any order.

    Orders on the same day count as one purchase (amounts summed), orders after
    `now_day` are ignored, customers without orders are kept with zeros. One
    sort of a (customer, day) key and a few bincounts, no per-customer Python.
    """
    customer, day = _whole("customer", customer), _whole("day", day)
    amount = np.asarray(amount, dtype=float)
    if amount.ndim != 1 or not customer.size == day.size == amount.size:
        raise ValueError(f"customer, day and amount must have the same length "
                         f"(got {customer.size}, {day.size}, {amount.size})")
    n, now = int(n_customers), int(now_day)
    if n < 0 or not 0 < unit_days < np.inf:
        raise ValueError("n_customers must be >= 0 and unit_days a positive number")
    if customer.size and (customer.min() < 0 or customer.max() >= n):
        raise ValueError("customer must be an index in [0, n_customers)")
    if amount.size and not (amount.min() >= 0 and amount.max() < np.inf):
        raise ValueError("amount must be finite and non-negative")
    keep = day <= now
    if not keep.all():
        customer, day, amount = customer[keep], day[keep], amount[keep]
    first, last, order_days = (np.zeros(n, np.int64) for _ in range(3))
    repeat = np.zeros(n)
    if customer.size:
        d0 = int(day.min())
        span = now - d0 + 1
        if n * span >= 2**62:
            raise ValueError("day range too wide to summarise")
        key = customer * span
        key += day - d0
        key.sort()
        distinct = key[np.r_[True, key[1:] != key[:-1]]]
        order_days = np.bincount(distinct // span, minlength=n)
        end = np.cumsum(order_days)
        who = np.flatnonzero(order_days)
        first[who] = distinct[end[who] - order_days[who]] - who * span + d0
        last[who] = distinct[end[who] - 1] - who * span + d0
        repeat = np.bincount(customer, weights=np.where(day != first[customer], amount, 0.0), minlength=n)
    has, frequency = order_days > 0, np.maximum(order_days - 1, 0)
    recency, T = (last - first) / unit_days, np.where(has, (now - first) / unit_days, 0.0)
    monetary = np.divide(repeat, frequency, out=np.zeros(n), where=frequency > 0)
    total = np.bincount(customer, weights=amount, minlength=n)
    return Summary(frequency, recency, T, monetary, has, first, last, total, order_days)


def _arrays(names, values, *, flat=False):
    """Float arrays, checked finite and non-negative; same length if flat, else broadcast."""
    arrs = [np.asarray(v, dtype=float) for v in values]
    if flat and (any(a.ndim != 1 for a in arrs) or len({a.size for a in arrs}) > 1):
        raise ValueError(f"{', '.join(names)} must be one-dimensional arrays of the same length "
                         f"(got shapes {', '.join(str(a.shape) for a in arrs)})")
    try:
        arrs = np.broadcast_arrays(*arrs)
    except ValueError:
        raise ValueError(f"{', '.join(names)} must have the same length "
                         f"(got shapes {', '.join(str(a.shape) for a in arrs)})") from None
    for name, a in zip(names, arrs):
        if a.size and not (a.min() >= 0 and a.max() < np.inf):
            raise ValueError(f"{name} must be finite and non-negative")
    return arrs


def _rfm(frequency, recency, T, weights=None):
    """Checked (frequency, recency, T) broadcast together, or, given weights (fit), four
    one-dimensional arrays of the same length."""
    names, values = ("frequency", "recency", "T", "weights"), (frequency, recency, T, weights)
    arrs = _arrays(names[:3], values[:3]) if weights is None else _arrays(names, values, flat=True)
    if (arrs[0] != np.floor(arrs[0])).any():
        raise ValueError("frequency must be whole numbers (repeat purchase days)")
    if (arrs[1] > arrs[2]).any():
        raise ValueError("recency must not exceed T")
    return arrs


def _dot(u, v):
    # einsum, not BLAS: a threaded BLAS dot costs milliseconds of synchronisation
    return float(np.einsum("i,i->", u, v))


def _x_groups(x, w):
    """Distinct frequencies, their total weights, and each row's index among them."""
    if x.size and x.max() > 4 * x.size + 1024:
        ux, inv = np.unique(x, return_inverse=True)
        return ux, np.bincount(inv, weights=w, minlength=ux.size), inv
    xi = x.astype(np.int64)
    ux = np.flatnonzero(np.bincount(xi))
    lookup = np.zeros(ux[-1] + 1 if ux.size else 0, np.int64)
    lookup[ux] = np.arange(ux.size)
    return ux.astype(float), np.bincount(xi, weights=w)[ux], lookup[xi]


class _BGLikelihood:
    """BG/NBD log-likelihood [BG eq. 6] summed over customers, with derivatives.

    ln L = ln A1 + ln A2 + ln(A3 + [x>0] A4), A1 = G(r+x) alpha^r / G(r),
    A2 = B(a, b+x) / B(a, b), A3 = (alpha+T)^-(r+x), A4 = a/(b+x-1) (alpha+t_x)^-(r+x).
    The bracket is A3 (1 + e^d), d = ln(a/(b+x-1)) + (r+x) ln((alpha+T)/(alpha+t_x)),
    added as softplus(d) so nothing overflows however large x is. Terms in x
    alone are evaluated once per distinct frequency. order 0/1/2 returns the
    total, its gradient and Hessian in (r, alpha, a, b).
    """

    def __init__(self, x, tx, T, w):
        self.ux, self.wx, _ = _x_groups(x, w)
        self.T0, self.w0 = T[x == 0], w[x == 0]
        pos = x > 0
        self.x, self.tx, self.T, self.w = x[pos], tx[pos], T[pos], w[pos]
        self.uxp, _, self.xi = _x_groups(self.x, self.w)
        self.W = w.sum()

    def __call__(self, params, order=1):
        r, al, a, b = params
        ux, wx, w, w0, xi = self.ux, self.wx, self.w, self.w0, self.xi
        LT0, LT, s = np.log(al + self.T0), np.log(al + self.T), r + self.x
        delta = LT - np.log(al + self.tx)  # ln((alpha+T)/(alpha+t_x)) >= 0
        jb = 1.0 / (b + self.uxp - 1.0)
        d = np.log(a * jb)[xi] + s * delta
        e = np.exp(-np.abs(d))
        ll = _dot(wx, gammaln(r + ux) - gammaln(r) + r * np.log(al) + betaln(a, b + ux) - betaln(a, b))
        ll += _dot(w, np.log1p(e) + np.maximum(d, 0.0) - s * LT) - r * _dot(w0, LT0)
        if order == 0:
            return ll
        wi = np.where(d >= 0, 1.0, e) / (1.0 + e)  # expit(d), the share of the A4 term
        iT0, iT, it = 1.0 / (al + self.T0), 1.0 / (al + self.T), 1.0 / (al + self.tx)
        dal, ww, wiT = s * (iT - it), w * wi, w * iT  # dal = d(d)/d(alpha)
        sw = np.bincount(xi, weights=ww, minlength=jb.size)
        pab, pabx = digamma(a + b), digamma(a + b + ux)
        grad = np.array([
            _dot(wx, digamma(r + ux) - digamma(r) + np.log(al)) - _dot(w0, LT0) - _dot(w, LT) + _dot(ww, delta),
            r * self.W / al - r * _dot(w0, iT0) - _dot(wiT, s) + _dot(ww, dal),
            _dot(wx, pab - pabx) + sw.sum() / a,
            _dot(wx, pab + digamma(b + ux) - digamma(b) - pabx) - _dot(sw, jb),
        ])
        if order == 1:
            return ll, grad
        v = ww * (1.0 - wi)
        vd, vdal = v * delta, v * dal
        sv, svd, sva = (np.bincount(xi, weights=u, minlength=jb.size) for u in (v, vd, vdal))
        t1 = polygamma(1, a + b) - polygamma(1, a + b + ux)
        H = np.empty((4, 4))
        H[0, 0] = _dot(wx, polygamma(1, r + ux) - polygamma(1, r)) + _dot(vd, delta)
        H[0, 1] = self.W / al - _dot(w0, iT0) - wiT.sum() + _dot(ww, iT - it) + _dot(vd, dal)
        H[1, 1] = (-r * self.W / al**2 + r * _dot(w0, iT0**2) + _dot(wiT, s * iT)
                   + _dot(ww, s * (it - iT) * (it + iT)) + _dot(vdal, dal))
        H[0, 2], H[0, 3] = svd.sum() / a, -_dot(svd, jb)
        H[1, 2], H[1, 3] = sva.sum() / a, -_dot(sva, jb)
        H[2, 2] = _dot(wx, t1) + (sv.sum() - sw.sum()) / a**2
        H[2, 3] = _dot(wx, t1) - _dot(sv, jb) / a
        H[3, 3] = _dot(wx, t1 + polygamma(1, b + ux) - polygamma(1, b)) + _dot(sv + sw, jb**2)
        return ll, grad, np.triu(H) + np.triu(H, 1).T


class _GGLikelihood:
    """Gamma-Gamma log-likelihood [GG eq. 1a] summed over customers, with derivatives:
    ln G(px+q) - ln G(px) - ln G(q) + q ln g + (px-1) ln m + px ln x - (px+q) ln(g + x m)."""

    def __init__(self, x, m, w):
        self.ux, self.wx, self.xi = _x_groups(x, w)
        self.xm, self.w, self.W = x * m, w, w.sum()
        self.slm = self.by(w * np.log(m))

    def by(self, v):
        return np.bincount(self.xi, weights=v, minlength=self.ux.size)

    def __call__(self, params, order=1):
        p, q, g = params
        ux, wx = self.ux, self.wx
        px = p * ux
        slg = self.by(self.w * np.log(g + self.xm))
        ll = _dot(wx, gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + px * np.log(ux))
        ll += _dot(px - 1.0, self.slm) - _dot(px + q, slg)
        if order == 0:
            return ll
        inv = self.w / (g + self.xm)
        s1, dpq = self.by(inv), digamma(px + q)
        grad = np.array([
            _dot(ux, wx * (dpq - digamma(px) + np.log(ux)) + self.slm - slg),
            _dot(wx, dpq - digamma(q) + np.log(g)) - slg.sum(),
            q * self.W / g - _dot(px + q, s1),
        ])
        if order == 1:
            return ll, grad
        s2, t1 = self.by(inv / (g + self.xm)), polygamma(1, px + q)
        H = np.array([
            [_dot(ux**2 * wx, t1 - polygamma(1, px)), _dot(ux * wx, t1), -_dot(ux, s1)],
            [0.0, _dot(wx, t1 - polygamma(1, q)), self.W / g - s1.sum()],
            [0.0, 0.0, -q * self.W / g**2 + _dot(px + q, s2)],
        ])
        return ll, grad, np.triu(H) + np.triu(H, 1).T


def _maximise(lik, theta0, start=None):
    """Maximum likelihood over log-parameters: L-BFGS-B (on `start`, the likelihood
    of a sample of the rows, when given) to get close, then Newton steps with the
    exact Hessian on all rows, which converge quadratically (a step is line-searched
    only when large); L-BFGS-B on all rows if Newton cannot proceed.
    Returns theta, log-likelihood, iterations, converged, message."""

    def in_log(f, theta, order):
        p = np.exp(theta)
        out = f(p, order)
        if order == 0:
            return out
        g = out[1] * p
        return (out[0], g) if order == 1 else (out[0], g, out[2] * np.outer(p, p) + np.diag(g))

    def lbfgs(f, theta, gtol):
        res = minimize(lambda th: tuple(-v / f.W for v in in_log(f, th, 1)), theta, jac=True,
                       method="L-BFGS-B", bounds=[(-30.0, 30.0)] * theta.size,
                       options={"gtol": gtol, "ftol": 1e-15, "maxiter": 2000})
        return res.x, res.nit

    theta, nit = lbfgs(start or lik, np.asarray(theta0, float), 1e-6)
    before, back = -np.inf, theta
    for _ in range(50):
        ll, g, H = in_log(lik, theta, 2)
        if ll < before - 1e-12 * abs(before):  # the last, unchecked, step went downhill
            theta = back
            break
        try:
            np.linalg.cholesky(-H)
            step = np.linalg.solve(-H, g)
        except np.linalg.LinAlgError:
            break
        size, t = np.abs(step).max(), 1.0
        while size > 0.05 and t > 1e-3 and not in_log(lik, theta + t * step, 0) >= ll:
            t /= 4.0
        if t <= 1e-3 or np.abs(theta + t * step).max() > 30.0:
            break
        before, back, theta, nit = ll, theta, theta + t * step, nit + 1
        if size < 1e-7:
            return theta, ll, nit, True, "converged (Newton step < 1e-7)"
    theta, more = lbfgs(lik, theta, 1e-10)
    ll, g = in_log(lik, theta, 1)
    ok = bool(np.abs(g / lik.W).max() < 1e-6 and np.abs(theta).max() < 29.9)
    return theta, ll, nit + more, ok, "converged (L-BFGS-B)" if ok else "did not converge: a parameter runs off"


def _series(A, a, C, z, max_terms=1500):
    """H = sum_{k>=1} (A)_k (a)_{k-1} / ((C+1)_{k-1} k!) z^k, and where it is accurate.

    An entry stops once the tail bound |term| R/(1-R) is below 1e-16 |H|: the
    factors (A+j)/(C+j) and (a+j-1)/(j+1) of later term ratios move monotonically
    towards 1, so R = z max(1, (A+k)/(C+k)) max(1, (a+k-1)/(k+1)) bounds them all.
    Terms alternate in sign only while A+k < 0; an entry whose terms there grew
    above 1e4 |H| (over 4 digits lost) is reported as not converged, and so is one
    whose terms pass 1e250 (the caller keeps large a z away from here: between two
    checks terms then grow far less than the 1e58 left to overflow).
    """
    H, done = A * z, np.zeros(z.size, bool)
    idx, Ca, za, term, acc, buf = np.arange(z.size), C, z, H.copy(), H.copy(), np.empty_like(z)
    big = np.abs(term)
    for k in range(1, max_terms):
        ratio = np.add(Ca, k, out=buf[: za.size])
        np.divide(za, ratio, out=ratio)
        ratio *= (A + k) * (a + k - 1.0) / (k + 1.0)
        term *= ratio
        acc += term
        if A + k < 1.0:
            np.maximum(big, np.abs(term), out=big)
        if k % 8 and k < max_terms - 1:
            continue
        R = za * max(1.0, (a + k - 1.0) / (k + 1.0)) * np.maximum(1.0, (A + k) / (Ca + k))
        huge = np.abs(term) > 1e250
        conv = (A + k > 0) & (R < 1.0) & (np.abs(term) * R <= 1e-16 * (1.0 - R) * np.abs(acc)) & ~huge
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # hopeless at the current ratio
            fin = conv | huge | (ratio < 1.0) & (k + np.log(1e-17 * np.abs(acc / term)) / np.log(ratio) > max_terms)
        if fin.any():
            H[idx[fin]], done[idx[fin]] = acc[fin], conv[fin] & (big[fin] <= 1e4 * np.abs(acc[fin]))
            idx, Ca, za, term, acc, big = (v[~fin] for v in (idx, Ca, za, term, acc, big))
        if not idx.size:
            break
    return H, done


def _tanh_sinh(a, bp, s, u):
    """E[(1 - (1+pu)^-s) / p] for p ~ Beta(a, bp) by tanh-sinh quadrature (Takahasi &
    Mori 1974): p = expit(pi sinh tau), trapezoid rule in tau, everything in logs. For
    a or bp below 8 (see `_quadrature`); its points crowd towards p = 0 and 1, where
    a skewed density puts its slow tail. The step in y = logit(p) at the mode y0 = ln(a/bp) is
    sqrt(pi^2 + y0^2) times the step in tau: it is kept below a quarter of the
    mode's width min(1, sqrt(1/a + 1/bp)), which only matters for |y0| > 15. The sum
    is divided by the same rule's integral of the density, not by B(a, bp): scipy's
    betaln is off by up to 1e-9 (absolute) when one argument is large and the other
    is not, as in betaln(3.4, 2.9e6)."""
    width = np.minimum(1.0, np.sqrt(1.0 / a + 1.0 / bp)) / np.hypot(np.pi, np.log(a / bp))
    step = min(1.0 / 64, float(np.min(width)) / 4.0)
    lo = np.log(2.0 * (60.0 + np.log1p(np.max(s * u))) / (np.pi * min(a, 1.0)))
    tau = np.arange(-lo, np.log(120.0 / (np.pi * min(np.min(bp), 1.0))) + step, step)
    y = np.pi * np.sinh(tau)
    lp, lq = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)  # ln p, ln(1-p)
    base = (a - 1.0) * lp + np.log(np.pi * step * np.cosh(tau))  # dp = p (1-p) pi cosh(tau) dtau
    out, rows = np.empty(u.size), max(1, 2**20 // tau.size)
    for i in range(0, u.size, rows):
        b_, s_, u_ = (v[i : i + rows, None] for v in (bp, s, u))
        lx = lp + np.log(u_)  # ln(p u)
        with np.errstate(divide="ignore"):
            lg = np.where(lx < -40.0, np.log(s_) + lx, np.log(-np.expm1(-s_ * np.log1p(np.exp(lx)))))
        lw = base + b_ * lq  # ln of the integrand over g = 1 - (1+pu)^-s; the density's is lw + lp
        lw -= (lw + lp).max(axis=1, keepdims=True)  # g/p <= su: the numerator stays finite
        out[i : i + rows] = np.exp(lw + lg).sum(axis=1) / np.exp(lw + lp).sum(axis=1)
    return out


def _expm1_minus(v):
    """e^v - 1 - v without cancellation: its Taylor series where |v| < 1/4."""
    small = np.abs(v) < 0.25
    w = np.where(small, v, 0.0)
    acc = np.ones_like(w)
    for n in range(13, 2, -1):
        acc = 1.0 + acc * w / n
    with np.errstate(over="ignore"):  # e^v overflows only for v > 709, far beyond `_centred`'s range
        return np.where(small, 0.5 * w * w * acc, np.expm1(v) - v)


def _centred(a, bp, s, u, step=1.0 / 12):
    """E[(1 - (1+pu)^-s) / p] for p ~ Beta(a, bp) with a, bp >= 1 (used from 8 up), however large (the
    maximum-likelihood a and b run to 1e6..1e12 when dropout hardly varies).

    In y = logit(p) the density is p^a (1-p)^bp / B(a, bp), log-concave, its mode at
    y0 = ln(a/bp) with width sigma = sqrt(1/a + 1/bp). At y = y0 + d, p0 = a/(a+bp),
    q0 = 1 - p0, its log relative to the mode is -(a+bp) ln(q0 + p0 e^d) + a d
    = -(a+bp) ln(1 + q0 g(-p0 d) + p0 g(q0 d)), g(v) = e^v - 1 - v >= 0: a sum of
    positive terms, exact however large a+bp (the direct form loses digits as
    sqrt(a)). d = sigma sinh(tau), trapezoid rule in tau, and the weights normalised
    by their own sum (no Beta function of huge arguments). At d = sigma (K + 2) the
    log-density has dropped by more than K for any a, bp >= 1, so tau runs to
    asinh(K + 2), K = 45 (plus ln(1 + su) on the left, the integrand's largest ratio
    to its value at the mode); step 1/12 in tau gives 13 digits."""
    sd, n = np.sqrt(1.0 / a + 1.0 / bp), a + bp
    y0, p0, q0 = np.log(a / bp), a / n, bp / n
    left, right = np.arcsinh(47.0 + np.log1p(np.max(s * u))), np.arcsinh(47.0)
    tau = np.arange(-np.ceil(left / step), np.ceil(right / step) + 1.0) * step
    sh, lc = np.sinh(tau), np.log(np.cosh(tau))
    out, rows = np.empty(u.size), max(1, 2**19 // tau.size)
    for i in range(0, u.size, rows):
        sd_, n_, y0_, p0_, q0_, s_, u_ = (v[i : i + rows, None] for v in (sd, n, y0, p0, q0, s, u))
        d = sd_ * sh
        lw = lc - n_ * np.log1p(q0_ * _expm1_minus(-p0_ * d) + p0_ * _expm1_minus(q0_ * d))
        lp = -np.logaddexp(0.0, -(y0_ + d))  # ln p
        lx = lp + np.log(u_)  # ln(p u)
        with np.errstate(divide="ignore"):
            lg = np.where(lx < -40.0, np.log(s_) + lx, np.log(-np.expm1(-s_ * np.log1p(np.exp(lx)))))
        lw -= lw.max(axis=1, keepdims=True)
        out[i : i + rows] = np.exp(lw + lg - lp).sum(axis=1) / np.exp(lw).sum(axis=1)
    return out


def _quadrature(a, bp, s, u):
    """E[(1 - (1+pu)^-s) / p] for p ~ Beta(a, bp), positive terms only: `_centred`
    where a and bp are both 8 or more, `_tanh_sinh` otherwise. Near a = 1 the density
    times 1/p is nearly flat in logit(p) for many widths below the mode, and the
    integrand's bend at p ~ 1/(su) falls where the centred rule's points are already
    far apart (off by 1e-5 at a = 1.0001); with a and bp >= 8 what lies that far out
    weighs less than e^-20."""
    out, peaked = np.empty(u.size), (a >= 8.0) & (bp >= 8.0)
    if peaked.any():
        out[peaked] = _centred(a, bp[peaked], s[peaked], u[peaked])
    if not peaked.all():
        out[~peaked] = _tanh_sinh(a, bp[~peaked], s[~peaked], u[~peaked])
    return out


def _alive_purchases(params, x, T, t):
    """E[Y(t) | alive at T, x]: expected purchases in (T, T+t] of a customer still alive.

    [BG eq. 10] divided by P(alive) is (a+b+x-1)/(a-1) [1 - (1-z)^(r+x)
    2F1(r+x, b+x; a+b+x-1; z)], z = t/(alpha+T+t), which overflows or cancels for
    heavy buyers and long horizons. Euler's transformation 2F1(A, B; C; z) =
    (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) makes the bracket 1 - (1-z)^(a-1)
    2F1(a+b-1-r, a-1; C; z), C = a+b+x-1, a series without large terms; writing
    that 2F1 as 1 + (a-1) H / C gives C (1 - (1-z)^(a-1)) / (a-1) - (1-z)^(a-1) H,
    finite at a = 1. Where the series is slow (z near 1 and few purchases) or loses
    digits (terms alternate when r > a+b; the difference cancels when r+x << C),
    the same number is E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p], p ~ Beta(a, b+x),
    by quadrature: positive terms only.

    For a > 1 the series terms grow like ((a-1) z)^k / k! up to k ~ (a-1) z/(1-z)
    = (a-1) u, u = t/(alpha+T), and sum to about (1-z)^-(a-1) <= e^((a-1) u): the
    maximum-likelihood fit gives a, b of 1e6 and more when dropout hardly varies
    between customers, and the terms overflow long before they turn. Even short of
    that, rounding in hundreds of large terms, times the cancellation allowed below,
    costs digits. So only entries with (a-1) u <= 100 try the series; the others go
    straight to the quadrature.
    """
    r, al, a, b = params
    out = np.zeros(np.broadcast(x, T, t).shape)
    x, T, t = (np.broadcast_to(v, out.shape) for v in (x, T, t))
    go = t > 0
    x, u = x[go], t[go] / (al + T[go])
    # few entries: Python overhead per term dominates, so the quadrature takes over sooner
    terms = 1500 if u.size > 1000 else 200
    L = -np.log1p(u)  # ln(1 - z)
    series = (a - 1.0) * u <= 100.0
    val, ok = np.empty(u.size), np.zeros(u.size, bool)
    if series.any():
        xs, us, Ls = x[series], u[series], L[series]
        H, conv = _series(a + b - 1.0 - r, a, a + b + xs - 1.0, us / (1.0 + us), terms)
        first = -Ls if a == 1.0 else -np.expm1((a - 1.0) * Ls) / (a - 1.0)
        v = (a + b + xs - 1.0) * first - np.exp((a - 1.0) * Ls) * H
        val[series] = v
        ok[series] = conv & (np.abs((a + b + xs - 1.0) * first) <= 1e5 * v)  # the difference loses at most 5 digits
    if not ok.all():
        val[~ok] = _quadrature(a, b + x[~ok], r + x[~ok], u[~ok])
    out[go] = val
    return out


def _by_pairs(x, T, fn):
    """fn(x, T) evaluated once per distinct (x, T) pair when there are few of them
    (as in `summarise` output: whole frequencies, ages in whole days)."""
    if x.size < 4096:
        return fn(x, T)
    Ts = np.sort(T, axis=None)
    uT = Ts[np.r_[True, Ts[1:] != Ts[:-1]]]
    if uT.size > x.size // 16 or uT.size * (x.max() + 1) > 2**62:
        return fn(x, T)
    key = x.astype(np.int64) * uT.size + np.searchsorted(uT, T)
    ks = np.sort(key, axis=None)
    uk = ks[np.r_[True, ks[1:] != ks[:-1]]]
    if uk.size > x.size // 4:
        return fn(x, T)
    return fn((uk // uT.size).astype(float), uT[uk % uT.size])[np.searchsorted(uk, key)]


def _p_alive(params, x, tx, T):
    r, al, a, b = params
    d = np.log(a / (b + np.maximum(x, 1.0) - 1.0)) + (r + x) * np.log1p((T - tx) / (al + tx))
    e = np.exp(-np.abs(d))
    return np.where(x > 0, np.where(d >= 0, e, 1.0) / (1.0 + e), 1.0)


class _Model:
    _names: tuple[str, ...] = ()

    def _init(self, values):
        for name, value in zip(self._names, values):
            setattr(self, name, value)
        self.log_likelihood, self.n_iterations, self.converged, self.message = None, 0, None, ""

    @property
    def params(self) -> tuple[float, ...]:
        values = tuple(getattr(self, name) for name in self._names)
        if any(v is None for v in values):
            raise ValueError(f"{type(self).__name__} has no parameters yet: call fit() or pass them")
        if not all(0 < v < np.inf for v in values):
            raise ValueError(f"{type(self).__name__} parameters must be positive and finite")
        return tuple(float(v) for v in values)


class BetaGeo(_Model):
    """BG/NBD model [BG]: while alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha)
    and after each repeat purchase drops out with probability p ~ Beta(a, b)."""

    _names = ("r", "alpha", "a", "b")

    def __init__(self, r=None, alpha=None, a=None, b=None):
        self._init((r, alpha, a, b))

    def fit(self, frequency, recency, T, weights=None, *, sample=50_000) -> BetaGeo:
        """Maximum likelihood [BG eq. 6], time rescaled to max T = 1 while optimising.
        Above 2 * `sample` rows, a random sample's fit is the start of Newton steps on
        all rows. log_likelihood is the total (sum over customers) in the caller's units."""
        x, tx, T, w = _rfm(frequency, recency, T, np.ones(np.size(T)) if weights is None else weights)
        use = w > 0
        if not (x[use] > 0).any():
            raise ValueError("BetaGeo.fit needs at least one customer with a repeat purchase "
                             "(frequency > 0): without one the dropout process cannot be estimated")
        x, tx, T, w = x[use], np.where(x > 0, tx, 0.0)[use], T[use], w[use]
        c = 1.0 / T.max() if T.max() > 0 else 1.0
        lik, start = _BGLikelihood(x, tx * c, T * c, w), None
        if x.size > 2 * sample:
            pick = np.random.default_rng(0).random(x.size) < sample / x.size
            if (x[pick] > 0).any():
                start = _BGLikelihood(x[pick], tx[pick] * c, T[pick] * c, w[pick])
        theta, ll, self.n_iterations, self.converged, self.message = _maximise(lik, np.zeros(4), start)
        r, al, a, b = np.exp(theta)
        self.r, self.alpha, self.a, self.b = float(r), float(al / c), float(a), float(b)
        self.log_likelihood = float(ll + np.log(c) * _dot(w, x))
        return self

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) [PA].

        Customers without a repeat purchase (x = 0) are alive with probability 1:
        the model lets a customer drop out only right after a repeat purchase."""
        x, tx, T = _rfm(frequency, recency, T)
        return _p_alive(self.params, x, tx, T)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T], expected purchases in the next t time units [BG eq. 10]:
        P(alive) times `_alive_purchases`, finite and accurate for any x and t."""
        x, tx, T = _rfm(frequency, recency, T)
        (t,) = _arrays(("t",), (t,))
        if t.size == 1 and t.ndim <= x.ndim:
            ey = _by_pairs(x, T, lambda x_, T_: _alive_purchases(self.params, x_, T_, t.reshape(())))
        else:
            ey = _alive_purchases(self.params, x, T, t)
        return _p_alive(self.params, x, tx, T) * ey

    def expected_purchases_new(self, t) -> np.ndarray:
        """E[X(t)], repeat purchases in (0, t] of a new customer [BG eq. 9] (eq. 10 at x = T = 0)."""
        (t,) = _arrays(("t",), (t,))
        return _alive_purchases(self.params, 0.0, 0.0, t)


class GammaGamma(_Model):
    """Gamma-Gamma spend model [GG]: a customer's transaction values are Gamma(p, nu),
    nu ~ Gamma(q, gamma) across customers, independent of the BG/NBD process."""

    _names = ("p", "q", "gamma")

    def __init__(self, p=None, q=None, gamma=None):
        self._init((p, q, gamma))

    def fit(self, frequency, monetary, weights=None) -> GammaGamma:
        """Maximum likelihood [GG eq. 1a] over the customers with frequency > 0 and
        monetary > 0 (money rescaled to mean 1 while optimising)."""
        w = np.ones(np.size(monetary)) if weights is None else weights
        x, m, w = _arrays(("frequency", "monetary", "weights"), (frequency, monetary, w), flat=True)
        if (x != np.floor(x)).any():
            raise ValueError("frequency must be whole numbers (repeat purchase days)")
        use = (x > 0) & (m > 0) & (w > 0)
        if not use.any():
            raise ValueError("GammaGamma.fit needs at least one customer with a repeat purchase "
                             "(frequency > 0) and positive monetary value")
        x, m, w = x[use], m[use], w[use]
        c = _dot(w, m) / w.sum()
        lik = _GGLikelihood(x, m / c, w)
        theta, ll, self.n_iterations, self.converged, self.message = _maximise(lik, np.zeros(3))
        p, q, g = np.exp(theta)
        self.p, self.q, self.gamma = float(p), float(q), float(g * c)
        self.log_likelihood = float(ll - np.log(c) * w.sum())
        return self

    def expected_spend(self, frequency, monetary) -> np.ndarray:
        """E[M | x, m_x] = (q-1)/(px+q-1) p gamma/(q-1) + px/(px+q-1) m_x [GG eq. 5];
        the population mean p gamma/(q-1) where frequency or monetary is 0."""
        p, q, g = self.params
        if q <= 1.0:
            raise ValueError(f"GammaGamma with q = {q:.3g} <= 1 has no finite mean spend")
        x, m = _arrays(("frequency", "monetary"), (frequency, monetary))
        px = np.where((x > 0) & (m > 0), p * x, 0.0)
        return (p * g + px * m) / (px + q - 1.0)


def lifetime_value(bg, gg, frequency, recency, T, monetary=None, *, spend=None, months=12, monthly_discount=0.01,
                   unit_days=7.0, month_days=MONTH_DAYS) -> np.ndarray:
    """Discounted value over `months`: sum_i (E[Y(i M)] - E[Y((i-1) M)]) E[M] / (1+d)^i,
    M = month_days/unit_days time units, E[Y] [BG eq. 10], E[M] [GG eq. 5]. This is
    lifetimes' customer_lifetime_value, which takes a month as 30 days for daily data
    and 4.345 weeks for weekly (pass month_days=30 or 4.345 * 7 to reproduce it).

    `spend`, when given, is E[M] per customer, used instead of gg.expected_spend (gg
    and monetary are then not used and may be None): where the Gamma-Gamma fit has
    q <= 1, no finite mean spend, a caller can pass each customer's own average order."""
    x, tx, T = _rfm(frequency, recency, T)
    if spend is not None:
        spend = _arrays(("frequency", "spend"), (x, spend))[1]
    elif gg is None or monetary is None:
        raise ValueError("lifetime_value needs a GammaGamma model and monetary values, or spend")
    else:
        spend = gg.expected_spend(x, monetary)
    if not (months >= 0 and monthly_discount > -1.0 and 0 < unit_days < np.inf and 0 < month_days < np.inf):
        raise ValueError("months must be >= 0, monthly_discount > -1, unit_days and month_days > 0")
    params = bg.params

    def discounted(x, T):
        total, before = np.zeros(x.shape), 0.0
        for i in range(1, int(months) + 1):
            upto = _alive_purchases(params, x, T, i * month_days / unit_days)
            total += (upto - before) / (1.0 + monthly_discount) ** i
            before = upto
        return total

    return _p_alive(params, x, tx, T) * spend * _by_pairs(x, T, discounted)
