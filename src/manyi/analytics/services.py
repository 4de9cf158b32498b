"""Every write of the analytics app: products, orders, the refresh, grades.
Pages, the API, commands and tasks call these: one write path per action."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.analytics import refresh
from manyi.analytics.models import (
    COUNTED_STATUSES,
    AnalyticsRun,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    Product,
    ProductCategory,
    RunStatus,
)
from manyi.analytics.selectors import running_run
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.core.text import normalize_text
from manyi.customers import access
from manyi.customers.depth import depth_record
from manyi.customers.models import ChangeAction, ChangeRecord, Customer, DepthEvidence
from manyi.loyalty.services import points_for_order
from manyi.satisfaction.delivery import survey_send_after
from manyi.satisfaction.models import SurveyTrigger

MAX_LINES = 200
MAX_QUANTITY = Decimal(1000000)
MAX_PRICE = Decimal("9999999999.99")
# What a line's amount and an order's total can hold (14 digits, 2 after the point).
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
REFRESH_LOCK = 6_2026_0001  # PostgreSQL advisory lock key of the refresh


def can_enter_orders(user: User) -> bool:
    return user.is_authenticated and not user.is_read_only and (user.is_admin or user.role in (Role.SALES, Role.MANAGER))


def can_manage_products(user: User) -> bool:
    return user.is_authenticated and (user.is_admin or user.is_manager)


def can_refresh(user: User) -> bool:
    return user.is_authenticated and (user.is_admin or user.is_manager)


# --- products ---------------------------------------------------------------


@transaction.atomic
def product_create(*, by: User, sku: str, name: str, unit_price: Any, category: str = "") -> Product:
    if not can_manage_products(by):
        raise PermissionDenied(_("Only a manager or an administrator may add products."))
    errors: dict[str, list[str]] = {}
    sku, name, category = normalize_text(sku or ""), normalize_text(name or ""), normalize_text(category or "")
    if not sku:
        errors["sku"] = [_("Give the product a SKU.")]
    elif len(sku) > 40:
        errors["sku"] = [_("A SKU has at most 40 characters.")]
    elif Product.objects.filter(sku=sku).exists():
        errors["sku"] = [_("Product %(sku)s exists already.") % {"sku": sku}]
    if not name:
        errors["name"] = [_("Give the product a name.")]
    elif len(name) > 120:
        errors["name"] = [_("A product name has at most 120 characters.")]
    price = _money(unit_price, "unit_price", errors)
    if len(category) > 64:
        errors["category"] = [_("A category name has at most 64 characters.")]
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    group = ProductCategory.objects.get_or_create(name=category)[0] if category else None
    return Product.objects.create(sku=sku, name=name, unit_price=price or Decimal(0), category=group)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _money(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    number = _decimal(value)
    if number is None:
        errors.setdefault(name, []).append(_("“%(value)s” is not an amount of money.") % {"value": str(value)[:40]})
    elif number < 0:
        errors.setdefault(name, []).append(_("A price cannot be negative."))
    elif number > MAX_PRICE:
        errors.setdefault(name, []).append(_("This amount is too large."))
    else:
        return number.quantize(CENT, rounding=ROUND_HALF_UP)
    return None


# --- orders -----------------------------------------------------------------


def _order_number(day: dt.date) -> str:
    return f"SO{day:%Y%m%d}-{secrets.token_hex(3).upper()}"


def _clean_lines(lines: Any, errors: dict[str, list[str]]) -> list[OrderLine]:
    if not isinstance(lines, list | tuple) or not lines:
        errors["lines"] = [_("An order needs at least one line.")]
        return []
    if len(lines) > MAX_LINES:
        errors["lines"] = [_("An order has at most %(n)d lines.") % {"n": MAX_LINES}]
        return []
    wanted = {line.get("product") for line in lines if isinstance(line, dict)}
    ids = {p.pk if isinstance(p, Product) else p for p in wanted}
    products = Product.objects.in_bulk([i for i in ids if isinstance(i, int)])
    out = []
    for number, line in enumerate(lines, start=1):
        where = f"lines.{number}"
        if not isinstance(line, dict):
            errors.setdefault(where, []).append(_("Each line needs a product and a quantity."))
            continue
        ref = line.get("product")
        product = products.get(ref.pk if isinstance(ref, Product) else ref) if ref is not None else None
        if product is None:
            errors.setdefault(f"{where}.product", []).append(_("Line %(n)d: choose a product from the list.") % {"n": number})
            continue
        if not product.active:
            errors.setdefault(f"{where}.product", []).append(
                _("Line %(n)d: %(product)s is no longer on sale.") % {"n": number, "product": product.name}
            )
            continue
        quantity = _decimal(line.get("quantity"))
        if quantity is None or quantity <= 0:
            errors.setdefault(f"{where}.quantity", []).append(_("Line %(n)d: the quantity must be a number above 0.") % {"n": number})
            continue
        if quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
            errors.setdefault(f"{where}.quantity", []).append(
                _("Line %(n)d: at most 1,000,000, with up to three decimals.") % {"n": number}
            )
            continue
        price_errors: dict[str, list[str]] = {}
        price = _money(line.get("unit_price"), "price", price_errors)
        if price_errors:
            errors.setdefault(f"{where}.unit_price", []).extend(
                _("Line %(n)d: %(message)s") % {"n": number, "message": m} for m in price_errors["price"]
            )
            continue
        price = product.unit_price if price is None else price
        amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount > MAX_AMOUNT:
            errors.setdefault(f"{where}.quantity", []).append(
                _("Line %(n)d: quantity × price comes to more than ¥999,999,999,999.99; split the order.") % {"n": number}
            )
            continue
        out.append(OrderLine(product=product, quantity=quantity, unit_price=price, amount=amount))
    return out


@transaction.atomic
def order_create(*, by: User, customer: Customer, data: dict[str, Any]) -> Order:
    """Record an order with its lines on a customer the user can see.
    data: ordered_on (date, default today), channel, status, notes, number
    (optional: an ERP's own number), lines [{product, quantity, unit_price?}]."""
    if not can_enter_orders(by):
        raise PermissionDenied(_("Your role may not enter orders."))
    if not access.visible_customers(by).filter(pk=customer.pk).exists():
        raise NotFound(_("No such customer."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - {"ordered_on", "channel", "status", "notes", "number", "lines"})
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    ordered_on = data.get("ordered_on") or timezone.localdate()
    if isinstance(ordered_on, dt.datetime):
        ordered_on = ordered_on.date()
    if not isinstance(ordered_on, dt.date):
        errors["ordered_on"] = [_("Give the order date as YYYY-MM-DD.")]
    elif ordered_on > timezone.localdate() + dt.timedelta(days=1):
        errors["ordered_on"] = [_("An order date cannot lie in the future.")]
    channel = data.get("channel") or OrderChannel.DIRECT
    if channel not in OrderChannel.values:
        errors["channel"] = [_("Choose a channel from the list.")]
    status = data.get("status") or OrderStatus.CONFIRMED
    if status not in OrderStatus.values:
        errors["status"] = [_("Choose a status from the list.")]
    notes = normalize_text(data.get("notes") or "")
    if len(notes) > 300:
        errors["notes"] = [_("Notes have at most 300 characters.")]
    number = normalize_text(data.get("number") or "")
    if len(number) > 32:
        errors["number"] = [_("An order number has at most 32 characters.")]
    elif number and Order.objects.filter(number=number).exists():
        errors["number"] = [_("Order %(number)s exists already.") % {"number": number}]
    lines = _clean_lines(data.get("lines"), errors)
    if sum((line.amount for line in lines), Decimal(0)) > MAX_AMOUNT:
        errors.setdefault("lines", []).append(_("The order comes to more than ¥999,999,999,999.99; split it."))
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    order = Order(
        customer=customer, ordered_on=ordered_on, channel=channel, status=status, notes=notes, created_by=by,
        amount=sum((line.amount for line in lines), Decimal(0)),
    )  # fmt: skip
    for _attempt in range(5):
        order.number = number or _order_number(ordered_on)
        try:
            with transaction.atomic():
                order.save()
            break
        except IntegrityError:
            if number:
                raise ValidationFailed(_("Please correct the fields marked below."), fields={"number": [_("This order number is taken.")]}) from None
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    if order.counts:
        bought = Order.objects.filter(customer=customer, status__in=COUNTED_STATUSES).count()
        evidence = DepthEvidence.FIRST_PURCHASE if bought == 1 else DepthEvidence.REPEAT_PURCHASE
        depth_record(customer=customer, evidence=evidence, by=by, note=order.number)
    points_for_order(order=order, by=by)
    if order.counts:
        survey_send_after(customer=customer, trigger=SurveyTrigger.PURCHASE, source=f"order:{order.pk}")
    return order


@transaction.atomic
def order_set_status(*, by: User, order: Order, status: str) -> Order:
    """Cancel, return or complete an order; cancelled and returned orders count in no figure."""
    if not can_enter_orders(by):
        raise PermissionDenied(_("Your role may not change orders."))
    if not access.visible_customers(by).filter(pk=order.customer_id).exists():
        raise NotFound(_("No such order."))
    if status not in OrderStatus.values:
        raise ValidationFailed(_("Choose a status from the list."), fields={"status": [_("Choose a status from the list.")]})
    Order.objects.filter(pk=order.pk).update(status=status, updated_at=timezone.now())
    order.status = status
    # Points a cancelled or returned order earned are taken back (refused, and
    # the change with them, when the customer has spent them already).
    points_for_order(order=order, by=by)
    return order


# --- refresh ------------------------------------------------------------------


class RefreshRunning(ApplicationError):
    status = 409
    code = "refresh_running"


def _refuse_while_running() -> None:
    running = running_run()
    if running:
        since = timezone.localtime(running.started_at).strftime("%H:%M")
        raise RefreshRunning(_("A refresh has been running since %(time)s; wait for it to finish.") % {"time": since})


def analytics_refresh(*, as_of: dt.date | None = None, by: User | None = None, trigger: str = "command", progress=None) -> AnalyticsRun:
    """Recompute every customer's figures from the orders up to as_of (default
    today). One refresh runs at a time; the stored figures change only when a
    refresh completes."""
    if by is not None and not can_refresh(by):
        raise PermissionDenied(_("Only a manager or an administrator may refresh the analytics."))
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        # Two refreshes starting together must not both pass the check: SQLite
        # serialises write transactions (IMMEDIATE); PostgreSQL takes a lock.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        _refuse_while_running()
        run = AnalyticsRun.objects.create(as_of=as_of, trigger=trigger, by=by)
    try:
        outcome = refresh.run(as_of=as_of, progress=progress)
    except Exception as exc:
        AnalyticsRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000])
        raise
    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    run.customers, run.orders = outcome.customers, outcome.orders
    run.parameters, run.stages = outcome.parameters, outcome.stages
    run.save()
    return run


