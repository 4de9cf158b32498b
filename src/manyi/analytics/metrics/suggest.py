"""Next-product suggestions from item co-occurrence ("bought X, also bought Y").

Input: (customer, product) purchase pairs as two int arrays (a repeated pair
counts once), customers 0..n_customers-1, products 0..n_products-1.

Model (``CoOccurrence().fit``): ``buyers[x]`` customers bought x,
``together[x, y]`` bought both (``U.T @ U`` for U the customer x product 0/1
matrix; a scipy.sparse csr matrix, diagonal = buyers; for up to 1,024
products counted pair by pair with bincount, several times faster than
scipy's sparse product, which larger catalogues use) and the confidence
``conf[x, y] = together[x, y] / buyers[x]`` ("38 % of X buyers also bought
Y").  Pairs bought together by fewer than ``min_support`` customers get
confidence 0, so one odd basket cannot make a "100 %" rule.

Scoring (``suggest``): a candidate y scores the *highest* confidence over the
products the customer owns, and ``because`` is the owned product giving it
(the smallest product index on ties): every suggestion comes with one true
sentence.  Candidates rank by score, ties by product index.  Slots no rule
fills get the most-bought products the customer does not own, with
``because = -1``, ``score = 0`` and ``share`` = the share of all buying
customers who bought y (the confidence of the empty rule); customers without
purchases get only these.  ``product = -1`` when nothing is left to suggest.
An owned product is never suggested.

How it stays fast: every confidence is replaced by its exact rank among the
distinct confidences (uint16 below 65,535 distinct values, so always up to
255 products; else uint32), so the
per-customer maximum runs on small integers, customers of similar degree go
through in cache-sized blocks, and ``chunk`` customers at a time bound the
index arrays.  ``conf`` is a dense P x P array: meant for product lines or
categories (up to ``MAX_PRODUCTS``), not 100k SKUs.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MAX_PRODUCTS = 4096
_PAIR_COUNT_MAX = 1024  # up to this many products count pairs with bincount
_PIECE = 1 << 22  # elements per temporary array
_BLOCK_BYTES = 1 << 20  # one block of per-customer keys


@dataclass(frozen=True)
class Suggestions:
    """Arrays of shape (n_customers, k), best suggestion first."""

    product: np.ndarray  # int32, -1 = nothing to suggest
    score: np.ndarray  # float64, max confidence over owned products; 0 = popularity fill
    because: np.ndarray  # int32, the owned product giving the score; -1 = popularity fill / none
    share: np.ndarray  # float64, conf[because, product]; popularity share when because = -1


def _matrix(customer, product, n_customers: int, n_products: int) -> sp.csr_matrix:
    """Customer x product 0/1 csr matrix, column indices sorted in each row."""
    c = np.asarray(customer, dtype=np.int64)
    p = np.asarray(product, dtype=np.int64)
    if c.shape != p.shape or c.ndim != 1:
        raise ValueError("customer and product must be 1-D arrays of the same length")
    if len(c) and (c.min() < 0 or c.max() >= n_customers):
        raise ValueError("customer index outside 0 .. n_customers-1")
    if len(p) and (p.min() < 0 or p.max() >= n_products):
        raise ValueError("product index outside 0 .. n_products-1")
    u = sp.csr_matrix((np.ones(len(c), dtype=np.int32), (c, p)), shape=(n_customers, n_products))
    u.sum_duplicates()
    u.data[:] = 1
    return u


def _pair_counts(u: sp.csr_matrix) -> np.ndarray:
    """Dense ``U.T @ U``; for few products, counting each customer's pairs
    with bincount beats scipy's sparse product several times over."""
    p = u.shape[1]
    if p > _PAIR_COUNT_MAX:
        return (u.T.tocsr() @ u).toarray().astype(np.int64)
    counts = np.zeros(p * p, dtype=np.int64)
    deg = np.diff(u.indptr)
    multi = np.flatnonzero(deg >= 2)
    order = multi[np.argsort(deg[multi], kind="stable")]
    for group in np.split(order, np.flatnonzero(np.diff(deg[order])) + 1):
        if len(group) == 0:
            continue
        d = int(deg[group[0]])
        iu, ju = np.triu_indices(d, 1)
        step = max(1, _PIECE // len(iu))
        for a in range(0, len(group), step):
            owned = u.indices[u.indptr[group[a : a + step], None] + np.arange(d)]
            counts += np.bincount((owned[:, iu] * p + owned[:, ju]).ravel(), minlength=p * p)
    counts = counts.reshape(p, p)
    counts += counts.T
    counts[np.diag_indices(p)] = np.bincount(u.indices, minlength=p)
    return counts


def _top_k(keys: np.ndarray, k: int):
    """Per row, the k largest keys (ties: smallest column); consumes ``keys``."""
    flat, base = keys.reshape(-1), np.arange(len(keys)) * keys.shape[1]
    pick = np.empty((len(keys), k), dtype=np.int64)
    got = np.empty((len(keys), k), dtype=keys.dtype)
    for j in range(k):
        pick[:, j] = keys.argmax(axis=1)
        at = base + pick[:, j]
        got[:, j] = flat[at]
        flat[at] = 0
    return pick, got


class CoOccurrence:
    """Item co-occurrence model; ``CoOccurrence().fit(...)`` returns the model."""

    n_customers: int
    n_products: int
    min_support: int
    buyers: np.ndarray  # int64 (P,)
    together: sp.csr_matrix  # int64 (P, P), diagonal = buyers
    conf: np.ndarray  # float64 (P, P), zero diagonal
    popularity: np.ndarray  # float64 (P,), buyers / customers with any purchase

    def fit(self, customer, product, *, n_customers: int, n_products: int, min_support: int = 10):
        """Count buyers and co-buyers of the (customer, product) pairs; returns self.

        ``min_support``: the fewest customers who bought both x and y for the
        rule "x -> y" to count (10 by default; raise it for noisy data).
        """
        if n_products > MAX_PRODUCTS:
            raise ValueError(f"n_products above {MAX_PRODUCTS}: conf is a dense P x P array")
        if min_support < 1:
            raise ValueError("min_support must be at least 1")
        u = _matrix(customer, product, n_customers, n_products)
        return self._set(u, _pair_counts(u), min_support)

    def _set(self, u, counts, min_support):
        self.n_customers, self.n_products = u.shape
        self.min_support = min_support
        self.buyers = np.diagonal(counts).copy()
        self.together = sp.csr_matrix(counts)
        counts = counts.astype(np.float64)
        counts[counts < min_support] = 0
        np.fill_diagonal(counts, 0)
        self.conf = counts / np.maximum(self.buyers, 1)[:, None]
        self.popularity = self.buyers / max(int(np.count_nonzero(np.diff(u.indptr))), 1)
        # keys: 0 = never, 1..n_pop = popularity level, n_pop + i = i-th smallest confidence
        pop_levels = _distinct(self.buyers[self.buyers > 0])
        self._levels = _distinct(self.conf[self.conf > 0])
        self._n_pop = len(pop_levels)
        dtype = np.uint16 if self._n_pop + len(self._levels) < 65535 else np.uint32
        self._pop_key = np.where(self.buyers > 0, np.searchsorted(pop_levels, self.buyers) + 1, 0).astype(dtype)
        rank = np.searchsorted(self._levels, self.conf) + 1 + self._n_pop
        self._conf_key = np.where(self.conf > 0, rank, 0).astype(dtype)
        return self

    def suggest(self, customer, product, *, k: int = 3, chunk: int = 50_000) -> Suggestions:
        """Top-k suggestions for every customer, given what each owns now."""
        return self._suggest(_matrix(customer, product, self.n_customers, self.n_products), k, chunk)

    def _suggest(self, u, k, chunk) -> Suggestions:
        if k < 1 or chunk < 1:
            raise ValueError("k and chunk must be positive")
        n, p = u.shape
        none = np.full((n, k), -1, np.int32)
        out = Suggestions(none, np.zeros((n, k)), none.copy(), np.zeros((n, k)))
        if p == 0:
            return out
        deg = np.diff(u.indptr)
        idle_pick, idle_key = _top_k(self._pop_key[None, :].copy(), k)  # customers without purchases
        block = max(64, _BLOCK_BYTES // (p * self._conf_key.itemsize))
        for lo in range(0, n, chunk):
            order = lo + np.argsort(-deg[lo : lo + chunk], kind="stable")  # by degree desc
            busy = np.count_nonzero(deg[order])
            pick = np.empty((len(order), k), dtype=np.int64)
            key = np.empty((len(order), k), dtype=self._pop_key.dtype)
            because = np.full((len(order), k), -1, dtype=np.int64)
            for b in range(0, busy, block):
                e = min(b + block, busy)
                pick[b:e], key[b:e], because[b:e] = self._block(u, order[b:e], deg, k)
            pick[busy:], key[busy:] = idle_pick, idle_key
            self._write(out, order, pick, key, because)
        return out

    def _block(self, u, cust, deg, k):
        """Customers ``cust`` (degree desc): ``prefix[j]`` of them own a j-th product."""
        d, start, x, ck = deg[cust], u.indptr[cust], u.indices, self._conf_key
        prefix = np.searchsorted(-d, -np.arange(d[0]), side="left")
        rules = len(self._levels) > 0
        if rules:
            keys = ck[x[start]]
            np.maximum(keys, self._pop_key, out=keys)
        else:
            keys = np.repeat(self._pop_key[None, :], len(cust), axis=0)
        for j in range(1, int(d[0]) if rules else 0):
            m = prefix[j]
            np.maximum(keys[:m], ck[x[start[:m] + j]], out=keys[:m])
        p = ck.shape[1]
        rows = np.repeat(np.arange(len(cust)), d)  # the block's (row, owned product) pairs,
        owned = x[np.arange(len(rows)) - np.repeat(np.cumsum(d) - d - start, d)]  # by row, x ascending
        keys.reshape(-1)[rows * p + owned] = 0  # (flat indexes: much faster than 2-D ones)
        pick, key = _top_k(keys, k)
        because = np.full(pick.shape, -1, dtype=np.int64)
        if rules:  # per slot, the first (smallest) owned x whose key equals the slot's
            flat, base = ck.reshape(-1), owned * p
            for j in range(k):
                at = np.flatnonzero(flat[base + pick[rows, j]] == key[rows, j])
                r = rows[at]
                first = at[np.r_[True, r[1:] != r[:-1]]] if len(at) else at
                because[rows[first], j] = owned[first]
            because[key <= self._n_pop] = -1
        return pick, key, because

    def _write(self, out, cust, pick, key, because):
        """Decode keys and scatter one chunk's rows (through flat indexes: fast)."""
        none = key == 0
        rule = key > self._n_pop
        score = np.zeros(key.shape)
        if len(self._levels):
            score[rule] = self._levels[key[rule].astype(np.int64) - self._n_pop - 1]
        share = np.where(rule, score, np.where(none, 0.0, self.popularity[pick]))
        flat = (cust[:, None] * pick.shape[1] + np.arange(pick.shape[1])).ravel()
        out.product.reshape(-1)[flat] = np.where(none, -1, pick).ravel()
        out.score.reshape(-1)[flat] = score.ravel()
        out.because.reshape(-1)[flat] = because.ravel()
        out.share.reshape(-1)[flat] = share.ravel()


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its hashing detour)."""
    s = np.sort(a, axis=None)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def popular(
    a, b=None, *, k: int | None = None, n_customers: int | None = None, n_products: int | None = None
) -> np.ndarray:
    """The most-bought products: a baseline for ``hit_rate``.

    ``popular(product, k)``: one list for everyone, shape ``(k,)``.
    ``popular(customer, product, k=k, n_customers=n)``: per customer the k
    most-bought products they do not own, shape ``(n, k)`` (the fair
    baseline, since ``suggest`` never names an owned product either).
    Most buyers first, ties by product index, -1 padded.
    """
    if b is not None and np.ndim(b) == 0:  # popular(product, k)
        b, k = None, int(b)
    k = 3 if k is None else k
    product = np.asarray(a if b is None else b, dtype=np.int64)
    p = max(n_products or 0, int(product.max(initial=-1)) + 1)
    if b is None:
        counts = np.bincount(product, minlength=p)
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] > 0][:k]
        return np.concatenate([order, np.full(k - len(order), -1)]).astype(np.int32)
    customer = np.asarray(a, dtype=np.int64)
    n = n_customers if n_customers is not None else int(customer.max(initial=-1)) + 1
    u = _matrix(customer, product, n, p)
    only_buyers = np.diag(np.bincount(u.indices, minlength=p)).astype(np.int64)
    model = CoOccurrence()._set(u, only_buyers, min_support=n + 1)  # no rule: popularity fill only
    return model._suggest(u, k, 50_000).product


def hit_rate(
    suggested, held_out_customer, held_out_product, *, before_customer=None, before_product=None
) -> float:
    """Share of held-out buyers for whom at least one suggestion came true.

    ``suggested`` is an (n_customers, k) product array (-1 = none); the
    held-out pairs are purchases made after the suggestions were computed.
    Given ``before_customer``/``before_product`` (what was owned when
    suggesting), held-out purchases of products bought before are dropped
    first, so the denominator is "customers who bought something new" (a
    re-buy can never be a hit: suggestions never name an owned product).
    Without them every customer with a held-out purchase counts.  NaN when
    no customer counts.
    """
    s = np.asarray(suggested)
    c = np.asarray(held_out_customer, dtype=np.int64)
    p = np.asarray(held_out_product, dtype=np.int64)
    keep = (c >= 0) & (c < len(s))
    c, p = c[keep], p[keep]
    bc = np.asarray(before_customer if before_customer is not None else [], dtype=np.int64)
    bp = np.asarray(before_product if before_product is not None else [], dtype=np.int64)
    width = int(max(p.max(initial=0), bp.max(initial=0))) + 1
    # sorted keys, held-out ones odd: a held-out key is old if its run starts even
    keys = np.sort(np.concatenate([(bc * width + bp) * 2, (c * width + p) * 2 + 1]))
    if len(keys) == 0:
        return float("nan")
    run = np.r_[True, (keys[1:] >> 1) != (keys[:-1] >> 1)]
    run_first = keys[np.maximum.accumulate(np.where(run, np.arange(len(keys)), 0))]
    new = keys[(keys & 1 == 1) & (run_first & 1 == 1)] >> 1
    if len(new) == 0:
        return float("nan")
    c, p = new // width, new % width  # sorted by customer
    hit = (s[c] == p[:, None]).any(axis=1)
    first = np.r_[True, c[1:] != c[:-1]]
    hit_customers = np.bincount(np.cumsum(first) - 1, weights=hit) > 0
    return float(hit_customers.sum() / first.sum())
