"""The complaint dashboard (the four no-misses, the three controls, handling
times against the SLA, causes by month, value kept), its drill-down lists of
misses, and the agent load page. Every figure comes from
manyi.service.dashboards, counted over what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from manyi.service import causes, controls, dashboards, selectors
from manyi.service.controls import Period
from manyi.web.errors import page, require
from manyi.web.numbers import count, money, percent
from manyi.web.pagination import paginate

NO_MISSES = {
    "recorded": (pgettext_lazy("four no-misses", "Recorded"), gettext_lazy("Every problem recorded")),
    "handled": (pgettext_lazy("four no-misses", "Handled"), gettext_lazy("Every problem handled in time")),
    "rechecked": (pgettext_lazy("four no-misses", "Rechecked"), gettext_lazy("Every result rechecked with the customer")),
    "fed_back": (pgettext_lazy("four no-misses", "Fed back"), gettext_lazy("Every result fed back to the department")),
}
MISS_LISTS = {
    "recorded": gettext_lazy("Complaints not recorded"),
    "handled": gettext_lazy("Complaints not handled in time"),
    "rechecked": gettext_lazy("Complaints not rechecked"),
    "fed_back": gettext_lazy("Complaints not fed back"),
}
MISS_INTROS = {
    "recorded": gettext_lazy("What customers said that reads as a complaint, with no complaint recorded for it: the words are linked to no complaint, and the customer has no complaint received within three days either side."),
    "handled": gettext_lazy("Complaints received in the period with no first response by its deadline, a first response after it, or still open past the resolution deadline."),
    "rechecked": gettext_lazy("Closed complaints that were never rechecked with the customer since they were last reopened (closed by a manager's override), and open ones carried out more than seven days ago and not rechecked yet."),
    "fed_back": gettext_lazy("Closed complaints without a feedback item to the department that caused them, or whose feedback items nobody has acknowledged fourteen days after closing."),
}
REASONS = {
    "no_response": gettext_lazy("No first response; it was due %(response_due)s"),
    "late_response": gettext_lazy("First response %(responded_at)s, after the deadline %(response_due)s"),
    "overdue": gettext_lazy("Still open past the resolution deadline %(resolution_due)s"),
    "closed_unchecked": gettext_lazy("Closed without a recheck with the customer"),
    "recheck_overdue": gettext_lazy("Carried out more than seven days ago, not rechecked yet"),
    "no_feedback": gettext_lazy("Closed without a feedback item to the department"),
    "feedback_unanswered": gettext_lazy("No department has acknowledged the feedback fourteen days after closing"),
}
CONTROLS = {
    "complaint": gettext_lazy("Complaint rate"),
    "omission": gettext_lazy("Omission rate"),
    "dissatisfaction": gettext_lazy("Dissatisfaction rate"),
}


def _control_count(code: str, n: int) -> str:
    """What a control counted, in words: "3 complaints received"."""
    if code == "complaint":
        text = ngettext("%(n)s complaint received", "%(n)s complaints received", n)
    elif code == "omission":
        text = ngettext("%(n)s complaint not recorded or not handled in time", "%(n)s complaints not recorded or not handled in time", n)
    else:
        text = ngettext("%(n)s complaint still dissatisfied at the recheck", "%(n)s complaints still dissatisfied at the recheck", n)
    return text % {"n": count(n)}


BASES = {"customers": gettext_lazy("per 100,000 customers served"), "orders": gettext_lazy("per 100,000 orders")}
STATUS_COLOURS = {"met": "success", "over": "danger", "none": "secondary"}


def _period(request) -> tuple[Period, bool]:
    return controls.period_from(
        month=request.GET.get("month", ""), start=request.GET.get("from", ""), end=request.GET.get("to", ""),
        today=timezone.localdate(), tz=timezone.get_current_timezone(),
    )  # fmt: skip


def period_params(period: Period) -> dict[str, str]:
    """The period as query parameters (none for the last 30 days), for links between the pages."""
    if period.kind == "month":
        return {"month": period.month}
    if period.kind == "range":
        return {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return {}


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _hours(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _hours_text(value: float | None) -> str:
    return "—" if value is None else _("%(n)s h") % {"n": f"{value:,.1f}"}


# --- the dashboard --------------------------------------------------------------------------


@dataclass
class NoMissCard:
    kind: str
    label: str
    principle: str
    done: str
    should: str
    misses: int
    misses_text: str
    share: str
    url: str


@dataclass
class ControlCard:
    code: str
    label: str
    counted: str
    rate: str
    status: str
    colour: str


def _no_miss_cards(figures: list[dashboards.NoMiss], query: str) -> list[NoMissCard]:
    cards = []
    for f in figures:
        label, principle = NO_MISSES[f.kind]
        url = _with_query(reverse("web:complaint_misses", args=[f.kind]), query)
        cards.append(NoMissCard(f.kind, str(label), str(principle), count(f.done), count(f.should), f.misses, count(f.misses), percent(f.share), url))
    return cards


def _control_cards(figures: dashboards.Controls) -> list[ControlCard]:
    labels = {"met": _("Within target"), "over": _("Over target"), "none": _("No figure")}
    return [
        ControlCard(c.code, str(CONTROLS[c.code]), _control_count(c.code, c.count), c.shown, labels[c.status], STATUS_COLOURS[c.status])
        for c in figures.all
    ]  # fmt: skip


def _times_chart(months: list[dashboards.MonthTimes], which: str) -> dict:
    figures = [getattr(m, which) for m in months]
    return {
        "kind": "bar", "categories": [controls.month_label(m.month) for m in months],
        "axes": [_("Hours"), _("On time")],
        "series": [
            {"name": _("Median"), "data": [_hours(t.median) for t in figures]},
            {"name": _("90th percentile"), "data": [_hours(t.p90) for t in figures]},
            {"name": _("Met the deadline"), "data": [round(t.share * 100, 1) if t.share is not None else None for t in figures], "axis": 1, "line": True, "format": "percent"},
        ],
    }  # fmt: skip


def _times_table(months: list[dashboards.MonthTimes]) -> list[dict]:
    def cells(t: controls.Times) -> list[str]:
        return [count(t.count), _hours_text(t.median), _hours_text(t.p90), percent(t.share)]

    return [{"month": controls.month_label(m.month), "received": count(m.received), "response": cells(m.response), "resolution": cells(m.resolution)} for m in months]


def _group_label(group: str) -> str:
    return str(causes.GROUPS[group][0]) if group in causes.GROUPS else _("Not analysed")


def _causes(table: dict[str, dict[tuple[int, int], int]], months: list[tuple[int, int]]) -> dict:
    used = [g for g, by_month in table.items() if any(by_month.values())]
    chart = {
        "kind": "bar", "categories": [controls.month_label(m) for m in months],
        "series": [{"name": _group_label(g), "data": [table[g][m] for m in months], "stack": "causes"} for g in used],
    }  # fmt: skip
    rows = [(_group_label(g), [count(table[g][m]) for m in months], count(sum(table[g].values()))) for g in used]
    return {"chart": chart, "rows": rows, "months": [controls.month_label(m) for m in months], "empty": not used}


@page
def complaint_dashboard(request):
    user, now = request.user, timezone.now()
    period, understood = _period(request)
    basis = request.GET.get("basis", "customers")
    basis = basis if basis in dashboards.BASES else "customers"
    query = urlencode(period_params(period))
    no_misses = dashboards.four_no_misses(user=user, period=period, now=now)
    three = dashboards.three_controls(user=user, period=period, basis=basis, no_misses=no_misses, now=now)
    months = dashboards.handling_times(user=user, period=period, now=now)
    value = dashboards.value_kept(user=user, period=period)
    basis_links = [(code, str(label), _with_query(request.path, urlencode({**period_params(period), "basis": code}))) for code, label in BASES.items()]
    context = {
        "period": period, "understood": understood, "query": query, "basis": basis, "basis_label": BASES[basis], "basis_links": basis_links,
        "no_misses": _no_miss_cards(no_misses, query), "controls": _control_cards(three), "served": count(three.served), "orders": count(three.orders),
        "target": controls.format_rate(controls.DEFAULT_TARGET),
        "response": {"chart": _times_chart(months, "response")}, "resolution": {"chart": _times_chart(months, "resolution")},
        "times": _times_table(months), "causes": _causes(dashboards.causes_by_month(user=user, period=period), period.chart_months()),
        "value": {
            "customers": count(value.customers), "at_risk": money(value.at_risk), "kept_customers": count(value.kept_customers), "kept_count": value.kept_customers,
            "kept": money(value.kept), "share": percent(value.share),
        },
        "can_see_load": dashboards.can_see_agent_load(user), "tab": "dashboard",
    }  # fmt: skip
    return render(request, "web/dashboards/complaints.html", context)


# --- the drill-down lists --------------------------------------------------------------------------


@dataclass
class MissRow:
    """One line of a drill-down: a customer's unrecorded words, or a complaint and why it is a miss."""

    customer: object
    at: object
    text: str
    url: str
    number: str = ""
    status: str = ""
    assignee: object = None
    reasons: tuple[str, ...] = ()


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _rows(kind: str, items: list, now) -> list[MissRow]:
    if kind == "recorded":
        new = reverse("web:complaint_new")
        return [MissRow(i.customer, i.occurred_at, Truncator(i.text or i.subject).chars(120), f"{new}?{urlencode({'customer': i.customer_id})}") for i in items]
    why = dashboards.why_missed(kind, items, now=now)
    rows = []
    for c in items:
        times = {"response_due": _when(c.response_due), "responded_at": _when(c.responded_at), "resolution_due": _when(c.resolution_due)}
        reasons = tuple(str(REASONS[code]) % times for code in why[c.pk])
        rows.append(MissRow(c.customer, c.received_at, c.subject, reverse("web:complaint_detail", args=[c.pk]), c.number or "", c.get_status_display(), c.assignee, reasons))
    return rows


