"""The refresh pipeline: read orders into arrays, compute every figure with the
pure metrics, and replace the stored CustomerValue rows in one transaction,
so pages keep showing the previous figures until the new ones are complete.

Definitions (shown to users on the analytics pages):
- BG/NBD and Gamma-Gamma are fitted on all customers with orders, in weeks;
  expected purchases, spend and lifetime value look HORIZON_MONTHS ahead,
  discounted by MONTHLY_DISCOUNT.
- Expected spend per order is Gamma-Gamma's; when its fit has no finite mean
  (q ≤ 1: a few very large spenders) it is each customer's own average order.
- Churn risk is 1 − P(alive) for a customer with repeat purchases. BG/NBD
  holds a one-time buyer alive by definition, so for them it is the chance of
  no purchase in the next year the model expects instead (basis "one purchase").
- Value at risk: churn risk × the customer's average yearly spend.
- Grades and importance are proposed from the last twelve months' revenue by
  the 20/80 rule (metrics.grades).
- RFM segments as of the refresh day and as of the end of the month before,
  for migration.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from manyi.analytics import arrays
from manyi.analytics.metrics import clv, cohorts, grades, rfm, suggest
from manyi.analytics.models import CustomerValue
from manyi.core.db import unmapped

HORIZON_MONTHS = 12
MONTHLY_DISCOUNT = 0.01
WEEK = 7.0
HELD_OUT_DAYS = 30
SUGGESTIONS = 3
COHORT_BITS = 63

Progress = Callable[[str, int, int], None]

STAGES = ("read", "summaries", "fit", "predict", "rfm", "grades", "cohorts", "suggest", "evaluate", "write")


@dataclass
class Outcome:
    customers: int = 0
    orders: int = 0
    parameters: dict = field(default_factory=dict)
    stages: list[dict] = field(default_factory=list)


class _Clock:
    def __init__(self, outcome: Outcome, progress: Progress | None):
        self.outcome, self.progress, self.started = outcome, progress, time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.outcome.stages.append({"stage": stage, "seconds": round(now - self.started, 3)})
        self.started = now
        if self.progress:
            self.progress(stage, STAGES.index(stage) + 1, len(STAGES))


def _month_end_before(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def run(*, as_of: dt.date, progress: Progress | None = None) -> Outcome:
    with unmapped():
        return _run(as_of=as_of, progress=progress)


def _run(*, as_of: dt.date, progress: Progress | None) -> Outcome:
    outcome = Outcome()
    clock = _Clock(outcome, progress)
    today = arrays.day_number(as_of)

    customers = arrays.read_customers()
    sales = arrays.read_sales(customers, as_of=as_of)
    orders, purchases = sales.orders, sales.purchases
    del sales
    n = len(customers)
    outcome.customers, outcome.orders = n, len(orders.day)
    clock.done("read")

    # Today's orders count: "now" is the end of the as-of day.
    summary = clv.summarise(orders.customer, orders.day, orders.amount, n_customers=n, now_day=today + 1, unit_days=WEEK)
    agg = rfm.aggregate(orders.customer, orders.day, orders.amount, n_customers=n, as_of_day=today)
    clock.done("summaries")

    bg, gg = clv.BetaGeo(), clv.GammaGamma()
    fitted = _fit(bg, gg, summary, outcome.parameters)
    clock.done("fit")

    values = _predict(bg, gg, summary, fitted)
    years = np.maximum(summary.T * WEEK / 365.25, 1.0)
    values["value_at_risk"] = values["churn_risk"] * summary.total_amount / years
    clock.done("predict")

    score = rfm.scores(agg, as_of_day=today)
    segment = rfm.segment(score.r, score.f, score.m)
    before_day = arrays.day_number(_month_end_before(as_of))
    agg_before = rfm.aggregate(orders.customer, orders.day, orders.amount, n_customers=n, as_of_day=before_day)
    score_before = rfm.scores(agg_before, as_of_day=before_day)
    segment_before = rfm.segment(score_before.r, score_before.f, score_before.m)
    clock.done("rfm")

    recent = orders.day > today - 365
    revenue = np.bincount(orders.customer[recent], weights=orders.amount[recent], minlength=n)
    grade = grades.propose_grades(revenue)
    importance = grades.propose_importance(revenue)
    outcome.parameters["grades"] = {"top_fifth_share": round(float(grades.top_share(revenue, 0.2)), 4), "basis": "revenue_12_months"}
    clock.done("grades")

    cohort, active = _cohorts(orders, n)
    clock.done("cohorts")

    products = len(purchases.product_ids)
    picks = _suggest(purchases, n, products, until_day=today)
    clock.done("suggest")

    outcome.parameters["suggest"] = _evaluate(purchases, n, products, held_out_from=today - HELD_OUT_DAYS + 1)
    clock.done("evaluate")

    _write(
        customers=customers, summary=summary, agg=agg, revenue=revenue, values=values, score=score, segment=segment,
        segment_before=segment_before, grade=grade, importance=importance, cohort=cohort, active=active,
        picks=picks, product_ids=purchases.product_ids,
    )  # fmt: skip
    clock.done("write")
    return outcome


def _fit(bg: clv.BetaGeo, gg: clv.GammaGamma, summary, parameters: dict) -> tuple[bool, bool]:
    """Fit both models; a model that cannot be fitted yet (too few repeat
    buyers) is recorded with the reason, and its figures stay zero."""
    has = summary.has_orders
    try:
        bg.fit(summary.frequency[has], summary.recency[has], summary.T[has])
        parameters["bgnbd"] = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "ll": bg.log_likelihood, "converged": bool(bg.converged)}
        bg_ok = True
    except ValueError as exc:
        parameters["bgnbd"] = {"error": str(exc)}
        bg_ok = False
    try:
        gg.fit(summary.frequency[has], summary.monetary[has])
        parameters["gamma_gamma"] = {"p": gg.p, "q": gg.q, "gamma": gg.gamma, "ll": gg.log_likelihood}
        gg_ok = gg.q > 1
        if not gg_ok:
            parameters["gamma_gamma"]["error"] = (
                f"q = {gg.q:.3g} ≤ 1: a few very large spenders leave no finite mean spend; "
                "each customer's own average order is used instead"
            )
    except ValueError as exc:
        parameters["gamma_gamma"] = {"error": str(exc)}
        gg_ok = False
    parameters["horizon_months"] = HORIZON_MONTHS
    parameters["monthly_discount"] = MONTHLY_DISCOUNT
    return bg_ok, gg_ok


def _predict(bg: clv.BetaGeo, gg: clv.GammaGamma, summary, fitted: tuple[bool, bool]) -> dict[str, np.ndarray]:
    n = len(summary.frequency)
    zeros = np.zeros(n)
    out = {k: zeros.copy() for k in ("p_alive", "expected_purchases", "expected_spend", "clv", "churn_risk")}
    out["basis"] = np.where(summary.has_orders, np.where(summary.frequency > 0, "model", "one_purchase"), "no_orders")
    bg_ok, gg_ok = fitted
    has = summary.has_orders
    if not bg_ok or not has.any():
        return out
    f, r, T = summary.frequency[has], summary.recency[has], summary.T[has]
    horizon = HORIZON_MONTHS * 365.25 / 12 / WEEK
    out["p_alive"][has] = bg.p_alive(f, r, T)
    expected = bg.expected_purchases(horizon, f, r, T)
    out["expected_purchases"][has] = expected
    churn = np.where(f > 0, 1.0 - out["p_alive"][has], np.exp(-expected))
    out["churn_risk"][has] = churn
    if gg_ok:
        spend = gg.expected_spend(f, summary.monetary[has])
    else:
        spend = summary.total_amount[has] / np.maximum(summary.order_days[has], 1)
    out["expected_spend"][has] = spend
    out["clv"][has] = clv.lifetime_value(
        bg, None, f, r, T, summary.monetary[has], spend=spend, months=HORIZON_MONTHS, monthly_discount=MONTHLY_DISCOUNT, unit_days=WEEK
    )
    return out


def _cohorts(orders: arrays.Orders, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's first-order month and a bit per later month with an order."""
    month = cohorts.month_index(orders.day)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, orders.customer, month)
    offset = month - first[orders.customer]
    keep = offset < COHORT_BITS
    active = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(active, orders.customer[keep], np.left_shift(np.int64(1), offset[keep]))
    cohort = np.where(first == np.iinfo(np.int64).max, -1, first)
    return cohort, active


