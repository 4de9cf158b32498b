"""What a quote version holds, read from the data a page or the API sends:
lines grouped into parts (priced from the product list when a line names a
product), the workload, the market reference, difficulty, quality, the
discount and its condition. Problems are collected by field
(`lines.<n>.<field>`) for the caller to raise; nothing here writes."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.models import Product
from manyi.sales.models import Difficulty, QuoteLine
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


def clean_version(data: dict[str, Any], errors: dict[str, list[str]]) -> tuple[dict[str, Any], list[QuoteLine]]:
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
