"""Every write on a quote (报价, domain §5): writing it, revising it into a new
version, asking for and giving a manager's approval of a large discount,
sending it, and the customer's yes or no. Each change appends its QuoteEvent
in the same transaction; pages and the API call these.

An honest quote shows its breakdown: lines grouped into parts, the market
reference price, the workload (roles, people, days), the difficulty and the
quality it buys. A discount is given only against something: a discount
needs its condition, what the customer gives in return. A version whose
discount is above the team's threshold (SalesSettings.discount_approval_percent)
needs the approval of the team's manager, never of its own author, before it
is sent or accepted.

Versions are never edited: a revision writes a new version with its own
lines, and the quote goes back to draft. Only the approval (who, when, note)
is recorded on the version it approves.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.analytics import services as analytics_services
from manyi.analytics.models import Order
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers import access as customer_access
from manyi.customers.models import Customer
from manyi.sales import access
from manyi.sales.config import settings_for
from manyi.sales.models import (
    Deal,
    DealStatus,
    Quote,
    QuoteEvent,
    QuoteEventKind,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from manyi.sales.services.deals import deal_owner_for, deal_win
from manyi.sales.services.quote_content import CENT, clean_version, percent_text
from manyi.service.services import clean_text


class QuoteConflict(ApplicationError):
    """The quote's state does not allow the action (`code` says why)."""

    status = 409
    code = "quote_state"


# What each action needs of the quote's status.
REVISABLE = (QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.SENT, QuoteStatus.REJECTED)
SUBMITTABLE = (QuoteStatus.DRAFT,)
APPROVABLE = (QuoteStatus.DRAFT, QuoteStatus.PENDING)
SENDABLE = (QuoteStatus.DRAFT, QuoteStatus.APPROVED)
ACCEPTABLE = (QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.SENT)
REJECTABLE = (QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.SENT)
ACTIONS = ("revise", "submit", "approve", "decline", "send", "accept", "reject")


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)


def _write_version(quote: Quote, *, number: int, by: User, fields: dict[str, Any], lines: list[QuoteLine]) -> QuoteVersion:
    threshold = settings_for(quote.team_id).discount_approval_percent
    version = QuoteVersion.objects.create(
        quote=quote, number=number, created_by=by, needs_approval=fields["discount_percent"] > threshold, **fields
    )
    for line in lines:
        line.version = version
    QuoteLine.objects.bulk_create(lines)
    return version


def _reason(text: Any, *, missing: str) -> str:
    """A required reason of at most 300 characters, cleaned."""
    errors: dict[str, list[str]] = {}
    text = clean_text(text, field="reason", errors=errors, max_length=300)
    if not text and "reason" not in errors:
        errors["reason"] = [missing]
    _raise(errors)
    return text


def _event(quote: Quote, kind: str, *, by: User, version: QuoteVersion | None, note: str = "") -> QuoteEvent:
    return QuoteEvent.objects.create(quote=quote, version=version, kind=kind, by=by, at=timezone.now(), note=note[:300])


def _quote_number(day: dt.date) -> str:
    """BJ<yyyymmdd>-<nnnnn>: the day's quotes counted from 1."""
    prefix = f"BJ{day:%Y%m%d}-"
    last = Quote.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    following = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{following:05d}"


# --- what an action needs -------------------------------------------------------------


def approval_missing(version: QuoteVersion) -> bool:
    return version.needs_approval and version.approved_at is None


def expired(version: QuoteVersion, *, today: dt.date | None = None) -> bool:
    return version.valid_until is not None and version.valid_until < (today or timezone.localdate())


