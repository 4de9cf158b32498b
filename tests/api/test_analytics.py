import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from manyi.analytics import services
from manyi.analytics.models import (
    AnalyticsRun,
    CustomerValue,
    Order,
    OrderLine,
    Product,
    RunStatus,
)
from manyi.customers.models import Customer, CustomerAccess
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
ORDERS = "/api/v1/orders"
PRODUCTS = "/api/v1/products"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def tea(db):
    return Product.objects.create(sku="TEA-1", name="龙井茶", unit_price=Decimal("120.00"))


@pytest.fixture
def cup(db):
    return Product.objects.create(sku="CUP-1", name="茶杯", unit_price=Decimal("35.50"))


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def place(customer, *, days: int, product, quantity="1", status="confirmed", number=None) -> Order:
    """An order of one line, written directly (the API's own path is tested below)."""
    quantity = Decimal(quantity)
    amount = quantity * product.unit_price
    order = Order.objects.create(
        number=number or f"T-{Order.objects.count() + 1}-{customer.pk}", customer=customer, ordered_on=days_ago(days),
        status=status, amount=amount, created_by=customer.owner,
    )  # fmt: skip
    OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=product.unit_price, amount=amount)
    return order


# --- creating orders ------------------------------------------------------------


def test_rep_creates_an_order_with_amounts_from_its_lines(as_user, rep, customer, tea, cup):
    data = {
        "customer": customer.pk, "ordered_on": days_ago(2).isoformat(), "channel": "online", "notes": "春茶",
        "lines": [{"product": tea.pk, "quantity": 2}, {"product": cup.pk, "quantity": "1.5", "unit_price": "30.00"}],
    }  # fmt: skip
    response = as_user(rep).post(ORDERS, data, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] == {"id": customer.pk, "name": "张三"}
    assert (body["channel"], body["status"], body["ordered_on"], body["notes"]) == ("online", "confirmed", days_ago(2).isoformat(), "春茶")
    assert body["number"].startswith("SO") and body["created_by"]["id"] == rep.pk
    assert [(line["product"]["sku"], Decimal(line["unit_price"]), Decimal(line["amount"])) for line in body["lines"]] == [
        ("TEA-1", Decimal("120.00"), Decimal("240.00")),
        ("CUP-1", Decimal("30.00"), Decimal("45.00")),
    ]
    assert Decimal(body["amount"]) == Decimal("285.00")
    order = Order.objects.get(pk=body["id"])
    assert order.amount == Decimal("285.00") and order.lines.count() == 2
    assert as_user(rep).get(f"{ORDERS}/{order.pk}").json() == body


