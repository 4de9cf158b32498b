"""Sales pages (销售平台): the pipeline board with the wall and the weighted
forecast, the deal list, one deal with its events, opening and editing deals,
moving, winning, losing and reopening them, win / loss analysis, a team's
stages and sales settings, and the page that prepares a visit."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.accounts.models import Team
from manyi.core.errors import ValidationFailed
from manyi.customers import styles
from manyi.customers.selectors import CustomerFilters, customer_get, customer_list
from manyi.interactions.selectors import InteractionFilters, interaction_list
from manyi.sales import access, pipeline
from manyi.sales.config import settings_for, stages_for
from manyi.sales.models import DealStatus, LostReason
from manyi.sales.questions import QUESTION_TYPES
from manyi.sales.selectors import deals as selectors
from manyi.sales.services import deals as services
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms_deals import (
    DealFilterForm,
    DealForm,
    LoseForm,
    PeriodForm,
    SalesSettingsForm,
    StageRows,
)
from manyi.web.htmx import is_htmx
from manyi.web.numbers import money, percent
from manyi.web.pagination import paginate

HEAT_COLOURS = {"hot": "danger", "warm": "warning", "cold": "info"}


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _forecast_chart(bars: list[pipeline.MonthForecast]) -> dict:
    labels = {"overdue": _("Overdue"), "later": _("Later"), "undated": _("No date")}
    shown = [b for b in bars if b.bucket == "month" or b.deals]
    return {
        "kind": "bar", "height": 260,
        "categories": [b.month.strftime("%Y-%m") if b.bucket == "month" else labels[b.bucket] for b in shown],
        "series": [
            {"name": _("Weighted (amount × probability)"), "data": [float(b.weighted) for b in shown], "format": "money"},
            {"name": _("Amount"), "data": [float(b.amount) for b in shown], "format": "money"},
        ],
    }  # fmt: skip


def _board_context(request, data) -> dict:
    owner, heat, team = _int(data.get("owner")), data.get("heat", ""), _int(data.get("team"))
    heat = heat if heat in HEAT_COLOURS else ""
    columns = selectors.board(user=request.user, team_id=team, owner=owner, heat=heat)
    bars = selectors.forecast(user=request.user, owner=owner)
    for column in columns:
        column.cards = [(d, selectors.deal_flags(d), HEAT_COLOURS.get(d.heat, "secondary")) for d in column.deals]
    return {
        "columns": columns, "heat_colours": HEAT_COLOURS, "owner": owner, "heat": heat, "team": team,
        "owners": selectors.deal_owners(user=request.user), "teams": Team.objects.all() if request.user.is_admin else (),
        "forecast": bars, "forecast_chart": _forecast_chart(bars), "money": money,
        "weighted_total": money(sum(b.weighted for b in bars)), "open_total": money(sum(b.amount for b in bars)),
        "open_count": sum(b.deals for b in bars), "can_sell": access.can_sell(request.user),
        "stages": [c.stage for c in columns],
    }  # fmt: skip


@page
def deal_board(request):
    return render(request, "web/sales/board.html", _board_context(request, request.GET))


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/") else fallback


@page
@require_POST
def deal_move(request, pk):
    """Drag and drop on the board (htmx) and the "Move to" form both post
    here; the board answers with itself redrawn, forecast included."""
    deal = selectors.deal_get(user=request.user, pk=pk)
    require(access.can_change(request.user, deal), _("Only the deal's owner or their manager may move it."))
    try:
        moved = services.deal_move(by=request.user, deal=deal, stage=request.POST.get("stage", ""), note=request.POST.get("note", ""))
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms) or exc.message)
    else:
        if moved.stage_id != deal.stage_id:
            messages.success(request, _("“%(title)s” moved to %(stage)s.") % {"title": moved.title, "stage": moved.stage.label})
    if is_htmx(request):
        return render(request, "web/sales/board.html#board", _board_context(request, request.POST))
    return redirect(_next_url(request, reverse("web:deal_board")))


@page
def deal_list(request):
    owners = selectors.deal_owners(user=request.user)
    stages = stages_for(request.user.team_id)
    form = DealFilterForm(request.GET, stages=stages, owners=owners)
    page_obj = paginate(request, selectors.deal_list(user=request.user, filters=form.filters()))
    rows = [(d, selectors.deal_flags(d), money(d.amount), money(d.weighted)) for d in page_obj]
    context = {"form": form, "page_obj": page_obj, "rows": rows, "sort": form.value("sort") or "updated", "heat_colours": HEAT_COLOURS,
               "can_sell": access.can_sell(request.user)}  # fmt: skip
    return render(request, "web/sales/deal_list.html", context)


@page
def deal_new(request):
    """Open a deal: with ?customer= the form, else a search for the customer."""
    require(access.can_sell(request.user), _("Your role may not open deals."))
    ref = request.GET.get("customer") or request.POST.get("customer")
    if not ref:
        q = request.GET.get("q", "").strip()
        found = list(customer_list(user=request.user, filters=CustomerFilters(q=q))[:20]) if q else []
        return render(request, "web/sales/deal_pick_customer.html", {"q": q, "found": found})
    customer = customer_get(user=request.user, pk=ref)
    stages = stages_for(services.deal_owner_for(by=request.user, customer=customer).team_id)
    form = DealForm(request.POST or None, stages=stages)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(by=request.user, customer=customer, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Deal “%(title)s” opened.") % {"title": deal.title})
            return redirect("web:deal_detail", pk=deal.pk)
    return render(request, "web/sales/deal_form.html", {"form": form, "customer": customer, "deal": None})


@page
def deal_edit(request, pk):
    deal = selectors.deal_get(user=request.user, pk=pk)
    require(access.can_change(request.user, deal), _("Only the deal's owner or their manager may change it."))
    form = DealForm(request.POST or None, stages=[], editing=True, initial=DealForm.initial_of(deal))
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(by=request.user, deal=deal, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Deal saved."))
            return redirect("web:deal_detail", pk=deal.pk)
    return render(request, "web/sales/deal_form.html", {"form": form, "customer": deal.customer, "deal": deal})


def _prepare_context(customer) -> dict:
    """What a rep reads in the minute before a visit or a call."""
    style, temperament = styles.social_style_advice(customer.social_style), styles.temperament_advice(customer.temperament)
    return {"question_types": QUESTION_TYPES, "style_advice": style, "temperament_advice": temperament, "advices": [style, temperament]}


@page
def deal_detail(request, pk):
    deal = selectors.deal_get(user=request.user, pk=pk)
    can_change = access.can_change(request.user, deal)
    context = {
        "deal": deal, "events": selectors.deal_events(deal=deal), "flags": selectors.deal_flags(deal), "can_change": can_change,
        "stages": stages_for(deal.team_id), "lose_form": LoseForm(), "amount": money(deal.amount), "weighted": money(deal.weighted),
        "heat_colours": HEAT_COLOURS, "quotes": deal.quotes.order_by("-created_at"), "is_open": deal.status == DealStatus.OPEN,
        **_prepare_context(deal.customer),
    }  # fmt: skip
    return render(request, "web/sales/deal_detail.html", context)


def _closing(request, pk, action):
    deal = selectors.deal_get(user=request.user, pk=pk)
    require(access.can_change(request.user, deal), _("Only the deal's owner or their manager may change it."))
    try:
        done = action(deal)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms) or exc.message)
    else:
        messages.success(request, _("Deal “%(title)s” is now %(status)s.") % {"title": done.title, "status": done.get_status_display()})
    return redirect("web:deal_detail", pk=deal.pk)


@page
@require_POST
def deal_win(request, pk):
    return _closing(request, pk, lambda deal: services.deal_win(by=request.user, deal=deal, note=request.POST.get("note", "")))


@page
@require_POST
def deal_lose(request, pk):
    post = request.POST
    return _closing(request, pk, lambda deal: services.deal_lose(by=request.user, deal=deal, reason=post.get("reason", ""), note=post.get("note", "")))


@page
@require_POST
def deal_reopen(request, pk):
    return _closing(request, pk, lambda deal: services.deal_reopen(by=request.user, deal=deal, note=request.POST.get("note", "")))


@page
def sales_analysis(request):
    """Win rate and lost reasons by rep, stage or month, over a period
    (the last 90 days unless chosen)."""
    form = PeriodForm(request.GET)
    today = timezone.localdate()
    end = form.value("end") or today
    start = form.value("start") or end - dt.timedelta(days=89)
    if start > end:
        start, end = end, start
    group = form.value("group") or "owner"
    rows = selectors.win_loss(user=request.user, start=start, end=end, group=group)
    reasons = pipeline.reasons_total(rows)
    labels = dict(LostReason.choices)
    table = [
        (row.group[1] if group == "stage" else row.group, row, percent(row.rate), money(row.won_amount),
         "、".join(f"{labels.get(k, k)} {n}" for k, n in row.reasons.most_common()))
        for row in rows
    ]  # fmt: skip
    won, lost = sum(r.won for r in rows), sum(r.lost for r in rows)
    chart = {
        "kind": "bar", "horizontal": True, "height": 60 + 32 * max(1, len(reasons)),
        "categories": [str(labels.get(k, k)) for k, _n in reasons.most_common()],
        "series": [{"name": _("Deals lost"), "data": [n for _k, n in reasons.most_common()]}],
    }  # fmt: skip
    context = {
        "form": form, "start": start, "end": end, "group": group, "table": table, "won": won, "lost": lost,
        "rate": percent(won / (won + lost) if won + lost else None), "reasons": [(labels.get(k, k), n) for k, n in reasons.most_common()],
        "reasons_chart": chart,
    }  # fmt: skip
    return render(request, "web/sales/analysis.html", context)


@page
def sales_settings(request):
    """A manager sets the team's pipeline stages, discount threshold, visit
    frequencies, capacity, office and quote letterhead."""
    team_id = request.user.team_id
    require(access.can_configure(request.user, team_id), _("Only a team's manager may change its sales settings."))
    current = settings_for(team_id)
    post = request.POST if request.method == "POST" else None
    form = SalesSettingsForm(post if post and "save_settings" in post else None, instance=current)
    rows = StageRows(post if post and "save_stages" in post else None, stages=stages_for(team_id))
    if post is not None and "add_stage" in post:
        rows = StageRows(post)
        rows.rows.append({"key": "", "name": "", "name_en": "", "probability": "", "stuck_after_days": "30", "inside_wall": False, "active": True, "errors": {}})
    elif post is not None and "save_stages" in post:
        try:
            services.stages_save(by=request.user, team_id=team_id, rows=rows.service_rows())
        except ValidationFailed as exc:
            rows.take_errors(exc.fields)
        else:
            messages.success(request, _("The pipeline's stages are saved."))
            return redirect("web:sales_settings")
    elif post is not None and "save_settings" in post:
        try:
            services.sales_settings_save(by=request.user, team_id=team_id, data={k: post.get(k, "") for k in form.fields})
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The sales settings are saved."))
            return redirect("web:sales_settings")
    return render(request, "web/sales/settings.html", {"form": form, "rows": rows, "team": request.user.team})


@page
def sales_prepare(request, pk):
    """Prepare a visit or a call in a minute: the questions to ask, how to
    deal with this customer's style, their open deals and the latest contacts."""
    customer = customer_get(user=request.user, pk=pk)
    deals = selectors.deal_list(user=request.user, filters=selectors.DealFilters(customer=customer.pk))
    recent = interaction_list(user=request.user, filters=InteractionFilters(customer_id=customer.pk))[:5]
    context = {"customer": customer, "deals": deals, "recent": recent, "heat_colours": HEAT_COLOURS, **_prepare_context(customer)}
    return render(request, "web/sales/prepare.html", context)
