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
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.analytics import services as analytics_services
from manyi.analytics.models import Order, Product
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
    Difficulty,
    Quote,
    QuoteEvent,
    QuoteEventKind,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from manyi.sales.services.deals import deal_owner_for, deal_win
from manyi.service.services import clean_text

MAX_LINES = 200
MAX_WORKLOAD = 50
MAX_QUANTITY = Decimal(1_000_000)
MAX_PRICE = Decimal("9999999999.99")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_PEOPLE = 10_000
MAX_DAYS = Decimal(3650)
MAX_NOTE = 5000
CENT = Decimal("0.01")
LANGUAGES = ("zh-hans", "en")
FIELDS = frozenset({
    "lines", "workload", "market_reference", "market_reference_note", "difficulty", "difficulty_note", "quality_note",
    "notes", "discount_percent", "discount_condition", "valid_until", "language",
})  # fmt: skip


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


# --- reading the typed values ----------------------------------------------------


def _number(value: Any) -> Decimal | None:
    """A decimal from what a form or a client sent ("1,250.5", 3, Decimal); None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _money(value: Any, field: str, errors: dict[str, list[str]], *, prefix: str = "") -> Decimal | None:
    """An amount of CNY ≥ 0 with at most two decimals; None when left empty."""
    if value is None or value == "":
        return None
    number = _number(value)
    if number is None:
        message = _("“%(value)s” is not an amount of money.") % {"value": str(value)[:40]}
    elif number < 0:
        message = _("A price cannot be negative.")
    elif number > MAX_PRICE:
        message = _("This amount is too large.")
    elif number != number.quantize(CENT):
        message = _("An amount has at most two decimals (fen).")
    else:
        return number.quantize(CENT)
    errors.setdefault(field, []).append(prefix + message)
    return None


def _date(value: Any, field: str, errors: dict[str, list[str]]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": str(value)[:40]})
        return None


def percent_text(number: Decimal) -> str:
    """12.50 -> "12.5", 10.00 -> "10": no trailing zeros, never an exponent."""
    return format(number.normalize(), "f")


def _plain(number: Decimal) -> int | float:
    """How a workload figure is kept in JSON: 3, 2.5."""
    return int(number) if number == number.to_integral_value() else float(number)


# --- the content of a version --------------------------------------------------------


def _clean_lines(lines: Any, errors: dict[str, list[str]]) -> list[QuoteLine]:
    """The quote's lines, unsaved, numbered from 1; problems go to `lines.<n>.<field>`."""
    if not isinstance(lines, list | tuple) or not lines:
        errors["lines"] = [_("A quote needs at least one line.")]
        return []
    if len(lines) > MAX_LINES:
        errors["lines"] = [_("A quote has at most %(n)d lines.") % {"n": MAX_LINES}]
        return []
    refs = {line.get("product") for line in lines if isinstance(line, dict)}
    ids = {ref.pk if isinstance(ref, Product) else ref for ref in refs}
    products = Product.objects.in_bulk([i for i in ids if isinstance(i, int) and not isinstance(i, bool)])
    out = []
    for n, line in enumerate(lines, start=1):
        where, label = f"lines.{n}", _("Line %(n)d: ") % {"n": n}
        if not isinstance(line, dict):
            errors.setdefault(where, []).append(label + _("each line needs a description, a quantity and a unit price."))
            continue
        before = sum(len(v) for v in errors.values())
        product = None
        ref = line.get("product")
        if ref not in (None, ""):
            product = products.get(ref.pk if isinstance(ref, Product) else ref)
            if product is None:
                errors.setdefault(f"{where}.product", []).append(label + _("choose a product from the list, or none."))
            elif not product.active:
                errors.setdefault(f"{where}.product", []).append(label + _("%(product)s is no longer on sale.") % {"product": product.name})
        part = clean_text(line.get("part"), field=f"{where}.part", errors=errors, max_length=100)
        description = clean_text(line.get("description"), field=f"{where}.description", errors=errors, max_length=300)
        if not description and product is not None:
            description = product.name
        if not description:
            errors.setdefault(f"{where}.description", []).append(label + _("say what this line is."))
        unit = clean_text(line.get("unit"), field=f"{where}.unit", errors=errors, max_length=16)
        quantity = _number(line.get("quantity"))
        if quantity is None or quantity <= 0:
            errors.setdefault(f"{where}.quantity", []).append(label + _("the quantity must be a number above 0."))
        elif quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
            errors.setdefault(f"{where}.quantity", []).append(label + _("at most 1,000,000, with up to three decimals."))
        price = _money(line.get("unit_price"), f"{where}.unit_price", errors, prefix=label)
        if price is None and f"{where}.unit_price" not in errors:
            if product is not None:
                price = product.unit_price
            elif ref in (None, ""):
                errors.setdefault(f"{where}.unit_price", []).append(label + _("give a unit price (0 for something given free)."))
        if sum(len(v) for v in errors.values()) > before:
            continue
        amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount > MAX_AMOUNT:
            errors.setdefault(f"{where}.quantity", []).append(label + _("quantity × price is too large; split the line."))
            continue
        out.append(QuoteLine(
            position=n, part=part, description=description, product=product, quantity=quantity, unit=unit, unit_price=price, amount=amount,
        ))  # fmt: skip
    return out