def refusal(action: str, *, by: User, quote: Quote, version: QuoteVersion) -> ApplicationError | None:
    """Why `by` may not take `action` on the quote now, or None when they may.
    The services raise it; the pages offer only the actions without one."""
    if action == "decline":
        if not access.can_approve(by, quote, author_id=version.created_by_id):
            return PermissionDenied(_("Only the team's manager or an administrator approves a discount, and never on a version they wrote."))
        return None if quote.status == QuoteStatus.PENDING else _wrong_status(quote)
    if action == "approve":
        if not access.can_approve(by, quote, author_id=version.created_by_id):
            return PermissionDenied(_("Only the team's manager or an administrator approves a discount, and never on a version they wrote."))
        if not version.needs_approval:
            return QuoteConflict(_("This version's discount is within the team's limit: it needs no approval."), code="no_approval_needed")
        if version.approved_at is not None:
            return QuoteConflict(_("This version is approved already."), code="already_approved")
        if quote.status not in APPROVABLE:
            return _wrong_status(quote)
        return None
    if not access.can_change(by, quote):
        return PermissionDenied(_("Only the quote's owner or their manager may change it."))
    if action == "revise":
        if quote.status not in REVISABLE:
            return QuoteConflict(_("An accepted quote is not revised: write a new quote."), code="quote_accepted")
    elif action == "submit":
        if not approval_missing(version):
            return QuoteConflict(_("This version needs no approval: it can be sent as it is."), code="no_approval_needed")
        if quote.status not in SUBMITTABLE:
            return _wrong_status(quote)
    elif action in ("send", "accept"):
        if quote.status not in (SENDABLE if action == "send" else ACCEPTABLE):
            return _wrong_status(quote)
        if approval_missing(version):
            return QuoteConflict(
                _("A discount of %(discount)s%% needs a manager's approval before the quote is sent or accepted.") % {"discount": percent_text(version.discount_percent)},
                code="approval_required",
            )  # fmt: skip
        if expired(version):
            return QuoteConflict(
                _("This quote was valid until %(day)s: revise it with a new date first.") % {"day": version.valid_until.isoformat()}, code="quote_expired"
            )
    elif action == "reject":
        if quote.status not in REJECTABLE:
            return _wrong_status(quote)
    else:
        raise ValueError(action)
    return None


def _wrong_status(quote: Quote) -> QuoteConflict:
    return QuoteConflict(_("Not possible while the quote is “%(status)s”.") % {"status": quote.get_status_display()}, code="wrong_status")


def _held(by: User, quote: Quote) -> tuple[Quote, QuoteVersion]:
    """The quote locked for the change, if `by` may see it, with its current version."""
    found = access.visible_quotes(by).select_for_update().filter(pk=quote.pk).first()
    if found is None:
        raise NotFound(_("Quote not found."))
    version = found.versions.order_by("-number").first()
    return found, version


def _check(action: str, *, by: User, quote: Quote, version: QuoteVersion) -> None:
    problem = refusal(action, by=by, quote=quote, version=version)
    if problem is not None:
        raise problem


# --- the writes -------------------------------------------------------------------------


@transaction.atomic
def quote_create(*, by: User, customer: Customer, deal: Deal | None = None, data: dict[str, Any]) -> Quote:
    """Write a quote (version 1, a draft) for a customer `by` may see, on one
    of their deals or none. A rep or agent owns what they write; a manager or
    an administrator writes it for the deal's owner, else the customer's.
    data: lines [{part, description, product?, quantity, unit, unit_price?}],
    workload [{role, people, days}], market_reference, market_reference_note,
    difficulty, difficulty_note, quality_note, notes, discount_percent,
    discount_condition, valid_until, language (zh-hans | en)."""
    if not access.can_sell(by):
        raise PermissionDenied(_("Your role may not write quotes."))
    if not customer_access.visible_customers(by).filter(pk=customer.pk).exists():
        raise NotFound(_("Customer not found."))
    errors: dict[str, list[str]] = {}
    if deal is not None:
        if not access.visible_deals(by).filter(pk=deal.pk).exists():
            errors["deal"] = [_("Deal not found.")]
        elif deal.customer_id != customer.pk:
            errors["deal"] = [_("This deal is with another customer.")]
    fields, lines = clean_version(data, errors)
    _raise(errors)
    owner = deal.owner if deal is not None else deal_owner_for(by=by, customer=customer)
    quote = Quote(customer=customer, deal=deal, owner=owner, team_id=owner.team_id)
    for _attempt in range(5):
        quote.number = _quote_number(timezone.localdate())
        try:
            with transaction.atomic():
                quote.save()
            break
        except IntegrityError:  # another quote took the number meanwhile
            continue
    else:
        raise QuoteConflict(_("Could not number the quote; try again."), code="quote_number_busy")
    version = _write_version(quote, number=1, by=by, fields=fields, lines=lines)
    _event(quote, QuoteEventKind.CREATED, by=by, version=version)
    return quote


@transaction.atomic
def quote_revise(*, by: User, quote: Quote, data: dict[str, Any]) -> QuoteVersion:
    """A new version with the whole content of `data` (as quote_create); the
    versions before it stay as they were. The quote goes back to draft: a new
    discount above the limit needs a new approval."""
    quote, current = _held(by, quote)
    _check("revise", by=by, quote=quote, version=current)
    errors: dict[str, list[str]] = {}
    fields, lines = clean_version(data, errors)
    _raise(errors)
    version = _write_version(quote, number=current.number + 1, by=by, fields=fields, lines=lines)
    quote.status = QuoteStatus.DRAFT
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.REVISED, by=by, version=version)
    return version


@transaction.atomic
def quote_submit(*, by: User, quote: Quote) -> Quote:
    """Ask the team's manager to approve the current version's discount."""
    quote, version = _held(by, quote)
    _check("submit", by=by, quote=quote, version=version)
    quote.status = QuoteStatus.PENDING
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.SUBMITTED, by=by, version=version)
    return quote


