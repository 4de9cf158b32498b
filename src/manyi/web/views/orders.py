"""Orders and products: the order list and page, entering an order on a
customer, changing its status, and the product list."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.analytics import selectors, services
from manyi.analytics.models import Order, OrderStatus
from manyi.core.errors import ValidationFailed
from manyi.customers.selectors import customer_get
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms_orders import (
    SORTS,
    Line,
    OrderFilterForm,
    OrderForm,
    OrderLines,
    ProductForm,
)
from manyi.web.numbers import money
from manyi.web.pagination import paginate

STATUS_COLOURS = {OrderStatus.CONFIRMED: "primary", OrderStatus.COMPLETED: "success", OrderStatus.CANCELLED: "secondary", OrderStatus.RETURNED: "warning"}

# The status changes the order page offers, from each status.
NEXT_STATUSES = {
    OrderStatus.CONFIRMED: (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.RETURNED),
    OrderStatus.COMPLETED: (OrderStatus.RETURNED,),
    OrderStatus.CANCELLED: (OrderStatus.CONFIRMED,),
    OrderStatus.RETURNED: (OrderStatus.CONFIRMED,),
}


def quantity(value: Decimal) -> str:
    """2, 2.5, 0.125: no trailing zeros, never an exponent."""
    return format(value.normalize(), "f")


@dataclass
class OrderRow:
    order: Order
    amount: str
    colour: str


def order_rows(orders) -> list[OrderRow]:
    return [OrderRow(o, money(o.amount, 2), STATUS_COLOURS.get(o.status, "secondary")) for o in orders]


@page
def order_list(request):
    form = OrderFilterForm(request.GET)
    ref = form.value("customer")
    customer = customer_get(user=request.user, pk=ref) if ref else None
    orders = selectors.order_list(user=request.user, customer=customer)
    # The filters narrow the selector's rows (already only what the user may see).
    date_from, date_to = form.dates()
    if date_from:
        orders = orders.filter(ordered_on__gte=date_from)
    if date_to:
        orders = orders.filter(ordered_on__lte=date_to)
    if form.value("status"):
        orders = orders.filter(status=form.value("status"))
    page_obj = paginate(request, orders.order_by(*SORTS[form.sort_key]))
    context = {
        "form": form, "customer": customer, "page_obj": page_obj, "rows": order_rows(page_obj), "sort": form.sort_key,
        "can_enter": services.can_enter_orders(request.user),
    }  # fmt: skip
    return render(request, "web/orders/list.html", context)


@page
def order_detail(request, pk):
    order = selectors.order_get(user=request.user, pk=pk)
    lines = [(line, quantity(line.quantity), money(line.unit_price, 2), money(line.amount, 2)) for line in selectors.order_lines(order)]
    context = {
        "order": order, "lines": lines, "amount": money(order.amount, 2), "colour": STATUS_COLOURS.get(order.status, "secondary"),
        "next_statuses": NEXT_STATUSES.get(order.status, ()) if services.can_enter_orders(request.user) else (),
    }  # fmt: skip
    return render(request, "web/orders/detail.html", context)


@page
@require_POST
def order_status(request, pk):
    order = selectors.order_get(user=request.user, pk=pk)
    require(services.can_enter_orders(request.user), _("Your role may not change orders."))
    services.order_set_status(by=request.user, order=order, status=request.POST.get("status", ""))
    messages.success(request, _("Order %(number)s is now “%(status)s”.") % {"number": order.number, "status": order.get_status_display()})
    return redirect("web:order_detail", pk=order.pk)


def _product_choices(user) -> list[tuple[int, str]]:
    return [(p.pk, f"{p.name} ({p.sku}) · {money(p.unit_price, 2)}") for p in selectors.product_list(user=user, active_only=True)]


@page
def order_new(request, pk):
    """Enter an order on a customer. "Add a line" and "remove" are submit
    buttons, so the form works without a script; manyi.js does both in place."""
    customer = customer_get(user=request.user, pk=pk)
    require(services.can_enter_orders(request.user), _("Your role may not enter orders."))
    post = request.POST if request.method == "POST" else None
    form, lines = OrderForm(post), OrderLines(post)
    if post is not None and "add_line" in post:
        lines.add()
    elif post is not None and "remove_line" in post:
        lines.remove(post["remove_line"])
    elif post is not None and form.is_valid():
        try:
            order = services.order_create(by=request.user, customer=customer, data={**form.cleaned_data, "lines": lines.service_data()})
        except ValidationFailed as exc:
            # Line messages go to their row; the rest to the order's fields,
            # or above the form when only lines were wrong.
            add_service_errors(form, ValidationFailed(exc.message, fields=lines.take_errors(exc.fields)))
        else:
            messages.success(request, _("Order %(number)s saved: %(amount)s.") % {"number": order.number, "amount": money(order.amount, 2)})
            return redirect("web:order_detail", pk=order.pk)
    context = {
        "customer": customer, "form": form, "lines": lines, "blank_line": Line(), "products": _product_choices(request.user),
        "can_manage_products": services.can_manage_products(request.user),
    }  # fmt: skip
    return render(request, "web/orders/form.html", context)


@page
def product_list(request):
    """Every product; managers and administrators add them here too."""
    can_add = services.can_manage_products(request.user)
    form = ProductForm(request.POST or None)
    if request.method == "POST":
        require(can_add, _("Only a manager or an administrator may add products."))
        if form.is_valid():
            try:
                product = services.product_create(by=request.user, **form.service_data())
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Product “%(name)s” added.") % {"name": product.name})
                return redirect("web:product_list")
    products = selectors.product_list(user=request.user)
    page_obj = paginate(request, products)
    rows = [(p, money(p.unit_price, 2)) for p in page_obj]
    categories = products.exclude(category=None).values_list("category__name", flat=True).order_by("category__name").distinct() if can_add else []
    context = {"page_obj": page_obj, "rows": rows, "form": form if can_add else None, "categories": categories}
    return render(request, "web/orders/products.html", context)
