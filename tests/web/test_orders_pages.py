"""The order pages: entering an order line by line (with and without the
script), its page and status buttons, the filtered list, and the product list.
Nobody sees or touches an order of a customer they cannot see."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from manyi.analytics import services
from manyi.analytics.models import Order, Product
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(admin):
    return {
        "purifier": services.product_create(by=admin, sku="WP-1", name="家用净水器", unit_price="2999", category="家用电器"),
        "filter": services.product_create(by=admin, sku="WPF-1", name="净水器滤芯", unit_price="239.50", category="耗材配件"),
    }


def order_of(customer, by, product, *, days_ago=0, quantity=1, status="confirmed"):
    data = {"ordered_on": timezone.localdate() - dt.timedelta(days=days_ago), "status": status, "lines": [{"product": product, "quantity": quantity}]}
    return services.order_create(by=by, customer=customer, data=data)


def form_data(*lines, **fields):
    data = {"ordered_on": timezone.localdate().isoformat(), "channel": "store", "status": "confirmed", "notes": "春季促销", **fields}
    data["line_product"] = [str(p) for p, _q, _u in lines]
    data["line_quantity"] = [q for _p, q, _u in lines]
    data["line_price"] = [u for _p, _q, u in lines]
    return data


def test_a_rep_enters_an_order_with_two_lines(as_user, rep, customer, products):
    client = as_user(rep)
    url = reverse("web:order_new", args=[customer.pk])
    page = client.get(url).content.decode()
    assert "家用净水器 (WP-1) · ¥2,999.00" in page and 'name="add_line"' in page and "data-line-template" in page
    response = client.post(url, form_data((products["purifier"].pk, "1", ""), (products["filter"].pk, "2", "199.5"), ("", "1", "")))
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:order_detail", args=[order.pk])
    assert (order.customer, order.channel, order.notes, order.amount) == (customer, "store", "春季促销", Decimal("3398.00"))
    page = client.get(response["Location"]).content.decode()
    assert "¥3,398.00" in page and "家用净水器" in page and "¥199.50" in page and "Order lines" in page
    assert f"Order {order.number} saved: ¥3,398.00." in page


def test_errors_show_at_their_line_and_nothing_typed_is_lost(as_user, rep, customer, products):
    client = as_user(rep)
    url = reverse("web:order_new", args=[customer.pk])
    response = client.post(url, form_data((products["filter"].pk, "3", "12.5"), ("", "2", "99"), (products["purifier"].pk, "两个", "")))
    assert response.status_code == 200 and not Order.objects.exists()
    page = response.content.decode()
    assert 'id="line-2-product-error"' in page and "Line 2: choose a product from the list." in page
    assert 'id="line-3-quantity-error"' in page and "Line 3: the quantity must be a number above 0." in page
    assert 'id="line-1-product-error"' not in page and 'id="line-1-quantity-error"' not in page
    assert 'aria-describedby="line-2-product-error"' in page and 'aria-invalid="true"' in page
    # What was typed comes back: notes, line 1's price, line 3's quantity, line 2's price.
    assert "春季促销" in page and 'value="12.5"' in page and 'value="两个"' in page and 'value="99"' in page
    assert f'<option value="{products["filter"].pk}" selected>' in page


def test_an_empty_order_says_it_needs_a_line(as_user, rep, customer, products):
    page = as_user(rep).post(reverse("web:order_new", args=[customer.pk]), form_data(("", "1", ""))).content.decode()
    assert "An order needs at least one line." in page and not Order.objects.exists()


def test_a_bad_date_is_shown_at_the_date(as_user, rep, customer, products):
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    page = as_user(rep).post(reverse("web:order_new", args=[customer.pk]), form_data((products["filter"].pk, "1", ""), ordered_on=future)).content.decode()
    assert "An order date cannot lie in the future." in page and not Order.objects.exists()


def test_without_a_script_add_and_remove_line_redraw_the_form(as_user, rep, customer, products):
    client = as_user(rep)
    url = reverse("web:order_new", args=[customer.pk])
    page = client.post(url, {**form_data((products["filter"].pk, "4", "")), "add_line": "1"}).content.decode()
    assert not Order.objects.exists()
    assert 'id="line-2-product"' in page and 'id="line-3-product"' not in page and 'value="4"' in page and "春季促销" in page
    lines = ((products["filter"].pk, "4", ""), (products["purifier"].pk, "1", "2800"))
    page = client.post(url, {**form_data(*lines), "remove_line": "1"}).content.decode()
    assert not Order.objects.exists()
    assert 'id="line-2-product"' not in page and 'value="2800"' in page and 'value="4"' not in page


def test_an_analyst_cannot_enter_orders(as_user, analyst, customer, products):
    client = as_user(analyst)
    url = reverse("web:order_new", args=[customer.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data((products["filter"].pk, "1", ""))).status_code == 403
    assert not Order.objects.exists()
    assert "New order" not in client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()


@pytest.mark.parametrize("who", ["outsider", "rep2"])
def test_others_see_no_order_of_the_customer(request, as_user, rep, customer, products, who):
    order = order_of(customer, rep, products["filter"])
    client = as_user(request.getfixturevalue(who))
    assert client.get(reverse("web:order_detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("web:order_status", args=[order.pk]), {"status": "cancelled"}).status_code == 404
    assert client.get(reverse("web:order_new", args=[customer.pk])).status_code == 404
    assert client.post(reverse("web:order_new", args=[customer.pk]), form_data((products["filter"].pk, "1", ""))).status_code == 404
    assert client.get(reverse("web:order_list") + f"?customer={customer.pk}").status_code == 404
    body = client.get(reverse("web:order_list")).content.decode()
    assert order.number not in body and "张三" not in body and "No orders yet." in body
    order.refresh_from_db()
    assert order.status == "confirmed" and Order.objects.count() == 1


def test_the_team_manager_and_the_owner_see_it(as_user, rep, manager, customer, products):
    order = order_of(customer, rep, products["filter"])
    for user in (rep, manager):
        body = as_user(user).get(reverse("web:order_list")).content.decode()
        assert order.number in body and "张三" in body and "¥239.50" in body


def test_status_buttons_complete_cancel_and_return(as_user, rep, customer, products):
    order = order_of(customer, rep, products["filter"])
    client = as_user(rep)
    url = reverse("web:order_detail", args=[order.pk])
    page = client.get(url).content.decode()
    assert "Mark as completed" in page and "Cancel the order" in page and "csrfmiddlewaretoken" in page and "data-confirm-message" in page
    status_url = reverse("web:order_status", args=[order.pk])
    assert client.get(status_url).status_code == 405
    response = client.post(status_url, {"status": "completed"})
    assert response.status_code == 302 and response["Location"] == url
    order.refresh_from_db()
    assert order.status == "completed"
    page = client.get(url).content.decode()
    assert "Mark as returned" in page and "Mark as completed" not in page and "is now “Completed”" in page
    client.post(status_url, {"status": "returned"})
    order.refresh_from_db()
    assert order.status == "returned"
    assert "count in no figure" in client.get(url).content.decode()
    assert client.post(status_url, {"status": "lost"}).status_code == 400


def test_an_analyst_sees_the_order_but_no_buttons(as_user, rep, analyst, customer, products):
    order = order_of(customer, rep, products["filter"])
    client = as_user(analyst)
    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert order.number in page and "Cancel the order" not in page
    assert client.post(reverse("web:order_status", args=[order.pk]), {"status": "cancelled"}).status_code == 403
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_the_list_is_newest_first_filtered_sorted_and_paged(as_user, rep, customer, products):
    other = CustomerFactory(name="李四", owner=rep)
    old = order_of(other, rep, products["purifier"], days_ago=200, quantity=2)
    cancelled = order_of(customer, rep, products["filter"], days_ago=10, status="cancelled")
    newest = order_of(customer, rep, products["filter"], days_ago=1)
    client = as_user(rep)
    body = client.get(reverse("web:order_list")).content.decode()
    assert body.index(newest.number) < body.index(cancelled.number) < body.index(old.number) and "3 orders" in body
    body = client.get(reverse("web:order_list") + "?sort=-amount").content.decode()
    assert body.index(old.number) < body.index(newest.number) and 'aria-sort="descending"' in body
    body = client.get(reverse("web:order_list") + "?status=cancelled").content.decode()
    assert cancelled.number in body and newest.number not in body and old.number not in body
    since = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    body = client.get(reverse("web:order_list") + f"?date_from={since}").content.decode()
    assert old.number not in body and newest.number in body and cancelled.number in body
    until = (timezone.localdate() - dt.timedelta(days=100)).isoformat()
    body = client.get(reverse("web:order_list") + f"?date_to={until}&date_from=nonsense&sort=bogus").content.decode()
    assert body.count("SO") >= 1 and old.number in body and newest.number not in body
    body = client.get(reverse("web:order_list") + f"?customer={other.pk}").content.decode()
    assert old.number in body and newest.number not in body and "Orders of 李四" in body
    body = client.get(reverse("web:order_list") + "?status=returned").content.decode()
    assert "No order matches these filters." in body


def test_the_list_pages_by_25(as_user, rep, customer, products):
    for days in range(27):
        order_of(customer, rep, products["filter"], days_ago=days)
    client = as_user(rep)
    first = client.get(reverse("web:order_list")).content.decode()
    second = client.get(reverse("web:order_list") + "?page=2").content.decode()
    assert first.count('class="fw-medium font-monospace"') == 25 and second.count('class="fw-medium font-monospace"') == 2
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_the_empty_list_says_how_to_add_an_order(as_user, rep):
    body = as_user(rep).get(reverse("web:order_list")).content.decode()
    assert "No orders yet." in body and "New order" in body and reverse("web:customer_list") in body


def test_the_360_page_shows_the_latest_orders_and_a_new_order_button(as_user, rep, customer, products):
    orders = [order_of(customer, rep, products["filter"], days_ago=d) for d in (40, 30, 20, 10)]
    page = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert all(o.number in page for o in orders[1:]) and orders[0].number not in page
    assert reverse("web:order_new", args=[customer.pk]) in page and f"/orders/?customer={customer.pk}" in page
    assert "No value figures yet" in page


def test_products_are_listed_for_everyone_and_added_by_managers(as_user, rep, manager, products):
    body = as_user(rep).get(reverse("web:product_list")).content.decode()
    assert "家用净水器" in body and "¥2,999.00" in body and "Add a product" not in body
    assert as_user(rep).post(reverse("web:product_list"), {"sku": "X-1", "name": "新品", "unit_price": "10"}).status_code == 403
    client = as_user(manager)
    assert "Add a product" in client.get(reverse("web:product_list")).content.decode()
    response = client.post(reverse("web:product_list"), {"sku": "X-1", "name": "智能门锁", "unit_price": "1,599", "category": "家用电器"})
    assert response.status_code == 302 and Product.objects.get(sku="X-1").unit_price == Decimal("1599.00")
    page = client.post(reverse("web:product_list"), {"sku": "X-1", "name": "重复", "unit_price": "-5"}).content.decode()
    assert "Product X-1 exists already." in page and "A price cannot be negative." in page and "重复" in page


def test_order_pages_require_login(client, customer):
    for url in ["/orders/", "/orders/1/", "/products/", f"/customers/{customer.pk}/orders/new/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_the_order_form_reads_in_chinese(as_user, rep, customer, products, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = as_user(rep).get(reverse("web:order_new", args=[customer.pk])).content.decode()
    assert "新建订单" in page and "添加一行" in page and "New order" not in page
