"""Quotes (报价): the list, writing a quote with its lines, workload and the
rest of its breakdown, its page (the current version, the history, the
events and the actions open to the user), the approval, sending, the
customer's answer, and the printable page and its PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.analytics import selectors as analytics_selectors
from manyi.analytics.services import can_enter_orders
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers.selectors import customer_get
from manyi.sales import access, pdf
from manyi.sales.config import settings_for
from manyi.sales.models import QuoteEventKind, QuoteStatus
from manyi.sales.selectors import deals as deal_selectors
from manyi.sales.selectors import quotes as selectors
from manyi.sales.services import quotes as services
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms_quotes import QuoteFilterForm, QuoteForm, QuoteLines, WorkloadRows
from manyi.web.numbers import money
from manyi.web.pagination import paginate

STATUS_COLOURS = {
    QuoteStatus.DRAFT: "secondary", QuoteStatus.PENDING: "warning", QuoteStatus.APPROVED: "info",
    QuoteStatus.SENT: "primary", QuoteStatus.ACCEPTED: "success", QuoteStatus.REJECTED: "danger",
}  # fmt: skip
EVENT_ICONS = {
    "created": "bi-file-earmark-plus", "revised": "bi-pencil-square", "submitted": "bi-hourglass-split", "approved": "bi-patch-check",
    "declined": "bi-x-octagon",
    "sent": "bi-send", "accepted": "bi-hand-thumbs-up", "rejected": "bi-hand-thumbs-down",
}  # fmt: skip


@page
def quote_list(request):
    form = QuoteFilterForm(request.GET)
    ref = form.value("customer")
    customer = customer_get(user=request.user, pk=ref) if ref else None
    filters = selectors.QuoteFilters(
        status=form.value("status") or "", customer=customer.pk if customer else None, q=form.value("q") or "",
        sort=form.value("sort") or selectors.DEFAULT_SORT,
    )  # fmt: skip
    page_obj = paginate(request, selectors.quote_list(user=request.user, filters=filters))
    rows = [(quote, money(quote.current_total, 2), STATUS_COLOURS.get(quote.status, "secondary")) for quote in page_obj]
    context = {"form": form, "customer": customer, "page_obj": page_obj, "rows": rows, "sort": filters.sort, "can_sell": access.can_sell(request.user)}
    return render(request, "web/quotes/list.html", context)


def _product_choices(user) -> list[tuple[int, str]]:
    return [(p.pk, f"{p.name} ({p.sku}) · {money(p.unit_price, 2)}") for p in analytics_selectors.product_list(user=user, active_only=True)]


def _edit(request, *, save, context: dict, initial: dict | None = None, lines: QuoteLines | None = None, work: WorkloadRows | None = None):
    """The quote form, new or a revision. "Add a line / row" and "remove" are
    submit buttons, so the form works without a script (manyi.js adds and
    removes lines in place)."""
    post = request.POST if request.method == "POST" else None
    form = QuoteForm(post, initial=initial)
    lines = QuoteLines(post) if post is not None else lines or QuoteLines()
    work = WorkloadRows(post) if post is not None else work or WorkloadRows()
    if post is not None:
        if "add_line" in post:
            lines.add()
        elif "remove_line" in post:
            lines.remove(post["remove_line"])
        elif "add_work" in post:
            work.add()
        elif "remove_work" in post:
            work.remove(post["remove_work"])
        elif form.is_valid():
            try:
                return save({**form.service_data(), "lines": lines.service_data(), "workload": work.service_data()})
            except ValidationFailed as exc:
                # Row messages go to their row; the rest to the version's fields,
                # or above the form when only rows were wrong.
                add_service_errors(form, ValidationFailed(exc.message, fields=work.take_errors(lines.take_errors(exc.fields))))
    context = {**context, "form": form, "lines": lines, "work": work, "blank_line": QuoteLines().rows[0], "products": _product_choices(request.user)}
    return render(request, "web/quotes/form.html", context)


@page
def quote_new(request):
    """A new quote for ?customer= and/or on ?deal= (the deal's customer)."""
    deal_ref, customer_ref = request.GET.get("deal", ""), request.GET.get("customer", "")
    deal = deal_selectors.deal_get(user=request.user, pk=deal_ref) if deal_ref else None
    if not (customer_ref or deal):
        messages.info(request, _("Open a customer or one of their deals and choose “New quote” there."))
        return redirect("web:customer_list")
    customer = customer_get(user=request.user, pk=customer_ref or deal.customer_id)
    require(access.can_sell(request.user), _("Your role may not write quotes."))

    def save(data):
        quote = services.quote_create(by=request.user, customer=customer, deal=deal, data=data)
        messages.success(request, _("Quote %(number)s saved as a draft.") % {"number": quote.number})
        return redirect("web:quote_detail", pk=quote.pk)

    return _edit(request, save=save, context={"customer": customer, "deal": deal, "quote": None, "action": request.get_full_path()})


@page
def quote_revise(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk)
    version = selectors.current_version(user=request.user, quote=quote)
    problem = services.refusal("revise", by=request.user, quote=quote, version=version)
    if isinstance(problem, PermissionDenied):
        raise problem
    if problem is not None:
        messages.error(request, problem.message)
        return redirect("web:quote_detail", pk=quote.pk)

    def save(data):
        new = services.quote_revise(by=request.user, quote=quote, data=data)
        messages.success(request, _("Version %(n)d of quote %(number)s saved.") % {"n": new.number, "number": quote.number})
        return redirect("web:quote_detail", pk=quote.pk)

    context = {"customer": quote.customer, "deal": quote.deal, "quote": quote, "version": version, "action": reverse("web:quote_revise", args=[quote.pk])}
    return _edit(request, save=save, context=context, initial=QuoteForm.initial_from(version), lines=QuoteLines.of(version), work=WorkloadRows.of(version))


@page
def quote_detail(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk)
    versions = selectors.quote_versions(user=request.user, quote=quote)
    current = versions[-1]
    labels = dict(QuoteEventKind.choices)
    events = [(e, labels.get(e.kind, e.kind), EVENT_ICONS.get(e.kind, "bi-dot")) for e in reversed(selectors.quote_events(user=request.user, quote=quote))]
    context = {
        "quote": quote, "version": current, "doc": pdf.quote_document(quote=quote, version=current),
        "colour": STATUS_COLOURS.get(quote.status, "secondary"), "events": events,
        "history": [(v, money(v.total, 2)) for v in reversed(versions)],
        "actions": selectors.quote_actions(user=request.user, quote=quote, version=current),
        "awaiting_approval": services.approval_missing(current) and quote.status in (QuoteStatus.DRAFT, QuoteStatus.PENDING),
        "limit": services.percent_text(settings_for(quote.team_id).discount_approval_percent),
        "expired": services.expired(current) and quote.status in services.ACCEPTABLE,
        "can_order": can_enter_orders(request.user),
    }  # fmt: skip
    return render(request, "web/quotes/detail.html", context)


def _act(request, pk, run, done: str):
    """Take one action on the quote and come back to its page, with the
    service's word when the quote's state does not allow it."""
    quote = selectors.quote_get(user=request.user, pk=pk)
    try:
        run(quote)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms) or exc.message)
    except services.QuoteConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"number": quote.number})
    return redirect("web:quote_detail", pk=quote.pk)