def analytics_refresh_enqueue(*, by: User, trigger: str = "page"):
    """Queue a refresh for the worker (a manager's "refresh now"); refused
    while one runs. Returns the task result."""
    from manyi.analytics.tasks import refresh_analytics

    if not can_refresh(by):
        raise PermissionDenied(_("Only a manager or an administrator may refresh the analytics."))
    _refuse_while_running()
    return refresh_analytics.enqueue(trigger=trigger, by_id=by.pk)


# --- grades -------------------------------------------------------------------


def can_apply_grades(user: User) -> bool:
    """An administrator (every customer), or a manager with a team (the team's)."""
    return user.is_authenticated and (user.is_admin or (user.is_manager and user.team_id is not None))


def _gradable(by: User) -> Q:
    if not can_apply_grades(by):
        raise PermissionDenied(_("Only a manager or an administrator may apply grades."))
    return Q() if by.is_admin else Q(team_id=by.team_id)


@transaction.atomic
def grades_apply(*, by: User) -> int:
    """Give every customer the user may grade (a manager: the team's) the grade
    and importance proposed by the last refresh, except those graded by hand.
    Each change is recorded in the customer's history. Returns how many changed."""
    scope = _gradable(by)
    changed = list(
        Customer.objects.filter(scope, deleted_at__isnull=True, grade_manual=False, value__isnull=False)
        .exclude(grade=F("value__proposed_grade"), importance=F("value__proposed_importance"))
        .values_list("pk", "grade", "importance", "value__proposed_grade", "value__proposed_importance")
    )
    if not changed:
        return 0
    grade_label, importance_label = (str(Customer._meta.get_field(f).verbose_name) for f in ("grade", "importance"))
    importance_names = Customer.choice_labels("importance")
    records = []
    for pk, grade, importance, new_grade, new_importance in changed:
        changes = []
        if grade != new_grade:
            changes.append({"field": "grade", "label": grade_label, "old": grade, "new": new_grade})
        if importance != new_importance:
            changes.append({
                "field": "importance", "label": importance_label,
                "old": str(importance_names.get(importance, importance)), "new": str(importance_names.get(new_importance, new_importance)),
            })  # fmt: skip
        records.append(ChangeRecord(customer_id=pk, actor=by, action=ChangeAction.UPDATED, changes=changes))
    ChangeRecord.objects.bulk_create(records, batch_size=5000)
    ids = [row[0] for row in changed]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            part = ids[start : start + 5000]
            cursor.execute(
                "UPDATE customers_customer SET "
                "grade = (SELECT proposed_grade FROM analytics_customervalue v WHERE v.customer_id = customers_customer.id), "
                "importance = (SELECT proposed_importance FROM analytics_customervalue v WHERE v.customer_id = customers_customer.id), "
                f"updated_at = %s WHERE id IN ({', '.join(['%s'] * len(part))})",
                [now, *part],
            )
    return len(ids)


@transaction.atomic
def grade_release(*, by: User, customer: Customer) -> None:
    """Let the proposed grades apply again to a customer graded by hand."""
    if not access.can_edit(by, customer) or not (by.is_admin or by.is_manager):
        raise PermissionDenied(_("Only a manager or an administrator may release a grade set by hand."))
    Customer.objects.filter(pk=customer.pk).update(grade_manual=False)
    ChangeRecord.objects.create(
        customer=customer, actor=by, action=ChangeAction.UPDATED,
        changes=[{"field": "grade_manual", "label": str(_("graded by hand")), "old": "✓", "new": "✗"}],
    )  # fmt: skip
