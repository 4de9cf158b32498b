"""Customer value pages: the dashboard, the win-back list and the grade
proposals, and the value card of the 360° page. Every figure comes from the
stored results of the last refresh, filtered to the customers the user sees."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from manyi.analytics import selectors, services
from manyi.analytics.models import ChurnBasis
from manyi.customers import access
from manyi.customers.models import Customer
from manyi.customers.selectors import customer_get
from manyi.web.errors import page, require
from manyi.web.numbers import count, money, percent
from manyi.web.pagination import paginate

# Segment codes of metrics.rfm: a name and what it means, in plain words.
SEGMENTS = {
    "champions": (gettext_lazy("Champions"), gettext_lazy("Bought recently and often: the best customers.")),
    "loyal": (gettext_lazy("Loyal"), gettext_lazy("Buy regularly, though not the most recently or most often.")),
    "potential": (gettext_lazy("Potential loyalists"), gettext_lazy("Bought recently, once or twice: could become loyal.")),
    "new": (gettext_lazy("New"), gettext_lazy("Made a first purchase very recently.")),
    "at_risk": (gettext_lazy("At risk"), gettext_lazy("Used to buy often, but not for a while.")),
    "cant_lose": (gettext_lazy("Can't lose them"), gettext_lazy("Bought most often of all, but not for a long time.")),
    "hibernating": (gettext_lazy("Hibernating"), gettext_lazy("Bought once or twice, some time ago.")),
    "lost": (gettext_lazy("Lost"), gettext_lazy("Bought once or twice, long ago.")),
    "none": (gettext_lazy("No orders"), gettext_lazy("Has not bought anything yet.")),
}
SEGMENT_COLOURS = {
    "champions": "success", "loyal": "primary", "potential": "info", "new": "info", "at_risk": "warning",
    "cant_lose": "danger", "hibernating": "secondary", "lost": "dark", "none": "light",
}  # fmt: skip


def segment_label(code: str) -> str:
    return str(SEGMENTS.get(code, (code, ""))[0])


@dataclass
class Segment:
    code: str
    label: str
    description: str
    colour: str


def segment(code: str) -> Segment:
    label, description = SEGMENTS.get(code, (code, ""))
    return Segment(code, str(label), str(description), SEGMENT_COLOURS.get(code, "secondary"))


# --- the dashboard ----------------------------------------------------------------


def _short(x: float) -> str:
    """Two significant digits: 1.3, 16, 1,300."""
    if x >= 100:
        return f"{round(x, 1 - math.floor(math.log10(x))):,.0f}"
    return f"{x:.2g}"


def _distribution(rows: list[dict]) -> dict:
    """Customers and revenue per spend band (tenths of a decade), every band
    from the lowest to the highest shown, so the bars read as a histogram."""
    by_band = {round(10 * math.log10(r["high"])): r for r in rows if r["high"] > 0}
    bands = range(min(by_band), max(by_band) + 1) if by_band else range(0)
    labels, customers, revenue, table = [], [], [], []
    for band in bands:
        low, high = 10 ** ((band - 1) / 10), 10 ** (band / 10)
        label = f"¥{_short(low)}–{_short(high)}"
        row = by_band.get(band, {"customers": 0, "revenue": 0.0})
        labels.append(label)
        customers.append(row["customers"])
        revenue.append(round(row["revenue"]))
        if row["customers"]:
            table.append({"label": label, "customers": count(row["customers"]), "revenue": money(row["revenue"])})
    none = sum(r["customers"] for r in rows if r["high"] <= 0)
    chart = {
        "kind": "bar", "categories": labels,
        "axes": [_("Number of customers"), _("Revenue")],
        "series": [
            {"name": _("Number of customers"), "data": customers},
            {"name": _("Revenue"), "data": revenue, "axis": 1, "line": True, "format": "money"},
        ],
    }  # fmt: skip
    return {"chart": chart, "table": table, "without_revenue": count(none)}


def _pareto(points: list[tuple[float, float]], top: float | None) -> dict:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    shares = [(percent(f), percent(float(np.interp(f, xs, ys)))) for f in (0.1, 0.2, 0.5)] if points else []
    chart = {
        "kind": "pareto", "points": [[round(x * 100, 2), round(y * 100, 2)] for x, y in points], "mark": 20,
        "top": round(top * 100) if top is not None else None,
        "names": {"curve": _("Share of revenue"), "equal": _("If every customer brought the same"), "x": _("Share of customers"), "y": _("Share of revenue")},
    }  # fmt: skip
    return {"chart": chart, "shares": shares, "top": percent(top) if top is not None else None}


def _segments(rows: list[dict]) -> dict:
    items = [(segment(r["segment"]), r["customers"]) for r in rows]
    chart = {"kind": "bar", "horizontal": True, "categories": [s.label for s, _n in items], "series": [{"name": _("Number of customers"), "data": [n for _s, n in items]}]}
    return {"chart": chart, "table": [(s, count(n)) for s, n in items]}


def _migration(data: dict) -> dict:
    codes, counts = data["segments"], data["counts"]
    labels = [segment_label(c) for c in codes]
    cells = [[j, i, n] for i, row in enumerate(counts) for j, n in enumerate(row) if n]
    chart = {
        "kind": "heatmap", "x": labels, "y": labels, "cells": cells, "max": max((c[2] for c in cells), default=1), "format": "count",
        "height": 80 + 32 * len(labels),
        "names": {"x": _("Segment now"), "y": _("Segment at the end of last month")},
    }  # fmt: skip
    # The table leaves out the segments nobody was or is in.
    rows = [i for i, row in enumerate(counts) if any(row)]
    columns = [j for j in range(len(codes)) if any(row[j] for row in counts)]
    table = [(labels[i], [count(counts[i][j]) if counts[i][j] else "" for j in columns]) for i in rows]
    moved = sum(n for i, row in enumerate(counts) for j, n in enumerate(row) if i != j)
    return {"chart": chart, "columns": [labels[j] for j in columns], "table": table, "moved": count(moved)}


def _cohorts(rows: list[dict]) -> dict:
    width = max((len(r["retained"]) for r in rows), default=0)
    months = [_("Month %(n)d") % {"n": k} for k in range(width)]
    cells, table = [], []
    for i, row in enumerate(rows):
        shares = [n / row["size"] if row["size"] else 0.0 for n in row["retained"]]
        cells += [[k, i, round(s * 100, 1)] for k, s in enumerate(shares)]
        table.append((row["month"], count(row["size"]), [percent(s) for s in shares] + [""] * (width - len(shares))))
    chart = {
        "kind": "heatmap", "x": months, "y": [r["month"] for r in rows], "cells": cells, "max": 100, "format": "percent",
        "height": 90 + 30 * len(rows),
        "names": {"x": _("Months after the first order"), "y": _("First order in")},
    }  # fmt: skip
    return {"chart": chart, "months": months, "table": table}


def _grades(rows: list[dict]) -> dict:
    chart = {
        "kind": "bar", "categories": [r["grade"] for r in rows],
        "series": [{"name": _("Now"), "data": [r["customers"] for r in rows]}, {"name": _("Proposed"), "data": [r["proposed"] for r in rows]}],
    }  # fmt: skip
    return {"chart": chart, "table": [(r["grade"], count(r["customers"]), count(r["proposed"])) for r in rows]}


def _headline(ov: selectors.Overview) -> dict:
    return {
        "customers": count(ov.customers), "buyers": count(ov.buyers), "revenue": money(ov.revenue_year), "clv": money(ov.clv),
        "at_risk": count(ov.at_risk), "value_at_risk": money(ov.value_at_risk),
        "top_fifth": percent(ov.top_fifth_share) if ov.top_fifth_share is not None else None,
    }  # fmt: skip


def _runs(user) -> dict:
    """The last finished refresh, the one running now, and whether the user may start one."""
    return {"run": selectors.last_run(), "running": selectors.running_run(), "can_refresh": services.can_refresh(user)}


@page
def dashboard(request):
    user = request.user
    context = {**_runs(user), "segments": [segment(c) for c in SEGMENTS], "threshold": percent(selectors.WINBACK_RISK)}
    if context["run"] is not None:
        ov = selectors.overview(user=user)
        context |= {
            "overview": ov, "headline": _headline(ov), "distribution": _distribution(ov.distribution), "pareto": _pareto(ov.pareto, ov.top_fifth_share),
            "segment_sizes": _segments(ov.segments), "migration": _migration(ov.migration), "cohorts": _cohorts(ov.cohorts), "grades": _grades(ov.grades),
        }  # fmt: skip
    return render(request, "web/analytics/dashboard.html", context)


@page
@require_POST
def refresh(request):
    """Queue a refresh for the worker; the page says when one is running."""
    try:
        services.analytics_refresh_enqueue(by=request.user)
    except services.RefreshRunning:
        messages.info(request, _("A refresh is already running; the figures update when it finishes."))
    else:
        messages.success(request, _("Refresh queued. The background worker (manyi worker) recomputes every customer's figures; reload this page in a minute or two."))
    return redirect("web:analytics")


# --- win-back -------------------------------------------------------------------------


@dataclass
class WinbackRow:
    customer: Customer
    segment: Segment
    churn: str
    basis: str
    value_at_risk: str
    clv: str
    last_order: object


@page
def winback(request):
    page_obj = paginate(request, selectors.winback_list(user=request.user))
    bases = dict(ChurnBasis.choices)
    rows = [
        WinbackRow(v.customer, segment(v.segment), percent(v.churn_risk), str(bases.get(v.churn_basis, "")), money(v.value_at_risk), money(v.clv), v.last_order)
        for v in page_obj
    ]  # fmt: skip
    context = {**_runs(request.user), "page_obj": page_obj, "rows": rows, "threshold": percent(selectors.WINBACK_RISK)}
    return render(request, "web/analytics/winback.html", context)


# --- grades ----------------------------------------------------------------------------


@dataclass
class GradeRow:
    customer: Customer
    revenue: str
    grade: str
    importance: str
    proposed_grade: str
    proposed_importance: str
    can_release: bool


@page
def grades(request):
    user = request.user
    show_all = request.GET.get("show") == "all"
    page_obj = paginate(request, selectors.grade_proposals(user=user, changed_only=not show_all))
    importance = Customer.choice_labels("importance")
    manages = user.is_admin or user.is_manager
    rows = [
        GradeRow(
            v.customer, money(v.revenue_year), v.customer.grade, str(importance.get(v.customer.importance, v.customer.importance)),
            v.proposed_grade, str(importance.get(v.proposed_importance, v.proposed_importance)),
            v.customer.grade_manual and manages and access.can_edit(user, v.customer),
        )
        for v in page_obj
    ]  # fmt: skip
    context = {**_runs(user), "page_obj": page_obj, "rows": rows, "show_all": show_all, "can_apply": services.can_apply_grades(user)}
    return render(request, "web/analytics/grades.html", context)


@page
def grades_apply(request):
    """GET: what applying would change, and a button to confirm. POST: apply."""
    user = request.user
    require(services.can_apply_grades(user), _("Only a manager or an administrator may apply grades."))
    if request.method == "POST":
        changed = services.grades_apply(by=user)
        if changed:
            messages.success(request, ngettext("%(n)s customer got the proposed grade.", "%(n)s customers got the proposed grade.", changed) % {"n": count(changed)})
        else:
            messages.info(request, _("Every customer already has the proposed grade; nothing changed."))
        return redirect("web:analytics_grades")
    proposals = selectors.grade_proposals(user=user, changed_only=True)
    pending, manual = proposals.count(), proposals.filter(customer__grade_manual=True).count()
    context = {"pending": pending - manual, "manual": manual, "nothing": pending == manual, "run": selectors.last_run()}
    return render(request, "web/analytics/grades_apply.html", context)


@page
@require_POST
def grade_release(request, pk):
    customer = customer_get(user=request.user, pk=pk)
    services.grade_release(by=request.user, customer=customer)
    messages.success(request, _("“%(name)s” will take the proposed grade the next time grades are applied.") % {"name": customer.name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("web:analytics_grades")
    return redirect(target)


# --- the 360° page's value card ------------------------------------------------------


@dataclass
class Suggestion:
    product: str
    reason: str


def _suggestion(s: selectors.Suggestion) -> Suggestion:
    if s.because is not None:
        reason = _("Bought %(because)s; %(share)s of the buyers of %(because)s also bought %(product)s.")
    else:
        reason = _("Popular: %(share)s of buying customers have bought %(product)s.")
    names = {"because": s.because.name if s.because else "", "product": s.product.name, "share": percent(s.share)}
    return Suggestion(product=s.product.name, reason=reason % names)


@dataclass
class ValueCard:
    """What the 360° page shows of one customer's stored figures."""

    computed_at: object
    segment: Segment
    r: int
    f: int
    m: int
    clv: str
    revenue_year: str
    total_spend: str
    orders: str
    p_alive: str
    churn_risk: str
    churn_level: str
    basis: str
    by_model: bool
    basis_note: str
    expected_purchases: str
    value_at_risk: str
    grade: str
    proposed_grade: str
    importance: str
    proposed_importance: str
    grade_manual: bool
    suggestions: list[Suggestion]