def _suggest(purchases: arrays.Purchases, n: int, products: int, *, until_day: int):
    model = suggest.CoOccurrence().fit(purchases.customer, purchases.product, n_customers=n, n_products=products)
    return model.suggest(purchases.customer, purchases.product, k=SUGGESTIONS)


def _evaluate(purchases: arrays.Purchases, n: int, products: int, *, held_out_from: int) -> dict:
    """Suggestions made from what was bought before the last HELD_OUT_DAYS,
    scored on what customers bought for the first time within them, beside
    the most popular products."""
    before = purchases.first_day < held_out_from
    after = ~before
    if not before.any() or not after.any():
        return {"held_out_days": HELD_OUT_DAYS, "held_out_customers": 0}
    c, p = purchases.customer[before], purchases.product[before]
    model = suggest.CoOccurrence().fit(c, p, n_customers=n, n_products=products)
    picked = model.suggest(c, p, k=SUGGESTIONS)
    popular = suggest.popular(c, p, n_customers=n, n_products=products, k=SUGGESTIONS)
    held_c, held_p = purchases.customer[after], purchases.product[after]
    return {
        "held_out_days": HELD_OUT_DAYS,
        "held_out_customers": len(np.unique(held_c)),
        "hit_rate": round(float(suggest.hit_rate(picked.product, held_c, held_p, before_customer=c, before_product=p)), 4),
        "popular_hit_rate": round(float(suggest.hit_rate(popular, held_c, held_p, before_customer=c, before_product=p)), 4),
    }