def _clean_workload(rows: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Who does the work and for how long: [{role, people, days}], each positive."""
    if rows in (None, ""):
        return []
    if not isinstance(rows, list | tuple):
        errors["workload"] = [_("The workload is a list of rows: role, people, days.")]
        return []
    if len(rows) > MAX_WORKLOAD:
        errors["workload"] = [_("A workload has at most %(n)d rows.") % {"n": MAX_WORKLOAD}]
        return []
    out = []
    for n, row in enumerate(rows, start=1):
        where, label = f"workload.{n}", _("Workload row %(n)d: ") % {"n": n}
        if not isinstance(row, dict):
            errors.setdefault(where, []).append(label + _("give a role, how many people and how many days."))
            continue
        role = clean_text(row.get("role"), field=f"{where}.role", errors=errors, max_length=60)
        if not role:
            errors.setdefault(f"{where}.role", []).append(label + _("name the role (engineer, installer, designer…)."))
        people = _number(row.get("people"))
        if people is None or people <= 0 or people != people.to_integral_value() or people > MAX_PEOPLE:
            errors.setdefault(f"{where}.people", []).append(label + _("the number of people must be a whole number above 0."))
            people = None
        days = _number(row.get("days"))
        if days is None or days <= 0 or days > MAX_DAYS or days != days.quantize(CENT):
            errors.setdefault(f"{where}.days", []).append(label + _("the days must be a number above 0, with up to two decimals."))
            days = None
        if role and people is not None and days is not None:
            out.append({"role": role, "people": int(people), "days": _plain(days)})
    return out


def _clean_version(data: dict[str, Any], errors: dict[str, list[str]]) -> tuple[dict[str, Any], list[QuoteLine]]:
    """A version's fields and lines from `data`, with the subtotal and the total."""
    for name in sorted(set(data) - FIELDS):
        errors[name] = [_("Unknown field.")]
    fields: dict[str, Any] = {}
    lines = _clean_lines(data.get("lines"), errors)
    fields["workload"] = _clean_workload(data.get("workload"), errors)
    fields["market_reference"] = _money(data.get("market_reference"), "market_reference", errors)
    fields["market_reference_note"] = clean_text(data.get("market_reference_note"), field="market_reference_note", errors=errors, max_length=300)
    difficulty = data.get("difficulty") or Difficulty.MEDIUM
    if difficulty not in Difficulty.values:
        errors.setdefault("difficulty", []).append(_("Choose a difficulty from the list."))
    fields["difficulty"] = difficulty
    fields["difficulty_note"] = clean_text(data.get("difficulty_note"), field="difficulty_note", errors=errors, max_length=500)
    fields["quality_note"] = clean_text(data.get("quality_note"), field="quality_note", errors=errors, max_length=MAX_NOTE)
    fields["notes"] = clean_text(data.get("notes"), field="notes", errors=errors, max_length=MAX_NOTE)
    discount = Decimal(0) if data.get("discount_percent") in (None, "") else _number(str(data["discount_percent"]).strip().rstrip("%"))
    if discount is None or not 0 <= discount <= 100 or discount != discount.quantize(CENT):
        errors.setdefault("discount_percent", []).append(_("The discount is a percentage from 0 to 100, with up to two decimals."))
        discount = Decimal(0)
    condition = clean_text(data.get("discount_condition"), field="discount_condition", errors=errors, max_length=300)
    if discount > 0 and not condition:
        errors.setdefault("discount_condition", []).append(
            _("A discount is given only against something: say what the customer gives in return (another purchase, a guaranteed volume, prompt payment…).")
        )
    fields["discount_percent"], fields["discount_condition"] = discount.quantize(CENT), condition
    valid_until = _date(data.get("valid_until"), "valid_until", errors)
    if valid_until is not None and valid_until < timezone.localdate():
        errors.setdefault("valid_until", []).append(_("A quote cannot be valid until a day that has passed."))
    fields["valid_until"] = valid_until
    language = data.get("language") or "zh-hans"
    if language not in LANGUAGES:
        errors.setdefault("language", []).append(_("Choose Chinese or English."))
    fields["language"] = language
    subtotal = sum((line.amount for line in lines), Decimal(0))
    if subtotal > MAX_AMOUNT:
        errors.setdefault("lines", []).append(_("The quote comes to more than ¥999,999,999,999.99; split it."))
    fields["subtotal"] = subtotal
    fields["total"] = quote_total(subtotal, discount)
    return fields, lines


def quote_total(subtotal: Decimal, discount_percent: Decimal) -> Decimal:
    """subtotal × (1 − discount %), rounded to the fen (half up)."""
    return (subtotal * (Decimal(100) - discount_percent) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


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
    fields, lines = _clean_version(data, errors)
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
    fields, lines = _clean_version(data, errors)
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
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, field="reason", errors=errors, max_length=300)
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say why the discount is not approved, so the quote can be revised.")]
    _raise(errors)
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
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, field="reason", errors=errors, max_length=300)
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say why the customer rejected the quote.")]
    _raise(errors)
    quote.status = QuoteStatus.REJECTED
    quote.save(update_fields=["status", "updated_at"])
    _event(quote, QuoteEventKind.REJECTED, by=by, version=version, note=reason)
    return quote