@page
@require_POST
def quote_submit(request, pk):
    return _act(request, pk, lambda q: services.quote_submit(by=request.user, quote=q), _("Quote %(number)s is waiting for a manager's approval."))


@page
@require_POST
def quote_approve(request, pk):
    note = request.POST.get("note", "")
    return _act(request, pk, lambda q: services.quote_approve(by=request.user, quote=q, note=note), _("The discount of quote %(number)s is approved."))


@page
@require_POST
def quote_decline(request, pk):
    reason = request.POST.get("reason", "")
    return _act(
        request, pk, lambda q: services.quote_decline(by=request.user, quote=q, reason=reason),
        _("The discount of quote %(number)s is not approved; the quote is a draft again."),
    )  # fmt: skip


@page
@require_POST
def quote_send(request, pk):
    return _act(request, pk, lambda q: services.quote_send(by=request.user, quote=q), _("Quote %(number)s is marked as sent."))


@page
@require_POST
def quote_accept(request, pk):
    create_order = request.POST.get("create_order") == "1"
    return _act(
        request, pk, lambda q: services.quote_accept(by=request.user, quote=q, create_order=create_order), _("Quote %(number)s is accepted.")
    )


@page
@require_POST
def quote_reject(request, pk):
    reason = request.POST.get("reason", "")
    return _act(request, pk, lambda q: services.quote_reject(by=request.user, quote=q, reason=reason), _("Quote %(number)s is marked as rejected."))


@page
def quote_print(request, pk):
    """The printable page of the current version (or ?version=), in the quote's language."""
    quote = selectors.quote_get(user=request.user, pk=pk)
    version = selectors.quote_version(user=request.user, quote=quote, number=request.GET.get("version"))
    links = {
        "back_url": reverse("web:quote_detail", args=[quote.pk]),
        "pdf_url": f"{reverse('web:quote_pdf', args=[quote.pk])}?version={version.number}",
    }  # fmt: skip
    return HttpResponse(pdf.render_html(quote=quote, version=version, screen=True, extra=links))


@page
def quote_pdf(request, pk):
    quote = selectors.quote_get(user=request.user, pk=pk)
    version = selectors.quote_version(user=request.user, quote=quote, number=request.GET.get("version"))
    response = HttpResponse(pdf.render_pdf(quote=quote, version=version), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.pdf_filename(quote, version)}"'
    return response