COLUMNS = (
    "customer_id", "owner_id", "team_id", "computed_at", "orders", "first_order", "last_order", "total_spend",
    "revenue_year", "value_bucket",
    "frequency", "recency", "age", "average_spend", "r", "f", "m", "segment", "segment_before", "p_alive",
    "churn_risk", "churn_basis", "expected_purchases", "expected_spend", "clv", "value_at_risk",
    "proposed_grade", "proposed_importance", "cohort", "active_months", "suggestions",
)  # fmt: skip


def _suggestion_json(picks, product_ids: np.ndarray) -> np.ndarray:
    """One JSON list per customer: [{"product": id, "because": id|null, "share": x}].

    A slot's text depends only on its (product, because) pair, whose share is
    the same everywhere, so each pair present is formatted once and the rows
    are joined from those texts (a json.dumps per customer took 11 s at 1M)."""
    n_products = len(product_ids)
    product, because = picks.product, picks.because  # -1: none / popularity
    pair = (product.astype(np.int64) + 1) * (n_products + 1) + (because.astype(np.int64) + 1)
    seen = arrays.distinct(pair.ravel())
    slot = np.searchsorted(seen, pair)
    share_of = np.zeros(len(seen))
    share_of[slot.ravel()] = picks.share.ravel()  # equal for equal pairs
    shares = np.round(share_of, 3).tolist()
    texts = np.empty((len(seen), 2), dtype=object)  # [first slot, later slot with its comma]
    for row, (key, share) in enumerate(zip(seen.tolist(), shares, strict=True)):
        p, b = divmod(key, n_products + 1)
        if p == 0:
            texts[row] = ("", "")
            continue
        by = str(int(product_ids[b - 1])) if b else "null"
        text = f'{{"product":{int(product_ids[p - 1])},"because":{by},"share":{share}}}'
        texts[row] = (text, "," + text)
    out = np.full(len(product), "[", dtype=object)
    for k in range(product.shape[1]):
        out = out + texts[slot[:, k], 0 if k == 0 else 1]
    return out + "]"


