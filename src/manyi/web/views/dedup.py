"""Duplicate customers: the list of likely pairs, “not a duplicate”, the
side-by-side merge, undo, and a customer's merges (loaded into its page)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib import messages
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from manyi.core.errors import ValidationFailed
from manyi.core.text import format_phone
from manyi.customers import access, dedup_selectors, merge
from manyi.customers.models import Customer, CustomerMerge, DuplicatePair
from manyi.customers.selectors import customer_get
from manyi.customers.services import CUSTOMER_FIELDS, PHONE_FIELDS
from manyi.web.errors import page, require
from manyi.web.htmx import is_htmx
from manyi.web.pagination import paginate

REASONS = {
    "credit_code": gettext_lazy("same credit code"),
    "mobile": gettext_lazy("same mobile"),
    "email": gettext_lazy("same e-mail"),
    "phone": gettext_lazy("same landline"),
    "name": gettext_lazy("same name"),
    "pinyin": gettext_lazy("name sounds the same"),
    "address": gettext_lazy("nearly the same address"),
    "other_city": gettext_lazy("but in another city"),
}


def reasons_in_words(codes: list[str]) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]


def percent(score: float) -> str:
    """0.995 -> "99%": a likelihood is never rounded up to certainty."""
    return f"{math.floor(score * 100 + 1e-9)}%"


def _can_edit_both(user, a: Customer, b: Customer) -> bool:
    return access.can_edit(user, a) and access.can_edit(user, b)


@dataclass
class PairRow:
    pair: DuplicatePair
    percent: str
    reasons: list[str]
    can_merge: bool


@page
def duplicate_list(request):
    page_obj = paginate(request, dedup_selectors.duplicate_pairs(user=request.user))
    rows = [
        PairRow(pair, percent(pair.score), reasons_in_words(pair.reasons), _can_edit_both(request.user, pair.customer_a, pair.customer_b))
        for pair in page_obj
    ]
    context = {"page_obj": page_obj, "rows": rows, "can_scan": request.user.is_admin or request.user.is_manager}
    return render(request, "web/dedup/list.html", context)


@page
@require_POST
def duplicate_scan(request):
    found = merge.duplicates_scan(by=request.user)
    text = ngettext("The search is done: %(n)d pair of possible duplicates.", "The search is done: %(n)d pairs of possible duplicates.", found)
    messages.success(request, text % {"n": found})
    return redirect("web:duplicate_list")


@page
@require_POST
def duplicate_dismiss(request, pk):
    pair = dedup_selectors.duplicate_pair_get(user=request.user, pk=pk)
    merge.duplicate_dismiss(by=request.user, pair=pair)
    if is_htmx(request):
        return render(request, "web/dedup/list.html#dismissed", {"pair": pair})
    messages.success(request, _("“%(a)s” and “%(b)s” are marked as not duplicates.") % {"a": pair.customer_a.name, "b": pair.customer_b.name})
    return redirect("web:duplicate_list")


@dataclass
class FieldChoice:
    name: str
    label: str
    survivor: str
    other: str
    take_other: bool  # the value offered first


def _shown(customer: Customer, name: str) -> str:
    field = Customer._meta.get_field(name)
    value = getattr(customer, name)
    if value in (None, ""):
        return ""
    if field.choices:
        return getattr(customer, f"get_{name}_display")()
    if name in PHONE_FIELDS:
        return format_phone(value)
    return str(value)


def field_choices(survivor: Customer, other: Customer) -> list[FieldChoice]:
    """The fields whose values differ, each offering the survivor's value
    unless it is empty."""
    rows = []
    for name in CUSTOMER_FIELDS:
        if getattr(survivor, name) == getattr(other, name):
            continue
        mine, theirs = _shown(survivor, name), _shown(other, name)
        label = str(Customer._meta.get_field(name).verbose_name)
        rows.append(FieldChoice(name, label, mine, theirs, take_other=not mine))
    return rows


def _sides(request, pair) -> tuple[Customer, Customer]:
    """(survivor, other) as the form chose them: the older record by default."""
    a, b = pair.customer_a, pair.customer_b
    chosen = request.POST.get("survivor") or request.GET.get("survivor")
    return (b, a) if chosen == str(b.pk) else (a, b)


def _undo_button(request, done: CustomerMerge) -> str:
    return format_html(
        '<form method="post" action="{}" class="d-inline ms-2"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-secondary"><i class="bi bi-arrow-counterclockwise" aria-hidden="true"></i> {}</button></form>',
        reverse("web:customer_merge_undo", args=[done.pk]),
        get_token(request),
        _("Undo"),
    )


@page
def duplicate_merge(request, pk):
    pair = dedup_selectors.duplicate_pair_get(user=request.user, pk=pk)
    require(_can_edit_both(request.user, pair.customer_a, pair.customer_b), _("You may only merge customers you may change, both of them."))
    survivor, other = _sides(request, pair)
    rows = field_choices(survivor, other)
    if request.method == "POST":
        # Each radio names the record whose value to keep: the answer holds whichever record survives.
        picked = {row.name: request.POST.get(f"take_{row.name}", "") for row in rows}
        choices = {name: "survivor" if value == str(survivor.pk) else "other" if value == str(other.pk) else value for name, value in picked.items()}
        try:
            done = merge.customer_merge(by=request.user, survivor=survivor, other=other, choices=choices)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            note = _("“%(other)s” was merged into “%(survivor)s”.") % {"other": other.name, "survivor": survivor.name}
            messages.success(request, format_html("{}{}", note, _undo_button(request, done)))
            return redirect("web:customer_detail", pk=survivor.pk)
    context = {
        "pair": pair, "records": (pair.customer_a, pair.customer_b), "survivor": survivor, "other": other, "rows": rows,
        "reasons": reasons_in_words(pair.reasons), "percent": percent(pair.score),
    }  # fmt: skip
    template = "web/dedup/merge.html#merge_form" if is_htmx(request) else "web/dedup/merge.html"
    return render(request, template, context)


@page
@require_POST
def customer_merge_undo(request, pk):
    done = dedup_selectors.customer_merge_get(user=request.user, pk=pk)
    try:
        merge.customer_merge_undo(by=request.user, merge=done)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Merge undone: “%(name)s” is back as a customer of its own.") % {"name": done.other.name})
    # The survivor's page, unless a later merge took it away too (undo leaves the survivor as it is).
    if done.survivor.deleted_at is None:
        return redirect("web:customer_detail", pk=done.survivor_id)
    return redirect("web:duplicate_list")


@page
def customer_merges(request, pk):
    """A customer's merges, for its page (loaded when the page shows)."""
    customer = customer_get(user=request.user, pk=pk, include_deleted=True)
    merges = list(dedup_selectors.merge_history(user=request.user, customer=customer)[:10])
    rows = [(m, not m.is_undone and _can_edit_both(request.user, m.survivor, m.other)) for m in merges]
    return render(request, "web/dedup/customer_merges.html", {"customer": customer, "rows": rows})