BASIS_NOTES = {
    ChurnBasis.MODEL: gettext_lazy("Judged from how often this customer bought and how long ago the last purchase was (BG/NBD model)."),
    ChurnBasis.ONE_PURCHASE: gettext_lazy("Only one purchase so far, so there is no pattern to judge yet: the risk shown is the chance of no purchase at all in the next 12 months."),
    ChurnBasis.NO_ORDERS: gettext_lazy("No orders yet: nothing to judge."),
}


def value_card(figures: selectors.CustomerFigures | None, customer: Customer) -> ValueCard | None:
    if figures is None:
        return None
    v = figures.value
    importance = Customer.choice_labels("importance")
    risk = v.churn_risk
    return ValueCard(
        computed_at=v.computed_at, segment=segment(v.segment), r=v.r, f=v.f, m=v.m,
        clv=money(v.clv), revenue_year=money(v.revenue_year), total_spend=money(v.total_spend), orders=count(v.orders),
        p_alive=percent(v.p_alive), churn_risk=percent(risk),
        churn_level="danger" if risk >= selectors.WINBACK_RISK else "warning" if risk >= selectors.WINBACK_RISK / 2 else "success",
        basis=str(dict(ChurnBasis.choices).get(v.churn_basis, "")), by_model=v.churn_basis == ChurnBasis.MODEL, basis_note=str(BASIS_NOTES.get(v.churn_basis, "")),
        expected_purchases=f"{v.expected_purchases:.1f}", value_at_risk=money(v.value_at_risk),
        grade=customer.grade, proposed_grade=v.proposed_grade,
        importance=str(importance.get(customer.importance, customer.importance)),
        proposed_importance=str(importance.get(v.proposed_importance, v.proposed_importance)),
        grade_manual=customer.grade_manual, suggestions=[_suggestion(s) for s in figures.suggestions],
    )  # fmt: skip