@page
def complaint_misses(request, kind):
    if kind not in dashboards.KINDS:
        raise Http404(_("No such list."))
    now = timezone.now()
    period, understood = _period(request)
    page_obj = paginate(request, dashboards.misses(kind, user=request.user, period=period, now=now))
    query = urlencode(period_params(period))
    context = {
        "kind": kind, "title": MISS_LISTS[kind], "intro": MISS_INTROS[kind], "period": period, "understood": understood,
        "page_obj": page_obj, "rows": _rows(kind, list(page_obj), now),
        "back": _with_query(reverse("web:complaint_dashboard"), query),
        "can_see_load": dashboards.can_see_agent_load(request.user), "tab": "dashboard",
    }  # fmt: skip
    return render(request, "web/dashboards/misses.html", context)


# --- agent load ----------------------------------------------------------------------------------


@page
def agent_load(request):
    user = request.user
    require(dashboards.can_see_agent_load(user), _("Only managers, analysts and administrators see the team's load."))
    rows = selectors.agent_load(user=user)
    limit = dashboards.HOSTILE_TODAY_LIMIT
    names = [r["user"].name for r in rows]
    chart = {
        "kind": "bar", "horizontal": True, "categories": names, "height": 80 + 36 * max(len(rows), 1),
        "series": [
            {"name": _("Hostile today"), "data": [r["today"] for r in rows]},
            {"name": _("Hostile this week"), "data": [r["week"] for r in rows]},
            {"name": _("Open complaints"), "data": [r["open"] for r in rows]},
        ],
    }  # fmt: skip
    context = {
        "rows": rows, "chart": chart, "limit": limit, "overloaded": [r["user"].name for r in rows if r["today"] >= limit],
        "can_see_load": True, "tab": "load", "today": timezone.localdate(),
    }  # fmt: skip
    return render(request, "web/dashboards/load.html", context)