def value_bucket(value: np.ndarray) -> np.ndarray:
    """0 for no value, else k for values in (10^((k-1)/10), 10^(k/10)]: tenths
    of a decade (values up to 10^0.1 in bucket 1)."""
    out = np.zeros(len(value), dtype=np.int16)
    positive = value > 0
    out[positive] = np.maximum(np.ceil(np.log10(value[positive]) * 10), 1).astype(np.int16)
    return out


WRITE_CHUNK = 50_000


def _write(*, customers, summary, agg, revenue, values, score, segment, segment_before, grade, importance, cohort, active, picks, product_ids) -> None:
    """Replace every stored row in one transaction, WRITE_CHUNK customers at a
    time so no million-long lists of Python objects are held."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    segment_names = np.array(rfm.SEGMENTS)
    has = agg.has_orders
    first_day = np.datetime_as_string(agg.first_day.astype("datetime64[D]"))
    last_day = np.datetime_as_string(agg.last_day.astype("datetime64[D]"))

    def nullable(column: np.ndarray, keep: np.ndarray, lo: int, hi: int) -> list:
        return [v if ok else None for v, ok in zip(column[lo:hi].tolist(), keep[lo:hi].tolist(), strict=True)]

    numbers = [
        np.round(agg.total_amount, 2), np.round(revenue, 2), value_bucket(revenue), summary.frequency,
        np.round(summary.recency, 4), np.round(summary.T, 4), np.round(summary.monetary, 2), score.r, score.f, score.m,
        segment_names[segment], segment_names[segment_before], np.round(values["p_alive"], 6), np.round(values["churn_risk"], 6),
        values["basis"], np.round(values["expected_purchases"], 4), np.round(values["expected_spend"], 2),
        np.round(values["clv"], 2), np.round(values["value_at_risk"], 2), grade, importance,
    ]  # fmt: skip

    suggestions = _suggestion_json(picks, product_ids)

    def rows(lo: int, hi: int):
        columns = [
            customers.id[lo:hi].tolist(), customers.owner[lo:hi].tolist(), nullable(customers.team, customers.team >= 0, lo, hi),
            [now] * (hi - lo), agg.order_count[lo:hi].tolist(), nullable(first_day, has, lo, hi), nullable(last_day, has, lo, hi),
            *(c[lo:hi].tolist() for c in numbers),
            nullable(cohort, cohort >= 0, lo, hi), active[lo:hi].tolist(), suggestions[lo:hi].tolist(),
        ]  # fmt: skip
        return zip(*columns, strict=True)

    n = len(customers)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM analytics_customervalue")
            with cursor.cursor.copy(f"COPY analytics_customervalue ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for lo in range(0, n, WRITE_CHUNK):
                    for row in rows(lo, min(lo + WRITE_CHUNK, n)):
                        copy.write_row(row)
            return
        # SQLite: a DELETE of the whole table is one step (no foreign key on
        # it), and the rows go in by primary key with the other indexes
        # rebuilt once at the end, each in one sorted pass.
        indexes = CustomerValue._meta.indexes
        for index in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        cursor.execute("DELETE FROM analytics_customervalue")
        sql = f"INSERT INTO analytics_customervalue ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        for lo in range(0, n, WRITE_CHUNK):
            cursor.executemany(sql, list(rows(lo, min(lo + WRITE_CHUNK, n))))
        for index in indexes:
            cursor.execute(_create_index_sql(index))


def _create_index_sql(index) -> str:
    """The CREATE INDEX of one of CustomerValue's Meta.indexes (plain fields, "-" for descending)."""
    columns = []
    for name in index.fields:
        column = CustomerValue._meta.get_field(name.lstrip("-")).column
        columns.append(f'"{column}" DESC' if name.startswith("-") else f'"{column}"')
    return f'CREATE INDEX "{index.name}" ON "{CustomerValue._meta.db_table}" ({", ".join(columns)})'
