"""Every read of orders, products and customer value, already filtered to what
the asking user may see: the orders and figures of the customers they see.
Aggregates (charts) are sums over the stored CustomerValue rows of those
customers; nothing is fitted on a page view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.analytics.metrics import rfm
from manyi.analytics.models import (
    STALE_RUN,
    AnalyticsRun,
    CustomerValue,
    Order,
    Product,
    RunStatus,
)
from manyi.core.errors import NotFound
from manyi.customers import access
from manyi.customers.models import AccessKind, Customer, CustomerAccess

# At or above this churn risk a valuable customer is on the win-back list.
WINBACK_RISK = 0.5
COHORT_MONTHS = 12


def _value_scope(user: User) -> QuerySet[CustomerValue]:
    """The stored figures of the live customers the user may see, answered from
    the denormalised owner and team columns (indexed with value at risk)."""
    qs = CustomerValue.objects.filter(customer__deleted_at__isnull=True)
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin:
        return qs
    if user.role in (Role.MANAGER, Role.ANALYST):
        return qs.filter(team_id=user.team_id) if user.team_id else qs.filter(owner_id=user.pk)
    kind = AccessKind.SERVICE if user.role == Role.SERVICE else AccessKind.SHARED
    granted = CustomerAccess.objects.filter(user_id=user.pk, kind=kind).values("customer_id")
    return qs.filter(Q(owner_id=user.pk) | Q(customer_id__in=granted))


def last_run() -> AnalyticsRun | None:
    return AnalyticsRun.objects.filter(status=RunStatus.DONE).order_by("-finished_at", "-id").first()


def running_run() -> AnalyticsRun | None:
    """A refresh under way; one that has run longer than STALE_RUN is taken to have died."""
    since = timezone.now() - STALE_RUN
    return AnalyticsRun.objects.filter(status=RunStatus.RUNNING, started_at__gte=since).order_by("-started_at").first()


# --- products and orders ------------------------------------------------------


def product_list(*, user: User, active_only: bool = False) -> QuerySet[Product]:
    if not user or not user.is_authenticated:
        return Product.objects.none()
    qs = Product.objects.select_related("category").order_by("category__name", "sku")
    return qs.filter(active=True) if active_only else qs


def order_list(*, user: User, customer: Customer | None = None) -> QuerySet[Order]:
    """Orders of the customers the user sees, newest first."""
    qs = Order.objects.select_related("customer")
    if customer is not None:
        qs = qs.filter(customer=customer)
    if user.is_admin:
        return qs.filter(customer__deleted_at__isnull=True)
    return qs.filter(customer__in=access.visible_customers(user).values("pk"))


def order_get(*, user: User, pk: Any) -> Order:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Order not found.")) from None
    order = order_list(user=user).filter(pk=pk).select_related("created_by").first()
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def order_lines(order: Order) -> list:
    return list(order.lines.select_related("product").order_by("id"))


# --- one customer ---------------------------------------------------------------


@dataclass
class Suggestion:
    product: Product
    because: Product | None
    share: float


@dataclass
class CustomerFigures:
    value: CustomerValue
    suggestions: list[Suggestion]
    run: AnalyticsRun | None


def customer_figures(*, user: User, customer: Customer) -> CustomerFigures | None:
    """The stored figures of a customer the user sees (the caller got the
    customer through customers.selectors.customer_get), or None before the
    first refresh that included them."""
    value = _value_scope(user).filter(customer_id=customer.pk).first()
    if value is None:
        return None
    ids = {s["product"] for s in value.suggestions} | {s["because"] for s in value.suggestions if s.get("because")}
    products = Product.objects.in_bulk(ids)
    suggestions = [
        Suggestion(product=products[s["product"]], because=products.get(s.get("because")), share=s["share"])
        for s in value.suggestions
        if s["product"] in products
    ]
    return CustomerFigures(value=value, suggestions=suggestions, run=last_run())


# --- lists and charts -------------------------------------------------------------


def winback_list(*, user: User) -> QuerySet[CustomerValue]:
    """Valuable customers slipping away, the most value at risk first."""
    return (
        _value_scope(user)
        .filter(churn_risk__gte=WINBACK_RISK, value_at_risk__gt=0)
        .select_related("customer", "customer__owner")
        .order_by("-value_at_risk", "customer_id")
    )


def grade_proposals(*, user: User, changed_only: bool = True) -> QuerySet[CustomerValue]:
    """Customers whose proposed grade or importance differs from their own."""
    qs = _value_scope(user).select_related("customer", "customer__owner")
    if changed_only:
        qs = qs.exclude(proposed_grade=F("customer__grade"), proposed_importance=F("customer__importance"))
    return qs.order_by("-revenue_year", "customer_id")


@dataclass
class Overview:
    customers: int
    buyers: int
    revenue_year: float
    clv: float
    at_risk: int
    value_at_risk: float
    top_fifth_share: float | None
    pareto: list[tuple[float, float]]  # (share of customers, share of revenue), from the top
    distribution: list[dict]  # [{"low": x, "high": y, "customers": n, "revenue": s}]
    segments: list[dict]  # [{"segment": code, "customers": n}]
    migration: dict  # {"segments": [...], "counts": [[...]]}
    cohorts: list[dict]  # [{"month": "2026-01", "size": n, "retained": [n0, n1, ...]}]
    grades: list[dict]  # [{"grade": "A", "customers": n, "proposed": m}]


def _bucket_edges(bucket: int) -> tuple[float, float]:
    if bucket <= 0:
        return 0.0, 0.0
    return 10 ** ((bucket - 1) / 10), 10 ** (bucket / 10)


def _pareto(buckets: list[tuple[int, int, float]]) -> tuple[list[tuple[float, float]], float | None]:
    """The 20/80 curve from revenue buckets (customers sorted by revenue,
    equal within a bucket), and the share of revenue the top fifth brings."""
    rows = sorted((b for b in buckets if b[0] > 0), reverse=True)
    total_customers = sum(b[1] for b in buckets)
    total = sum(b[2] for b in rows)
    if not total_customers or total <= 0:
        return [], None
    xs, ys = [0.0], [0.0]
    seen = value = 0.0
    for _bucket, count, revenue in rows:
        seen += count
        value += revenue
        xs.append(seen / total_customers)
        ys.append(value / total)
    xs.append(1.0)
    ys.append(1.0)
    top = float(np.interp(0.2, xs, ys))
    return [(round(x, 4), round(y, 4)) for x, y in zip(xs, ys, strict=True)], round(top, 4)


def _month_label(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def overview(*, user: User, today: dt.date | None = None) -> Overview:
    scope = _value_scope(user)
    totals = scope.aggregate(
        customers=Count("pk"),
        buyers=Count("pk", filter=Q(orders__gt=0)),
        revenue=Sum("revenue_year"),
        clv=Sum("clv"),
        at_risk=Count("pk", filter=Q(churn_risk__gte=WINBACK_RISK, value_at_risk__gt=0)),
        value_at_risk=Sum("value_at_risk", filter=Q(churn_risk__gte=WINBACK_RISK)),
    )
    buckets = [(row["value_bucket"], row["n"], row["revenue"] or 0.0) for row in scope.values("value_bucket").annotate(n=Count("pk"), revenue=Sum("revenue_year"))]
    pareto, top = _pareto(buckets)
    distribution = []
    for bucket, count, revenue in sorted(buckets):
        low, high = _bucket_edges(bucket)
        distribution.append({"low": round(low, 2), "high": round(high, 2), "customers": count, "revenue": round(revenue, 2)})
    segment_rows = dict(scope.values_list("segment").annotate(n=Count("pk")))
    segments = [{"segment": s, "customers": segment_rows.get(s, 0)} for s in rfm.SEGMENTS if s != "none"]
    codes = list(rfm.SEGMENTS)
    counts = [[0] * len(codes) for _ in codes]
    for before, after, n in scope.values_list("segment_before", "segment").annotate(n=Count("pk")):
        if before in codes and after in codes:
            counts[codes.index(before)][codes.index(after)] = n
    latest = scope.exclude(cohort=None).order_by("-cohort").values_list("cohort", flat=True).first()
    cohort_rows = []
    if latest is not None:
        first = latest - COHORT_MONTHS + 1
        annotations = {f"m{k}": Sum(F("active_months").bitrightshift(k).bitand(1)) for k in range(COHORT_MONTHS)}
        for row in scope.filter(cohort__gte=first).values("cohort").annotate(size=Count("pk"), **annotations).order_by("cohort"):
            reach = latest - row["cohort"] + 1
            cohort_rows.append({
                "month": _month_label(row["cohort"]), "size": row["size"],
                "retained": [row[f"m{k}"] or 0 for k in range(reach)],
            })  # fmt: skip
    grade_rows = {g: [0, 0] for g in "ABCD"}
    for grade, n in scope.values_list("customer__grade").annotate(n=Count("pk")):
        grade_rows.setdefault(grade, [0, 0])[0] = n
    for grade, n in scope.values_list("proposed_grade").annotate(n=Count("pk")):
        grade_rows.setdefault(grade, [0, 0])[1] = n
    return Overview(
        customers=totals["customers"], buyers=totals["buyers"], revenue_year=totals["revenue"] or 0.0, clv=totals["clv"] or 0.0,
        at_risk=totals["at_risk"], value_at_risk=totals["value_at_risk"] or 0.0, top_fifth_share=top, pareto=pareto,
        distribution=distribution, segments=segments, migration={"segments": codes, "counts": counts}, cohorts=cohort_rows,
        grades=[{"grade": g, "customers": c, "proposed": p} for g, (c, p) in sorted(grade_rows.items())],
    )  # fmt: skip
