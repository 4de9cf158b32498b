"""Orders and products: one write path, validated line by line, scoped by who asks."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from manyi.analytics import selectors, services
from manyi.analytics.models import Order, OrderLine, Product
from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.customers.services import customer_grant_access, customer_update
from tests.factories import buy

pytestmark = pytest.mark.django_db


def test_an_order_sums_its_lines_at_list_or_given_prices(rep, customer, products):
    order = services.order_create(
        by=rep, customer=customer,
        data={"ordered_on": dt.date(2026, 3, 5), "channel": "store", "lines": [
            {"product": products["purifier"], "quantity": 1},
            {"product": products["filter"].pk, "quantity": "3", "unit_price": "199.9"},
        ]},
    )  # fmt: skip
    lines = selectors.order_lines(order)
    assert [(line.product.sku, line.quantity, line.unit_price, line.amount) for line in lines] == [
        ("WP-1", Decimal(1), Decimal("2999.00"), Decimal("2999.00")),
        ("WPF-1", Decimal(3), Decimal("199.90"), Decimal("599.70")),
    ]
    order.refresh_from_db()
    assert order.amount == Decimal("3598.70") and order.number.startswith("SO20260305-") and order.created_by == rep


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"lines": []}, "lines", "at least one line"),
        ({"lines": [{"product": 999999, "quantity": 1}]}, "lines.1.product", "choose a product"),
        ({"lines": [{"quantity": 1}]}, "lines.1.product", "choose a product"),
        ({"lines": [{"product": "P", "quantity": "-2"}]}, "lines.1.quantity", "above 0"),
        ({"lines": [{"product": "P", "quantity": "两个"}]}, "lines.1.quantity", "above 0"),
        ({"lines": [{"product": "P", "quantity": "0.0001"}]}, "lines.1.quantity", "three decimals"),
        ({"lines": [{"product": "P", "quantity": 1, "unit_price": "-1"}]}, "lines.1.unit_price", "negative"),
        ({"lines": [{"product": "P", "quantity": 1, "unit_price": "abc"}]}, "lines.1.unit_price", "not an amount"),
        ({"ordered_on": "next week", "lines": [{"product": "P", "quantity": 1}]}, "ordered_on", "YYYY-MM-DD"),
        ({"ordered_on": dt.date(2099, 1, 1), "lines": [{"product": "P", "quantity": 1}]}, "ordered_on", "future"),
        ({"channel": "telepathy", "lines": [{"product": "P", "quantity": 1}]}, "channel", "channel"),
        ({"discount": "50%", "lines": [{"product": "P", "quantity": 1}]}, "discount", "Unknown field"),
    ],
)
def test_bad_orders_name_the_field_and_store_nothing(rep, customer, products, data, field, says):
    for line in data.get("lines", []):
        if line.get("product") == "P":
            line["product"] = products["filter"]
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(by=rep, customer=customer, data=data)
    assert field in caught.value.fields, caught.value.fields
    assert says.lower() in " ".join(caught.value.fields[field]).lower()
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_every_bad_line_is_reported_in_one_round(rep, customer, products):
    lines = [{"product": products["filter"], "quantity": 1}, {"product": products["filter"], "quantity": 0}, {"product": None, "quantity": 1}]
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(by=rep, customer=customer, data={"lines": lines})
    assert set(caught.value.fields) == {"lines.2.quantity", "lines.3.product"}


def test_a_product_off_sale_cannot_be_ordered(rep, customer, products):
    Product.objects.filter(pk=products["lock"].pk).update(active=False)
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(by=rep, customer=customer, data={"lines": [{"product": products["lock"], "quantity": 1}]})
    assert "no longer on sale" in caught.value.fields["lines.1.product"][0]


def test_an_erp_number_is_kept_and_must_be_unique(rep, customer, products):
    data = {"number": "ERP-0001", "lines": [{"product": products["filter"], "quantity": 1}]}
    assert services.order_create(by=rep, customer=customer, data=dict(data)).number == "ERP-0001"
    with pytest.raises(ValidationFailed) as caught:
        services.order_create(by=rep, customer=customer, data=dict(data))
    assert "exists already" in caught.value.fields["number"][0]


def test_who_may_enter_and_see_orders(rep, rep2, agent, manager, analyst, outsider, admin, customer, products):
    line = {"lines": [{"product": products["filter"], "quantity": 1}]}
    with pytest.raises(PermissionDenied):
        services.order_create(by=analyst, customer=customer, data=dict(line))
    with pytest.raises(PermissionDenied):
        services.order_create(by=agent, customer=customer, data=dict(line))
    for stranger in (outsider, rep2):
        with pytest.raises(NotFound):
            services.order_create(by=stranger, customer=customer, data=dict(line))
    order = services.order_create(by=manager, customer=customer, data=dict(line))
    assert list(selectors.order_list(user=rep)) == [order]
    assert list(selectors.order_list(user=admin)) == [order]
    assert list(selectors.order_list(user=analyst)) == [order]
    assert list(selectors.order_list(user=outsider)) == [] and list(selectors.order_list(user=rep2)) == []
    with pytest.raises(NotFound):
        selectors.order_get(user=outsider, pk=order.pk)
    with pytest.raises(NotFound):
        services.order_set_status(by=outsider, order=order, status="cancelled")
    customer_grant_access(by=rep, customer=customer, user=rep2, kind="shared")
    assert selectors.order_get(user=rep2, pk=order.pk) == order


def test_only_managers_add_products(rep, manager):
    with pytest.raises(PermissionDenied):
        services.product_create(by=rep, sku="X", name="X", unit_price=1)
    with pytest.raises(ValidationFailed) as caught:
        services.product_create(by=manager, sku="", name="", unit_price="-3")
    assert set(caught.value.fields) == {"sku", "name", "unit_price"}
    made = services.product_create(by=manager, sku=" ＡＢ-1 ", name="测试", unit_price="1,299.5", category="服务")
    assert (made.sku, made.unit_price, made.category.name) == ("AB-1", Decimal("1299.50"), "服务")


def test_cancelling_takes_an_order_out_of_the_figures(rep, customer, products):
    orders = buy(customer, rep, [products["filter"]], [30, 10])
    services.order_set_status(by=rep, order=orders[1], status="cancelled")
    services.analytics_refresh()
    figures = selectors.customer_figures(user=rep, customer=customer)
    assert figures.value.orders == 1 and figures.value.total_spend == pytest.approx(239.5)
    assert figures.value.last_order == timezone.localdate() - dt.timedelta(days=30)


def test_a_grade_chosen_by_hand_is_marked(rep, customer):
    customer_update(by=rep, customer=customer, data={"notes": "常客"})
    customer.refresh_from_db()
    assert not customer.grade_manual
    customer_update(by=rep, customer=customer, data={"grade": "A"})
    customer.refresh_from_db()
    assert customer.grade_manual and customer.grade == "A"