@transaction.atomic
def quote_approve(*, by: User, quote: Quote, note: str = "") -> Quote:
    """A manager approves the current version's discount (not their own
    version's); who, when and why are kept on the version."""
    quote, version = _held(by, quote)
    _check("approve", by=by, quote=quote, version=version)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, field="note", errors=errors, max_length=300)
    _raise(errors)
    version.approved_by, version.approved_at, version.approval_note = by, timezone.now(), note
    version.save(update_fields=["approved_by", "approved_at", "approval_note"])
    quote.status = QuoteStatus.APPROVED
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.APPROVED, by=by, version=version, note=note)
    return quote


@transaction.atomic
def quote_decline(*, by: User, quote: Quote, reason: str) -> Quote:
    """The manager does not approve the discount that was asked for, and says
    why (kept on the event); the quote is a draft again, for the owner to
    revise."""
    quote, version = _held(by, quote)
    _check("decline", by=by, quote=quote, version=version)
    reason = _reason(reason, missing=_("Say why the discount is not approved, so the quote can be revised."))
    quote.status = QuoteStatus.DRAFT
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.DECLINED, by=by, version=version, note=reason)
    return quote


@transaction.atomic
def quote_send(*, by: User, quote: Quote) -> Quote:
    """Record that the current version went to the customer."""
    quote, version = _held(by, quote)
    _check("send", by=by, quote=quote, version=version)
    quote.status = QuoteStatus.SENT
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.SENT, by=by, version=version)
    return quote


def _order_from(*, by: User, quote: Quote, version: QuoteVersion) -> Order | None:
    """The order of an accepted quote: one order line per quote line with a
    product, at the quoted unit price less the version's discount (to the
    fen). Lines without a product (work, services written as text) have no
    place in an order and are left out; with none left, there is no order."""
    lines = [line for line in version.lines.order_by("position") if line.product_id is not None]
    if not lines:
        return None
    factor = (Decimal(100) - version.discount_percent) / Decimal(100)
    rows = [
        {"product": line.product_id, "quantity": line.quantity, "unit_price": (line.unit_price * factor).quantize(CENT, rounding=ROUND_HALF_UP)}
        for line in lines
    ]
    with translation.override(settings.LANGUAGE_CODE):
        notes = _("From quote %(number)s, version %(version)d") % {"number": quote.number, "version": version.number}
        left_out = version.lines.filter(product__isnull=True).count()
        if left_out:
            notes += _("; %(n)d line(s) without a product not included") % {"n": left_out}
    try:
        return analytics_services.order_create(by=by, customer=quote.customer, data={"notes": notes[:300], "lines": rows})
    except ValidationFailed as exc:
        reasons = " ".join(message for messages in exc.fields.values() for message in messages) or exc.message
        raise QuoteConflict(
            _("The order could not be written (%(reasons)s). Accept without an order, or revise the quote.") % {"reasons": reasons},
            code="order_refused",
        ) from exc


@transaction.atomic
def quote_accept(*, by: User, quote: Quote, create_order: bool = True) -> Quote:
    """The customer accepts the current version. With create_order, its
    product lines become an order (see _order_from). A deal the quote belongs
    to, still open, is won."""
    quote, version = _held(by, quote)
    _check("accept", by=by, quote=quote, version=version)
    if create_order and not analytics_services.can_enter_orders(by):
        raise PermissionDenied(_("Your role may not enter orders: accept the quote without an order."))
    order = _order_from(by=by, quote=quote, version=version) if create_order else None
    quote.status, quote.order = QuoteStatus.ACCEPTED, order
    quote.save(update_fields=["status", "order", "updated_at"])
    _event(quote, QuoteEventKind.ACCEPTED, by=by, version=version, note=order.number if order else "")
    if quote.deal_id is not None:
        deal = Deal.objects.get(pk=quote.deal_id)
        if deal.status == DealStatus.OPEN:
            with translation.override(settings.LANGUAGE_CODE):
                note = _("Quote %(number)s accepted") % {"number": quote.number}
            deal_win(deal=deal, by=by, note=note)
    return quote


@transaction.atomic
def quote_reject(*, by: User, quote: Quote, reason: str) -> Quote:
    """The customer said no, and why (kept on the event). A deal is not lost by
    it: a revised quote may follow."""
    quote, version = _held(by, quote)
    _check("reject", by=by, quote=quote, version=version)
    reason = _reason(reason, missing=_("Say why the customer rejected the quote."))
    quote.status = QuoteStatus.REJECTED
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.REJECTED, by=by, version=version, note=reason)
    return quote