def test_an_order_keeps_the_number_it_is_given_and_defaults_to_today(as_user, rep, customer, tea):
    response = as_user(rep).post(ORDERS, {"customer": customer.pk, "number": "ERP-0042", "lines": [{"product": tea.pk, "quantity": 1}]}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert (response.json()["number"], response.json()["ordered_on"]) == ("ERP-0042", timezone.localdate().isoformat())
    again = as_user(rep).post(ORDERS, {"customer": customer.pk, "number": "ERP-0042", "lines": [{"product": tea.pk, "quantity": 1}]}, content_type=JSON)
    assert again.status_code == 422 and list(again.json()["fields"]) == ["number"]


DROP = object()  # leave the field out


def bad_orders():
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    return [
        pytest.param({"lines": []}, "lines", id="no-lines"),
        pytest.param({"lines": DROP}, "lines", id="lines-missing"),
        pytest.param({"lines": [{"product": 987654, "quantity": 1}]}, "lines.1.product", id="unknown-product"),
        pytest.param({"lines": [{"product": "tea", "quantity": 1}]}, "lines.1.product", id="product-not-an-id"),
        pytest.param({"lines": [{"product": "TEA", "quantity": 1}, {"product": "TEA", "quantity": -2}]}, "lines.2.quantity", id="negative-quantity"),
        pytest.param({"lines": [{"product": "TEA", "quantity": 0}]}, "lines.1.quantity", id="zero-quantity"),
        pytest.param({"lines": [{"product": "TEA", "quantity": "two"}]}, "lines.1.quantity", id="non-numeric-quantity"),
        pytest.param({"lines": [{"product": "TEA", "quantity": "0.0001"}]}, "lines.1.quantity", id="four-decimals"),
        pytest.param({"lines": [{"product": "TEA"}]}, "lines.1.quantity", id="quantity-missing"),
        pytest.param({"lines": [{"product": "TEA", "quantity": 1, "unit_price": "-3"}]}, "lines.1.unit_price", id="negative-price"),
        pytest.param({"lines": [{"product": "TEA", "quantity": 1, "colour": "red"}]}, "lines.1.colour", id="unknown-line-field"),
        pytest.param({"lines": [{"product": "TEA", "quantity": 1}, {"product": "OLD", "quantity": 1}]}, "lines.2.product", id="product-off-sale"),
        pytest.param({"ordered_on": future}, "ordered_on", id="future-date"),
        pytest.param({"ordered_on": "yesterday"}, "ordered_on", id="bad-date"),
        pytest.param({"channel": "pigeon"}, "channel", id="bad-channel"),
        pytest.param({"notes": "x" * 301}, "notes", id="notes-too-long"),
        pytest.param({"mood": "happy"}, "mood", id="unknown-field"),
        pytest.param({"customer": DROP}, "customer", id="customer-missing"),
        pytest.param({"customer": 987654}, "customer", id="unknown-customer"),
    ]


@pytest.mark.parametrize("changes,field", bad_orders())
def test_bad_orders_name_the_field_and_store_nothing(as_user, rep, customer, tea, changes, field):
    old = Product.objects.create(sku="OLD-1", name="旧款", unit_price=Decimal(10), active=False)
    refs = {"TEA": tea.pk, "OLD": old.pk}
    payload = {"customer": customer.pk, "lines": [{"product": "TEA", "quantity": 1}], **changes}
    payload = {name: value for name, value in payload.items() if value is not DROP}
    if isinstance(payload.get("lines"), list):
        payload["lines"] = [{**line, "product": refs.get(line.get("product"), line.get("product"))} for line in payload["lines"]]
    response = as_user(rep).post(ORDERS, payload, content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"], response.json()
    assert not Order.objects.exists() and not OrderLine.objects.exists()


# --- who sees and enters orders --------------------------------------------------


def test_a_customer_one_cannot_see_takes_no_order_and_gives_no_hint(as_user, outsider, customer, tea):
    client = as_user(outsider)
    response = client.post(ORDERS, {"customer": customer.pk, "lines": [{"product": tea.pk, "quantity": 1}]}, content_type=JSON)
    assert response.status_code == 422 and list(response.json()["fields"]) == ["customer"]
    assert response.json() == client.post(ORDERS, {"customer": 987654, "lines": [{"product": tea.pk, "quantity": 1}]}, content_type=JSON).json()
    assert not Order.objects.exists()


def test_outsider_sees_no_order_of_reps_customer(as_user, outsider, customer, tea):
    order = place(customer, days=3, product=tea)
    client = as_user(outsider)
    assert ids(client.get(ORDERS)) == []
    assert client.get(ORDERS, {"customer": customer.pk}).json()["code"] == "not_found"
    for response in (client.get(f"{ORDERS}/{order.pk}"), client.patch(f"{ORDERS}/{order.pk}/status", {"status": "cancelled"}, content_type=JSON)):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Order.objects.get(pk=order.pk).status == "confirmed"


def test_rep2_sees_reps_orders_only_when_the_customer_is_shared(as_user, rep2, customer, tea):
    order = place(customer, days=3, product=tea)
    client = as_user(rep2)
    assert ids(client.get(ORDERS)) == []
    assert client.get(f"{ORDERS}/{order.pk}").status_code == 404
    CustomerAccess.objects.create(customer=customer, user=rep2, kind="shared")
    assert ids(client.get(ORDERS)) == [order.pk]
    assert client.get(f"{ORDERS}/{order.pk}").json()["lines"][0]["product"]["name"] == "龙井茶"


def test_manager_and_analyst_see_the_teams_orders(as_user, manager, analyst, rep2, outsider, customer, tea):
    mine = place(customer, days=5, product=tea)
    mate = place(CustomerFactory(owner=rep2), days=4, product=tea)
    place(CustomerFactory(owner=outsider), days=3, product=tea)
    for who in (manager, analyst):
        assert ids(as_user(who).get(ORDERS)) == [mate.pk, mine.pk]


def test_analyst_and_agent_cannot_enter_orders(as_user, analyst, agent, customer, tea):
    CustomerAccess.objects.create(customer=customer, user=agent, kind="service")
    for who in (analyst, agent):
        response = as_user(who).post(ORDERS, {"customer": customer.pk, "lines": [{"product": tea.pk, "quantity": 1}]}, content_type=JSON)
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Order.objects.exists()


def test_orders_newest_first_filtered_by_customer_and_day(as_user, rep, customer, enterprise, tea):
    old = place(customer, days=40, product=tea)
    mid = place(enterprise, days=10, product=tea)
    new = place(customer, days=1, product=tea)
    client = as_user(rep)
    assert ids(client.get(ORDERS)) == [new.pk, mid.pk, old.pk]
    assert ids(client.get(ORDERS, {"customer": customer.pk})) == [new.pk, old.pk]
    assert ids(client.get(ORDERS, {"since": days_ago(10).isoformat()})) == [new.pk, mid.pk]
    assert ids(client.get(ORDERS, {"since": days_ago(40).isoformat(), "until": days_ago(10).isoformat()})) == [mid.pk, old.pk]
    page = client.get(ORDERS, {"page_size": 2, "page": 2}).json()
    assert (page["total"], page["pages"], [item["id"] for item in page["items"]]) == (3, 2, [old.pk])
    assert "lines" not in page["items"][0] and page["items"][0]["customer"] == {"id": customer.pk, "name": "张三"}


def test_order_list_queries_do_not_grow_with_rows(as_user, rep, customer, enterprise, tea):
    client = as_user(rep)
    place(customer, days=1, product=tea)
    client.get(ORDERS)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ORDERS).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for days in range(2, 10):
        place(enterprise if days % 2 else customer, days=days, product=tea)
    assert count() == few


@pytest.mark.parametrize("params,field", [({"since": "last week"}, "since"), ({"until": "2026-13-01"}, "until"), ({"customer": 0}, "customer")])
def test_bad_order_filters_are_422(as_user, rep, params, field):
    response = as_user(rep).get(ORDERS, params)
    assert response.status_code == 422 and field in response.json()["fields"]


def test_rep_cancels_an_order_and_the_analyst_cannot(as_user, rep, analyst, customer, tea):
    order = place(customer, days=3, product=tea)
    url = f"{ORDERS}/{order.pk}/status"
    response = as_user(analyst).patch(url, {"status": "cancelled"}, content_type=JSON)
    assert response.status_code == 403
    response = as_user(rep).patch(url, {"status": "lost"}, content_type=JSON)
    assert response.status_code == 422 and "status" in response.json()["fields"]
    response = as_user(rep).patch(url, {"status": "cancelled"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["status"] == "cancelled" and len(response.json()["lines"]) == 1
    assert Order.objects.get(pk=order.pk).status == "cancelled"


# --- products -------------------------------------------------------------------


def test_everyone_lists_products_and_may_ask_for_those_on_sale(as_user, rep, outsider, tea, cup):
    old = Product.objects.create(sku="OLD-1", name="旧款", unit_price=Decimal(10), active=False)
    for who in (rep, outsider):
        assert ids(as_user(who).get(PRODUCTS)) == [cup.pk, old.pk, tea.pk]
    assert ids(as_user(rep).get(PRODUCTS, {"active": "true"})) == [cup.pk, tea.pk]


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_add_products(as_user, who, request):
    response = as_user(request.getfixturevalue(who)).post(PRODUCTS, {"sku": "PU-7", "name": "普洱茶饼", "unit_price": "388.00", "category": "茶叶"}, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sku"], body["name"], Decimal(body["unit_price"]), body["category"], body["active"]) == ("PU-7", "普洱茶饼", Decimal("388.00"), "茶叶", True)
    assert Product.objects.get(pk=body["id"]).category.name == "茶叶"


@pytest.mark.parametrize("who", ["rep", "analyst", "agent", "outsider"])
def test_others_cannot_add_products(as_user, who, request):
    response = as_user(request.getfixturevalue(who)).post(PRODUCTS, {"sku": "PU-7", "name": "普洱茶饼", "unit_price": "388.00"}, content_type=JSON)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"sku": "TEA-1", "name": "又一个"}, "sku"),
        ({"sku": "", "name": "x"}, "sku"),
        ({"sku": "X-1", "name": "x", "unit_price": "-1"}, "unit_price"),
        ({"sku": "X-1", "name": "x", "unit_price": 12.5}, "unit_price"),
        ({"sku": "X-1"}, "name"),
        ({"sku": "X-1", "name": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_products_are_422(as_user, manager, tea, data, field):
    response = as_user(manager).post(PRODUCTS, data, content_type=JSON)
    assert response.status_code == 422 and field in response.json()["fields"], response.content
    assert Product.objects.count() == 1


# --- customer value and the analytics ---------------------------------------------

@pytest.fixture
def stranger(other_team):
    """A rep of the other team who owns customers (the outsider owns none)."""
    return UserFactory(username="stranger", role="sales", team=other_team)


@pytest.fixture
def book(rep, rep2, stranger, customer, tea, cup):
    """A small book of business, refreshed. Rep's 张三 buys the most and is
    graded D by hand; 36 customers of rep, rep2 and the stranger buy as the
    BG/NBD story goes (each at their own weekly rate, each purchase possibly
    their last; seeded, so the fit has repeat buyers of every kind to learn
    from), and one of each owner bought monthly until a year and a half ago.
    Everyone starts graded D, small."""
    rng = np.random.default_rng(6)
    products = (tea, cup, Product.objects.create(sku="POT-1", name="紫砂壶", unit_price=Decimal("680.00")))
    bought = [(customer, days, tea, 10) for days in (200, 150, 100, 60, 20)]
    owners = (rep, rep2, stranger)
    for owner in owners:
        lapsed = CustomerFactory(owner=owner)
        bought += [(lapsed, 800 - 30 * k, products[k % 3], 3) for k in range(8)]
    for i in range(36):
        buyer = CustomerFactory(owner=owners[i % 3])
        weekly, last_chance = rng.gamma(0.8, 0.3), rng.beta(0.6, 2.5)
        day, n = float(rng.uniform(30, 700)), 0
        while day > 0:
            bought.append((buyer, int(day), products[(i + n) % 3], 1 + (i + n) % 4))
            n += 1
            if rng.random() < last_chance:
                break
            day -= 7 * rng.exponential(1 / weekly)
    orders = Order.objects.bulk_create(
        Order(number=f"B-{n}", customer=buyer, ordered_on=days_ago(days), amount=quantity * product.unit_price)
        for n, (buyer, days, product, quantity) in enumerate(bought)
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, quantity=quantity, unit_price=product.unit_price, amount=order.amount)
        for order, (_buyer, _days, product, quantity) in zip(orders, bought, strict=True)
    )
    Customer.objects.update(grade="D", importance="small")
    Customer.objects.filter(pk=customer.pk).update(grade_manual=True)
    run = services.analytics_refresh()
    assert run.status == RunStatus.DONE and "error" not in run.parameters["bgnbd"], run.parameters
    return run


def value_url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/value"


def test_value_before_any_refresh_says_to_run_one(as_user, rep, customer):
    response = as_user(rep).get(value_url(customer))
    assert response.status_code == 404 and response.json()["code"] == "not_computed"
    assert "manyi analytics refresh" in response.json()["message"]


def test_value_of_a_customer_after_a_refresh(as_user, rep, customer, tea, book):
    response = as_user(rep).get(value_url(customer))
    assert response.status_code == 200, response.content
    body = response.json()
    stored = CustomerValue.objects.get(pk=customer.pk)
    assert (body["customer_id"], body["as_of"], body["orders"]) == (customer.pk, book.as_of.isoformat(), 5)
    assert (body["grade"], body["importance"], body["grade_manual"]) == ("D", "small", True)
    assert body["proposed_grade"] == stored.proposed_grade == "A"
    assert (body["r"], body["f"], body["m"], body["segment"]) == (stored.r, stored.f, stored.m, stored.segment)
    assert body["churn_basis"] == "model" and 0 < body["p_alive"] <= 1 and body["churn_risk"] == pytest.approx(1 - body["p_alive"], abs=1e-5)
    assert body["clv"] == stored.clv > 0 and body["expected_purchases"] > 0 and body["value_at_risk"] == stored.value_at_risk
    for suggestion in body["suggestions"]:
        assert suggestion["product"]["id"] != tea.pk and suggestion["because"] in (None, {"id": tea.pk, "name": "龙井茶"})
        assert 0 <= suggestion["share"] <= 1


@pytest.mark.parametrize("who", ["outsider", "rep2"])
def test_others_get_no_value_of_reps_customer(as_user, customer, book, who, request):
    response = as_user(request.getfixturevalue(who)).get(value_url(customer))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_manager_reads_the_value_and_a_customer_newer_than_the_refresh_is_not_computed(as_user, rep, manager, customer, book):
    assert as_user(manager).get(value_url(customer)).status_code == 200
    newcomer = CustomerFactory(owner=rep)
    response = as_user(rep).get(value_url(newcomer))
    assert response.status_code == 404 and response.json()["code"] == "not_computed"


def overview(client) -> dict:
    response = client.get("/api/v1/analytics/overview")
    assert response.status_code == 200, response.content
    return response.json()


def test_overview_counts_the_customers_one_sees(as_user, rep, manager, admin, outsider, team, book):
    team_total = Customer.objects.filter(team=team).count()
    figures = overview(as_user(manager))
    assert figures["customers"] == team_total < Customer.objects.count()
    assert figures["as_of"] == book.as_of.isoformat()
    assert sum(row["customers"] for row in figures["segments"]) <= team_total
    assert sum(row["customers"] for row in figures["grades"]) == team_total
    assert overview(as_user(rep))["customers"] == Customer.objects.filter(owner=rep).count()
    assert overview(as_user(admin))["customers"] == Customer.objects.count()
    nothing = overview(as_user(outsider))
    assert (nothing["customers"], nothing["buyers"], nothing["revenue_year"], nothing["at_risk"]) == (0, 0, 0, 0)


def winback(client) -> list[dict]:
    response = client.get("/api/v1/analytics/winback", {"page_size": 100})
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_winback_lists_only_the_customers_one_sees(as_user, rep, rep2, manager, admin, outsider, stranger, team, book):
    everyone = winback(as_user(admin))
    owners = {item["owner"]["id"] for item in everyone}
    assert stranger.pk in owners and owners <= {rep.pk, rep2.pk, stranger.pk}
    risks = [item["value_at_risk"] for item in everyone]
    assert risks == sorted(risks, reverse=True) and all(item["churn_risk"] >= 0.5 for item in everyone)
    mine = winback(as_user(rep))
    assert mine and all(item["owner"]["id"] == rep.pk for item in mine)
    team_ids = set(Customer.objects.filter(team=team).values_list("pk", flat=True))
    teams = winback(as_user(manager))
    assert {item["customer"]["id"] for item in teams} == {item["customer"]["id"] for item in everyone} & team_ids
    assert winback(as_user(outsider)) == []


# --- refresh and grades -------------------------------------------------------------

REFRESH = "/api/v1/analytics/refresh"


def test_manager_queues_a_refresh(as_user, manager):
    response = as_user(manager).post(REFRESH)
    assert response.status_code == 202, response.content
    queued = DBTaskResult.objects.get(id=response.json()["task_id"])
    assert queued.task_path == "manyi.analytics.tasks.refresh_analytics" and queued.args_kwargs["kwargs"] == {"trigger": "api", "by_id": manager.pk}


@pytest.mark.parametrize("who", ["rep", "analyst", "outsider"])
def test_others_cannot_refresh(as_user, who, request):
    response = as_user(request.getfixturevalue(who)).post(REFRESH)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not DBTaskResult.objects.exists()


def test_no_refresh_is_queued_while_one_runs(as_user, admin):
    running = AnalyticsRun.objects.create(as_of=timezone.localdate(), status=RunStatus.RUNNING, trigger="command")
    response = as_user(admin).post(REFRESH)
    assert response.status_code == 409 and response.json()["code"] == "refresh_running"
    assert timezone.localtime(running.started_at).strftime("%H:%M") in response.json()["message"]
    assert not DBTaskResult.objects.exists()


def test_manager_applies_the_proposed_grades_to_the_team_but_not_to_hand_graded(as_user, rep, manager, customer, stranger, team, book):
    assert as_user(rep).post("/api/v1/analytics/grades/apply").status_code == 403
    graded = Customer.objects.filter(team=team, grade_manual=False)
    expected = graded.exclude(grade=F("value__proposed_grade"), importance=F("value__proposed_importance")).count()
    assert expected > 0
    response = as_user(manager).post("/api/v1/analytics/grades/apply")
    assert response.status_code == 200 and response.json() == {"changed": expected}
    assert not graded.exclude(grade=F("value__proposed_grade"), importance=F("value__proposed_importance")).exists()
    customer.refresh_from_db()
    assert (customer.grade, customer.value.proposed_grade) == ("D", "A")
    theirs = Customer.objects.filter(owner=stranger)
    assert set(theirs.values_list("grade", flat=True)) == {"D"} and theirs.exclude(value__proposed_grade="D").exists()
