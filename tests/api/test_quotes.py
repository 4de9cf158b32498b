"""Quotes over the JSON API: writing one with its breakdown, validation in
422 bodies that name the line, revising, the approval of a large discount,
sending, the customer's answer, and the PDF. Nobody learns of a quote they
may not see: the outsider and the other rep get 404."""

import io
from decimal import Decimal

import pytest
from django.utils import translation
from pypdf import PdfReader

from manyi.analytics.models import Order
from manyi.sales.models import DealStatus, QuoteVersion
from manyi.sales.services import quotes as services
from manyi.sales.services.deals import deal_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/sales/quotes"
JSON = "application/json"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def as_user(as_user):
    """The API clients, asking for English (the default language is Chinese)."""

    def make(user):
        client = as_user(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def post(client, path, data=None):
    return client.post(f"{URL}{path}", data or {}, content_type=JSON)


def body_for(who, **overrides):
    data = {
        "customer": who.pk,
        "lines": [
            {"part": "设备", "description": "家用净水器", "quantity": "2", "unit": "台", "unit_price": "2999.00"},
            {"part": "安装", "description": "上门安装调试", "quantity": 1, "unit": "次", "unit_price": "500"},
        ],
        "workload": [{"role": "安装工程师", "people": 2, "days": "1.5"}],
        "market_reference": "7000.00",
        "market_reference_note": "京东同型号均价",
        "difficulty": "high",
        "difficulty_note": "老房水管需改造",
        "quality_note": "原厂设备，三年保修",
    }
    data.update(overrides)
    return data


def content_of(who, **overrides):
    """A version's content, as a revision sends it (no customer)."""
    data = body_for(who, **overrides)
    del data["customer"]
    return data


@pytest.fixture
def quote(rep, customer):
    return services.quote_create(by=rep, customer=customer, data=content_of(customer))


def test_every_route_needs_a_token(client, quote):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/{quote.pk}").status_code == 401
    assert client.get(f"{URL}/{quote.pk}/pdf").status_code == 401
    assert post(client, f"/{quote.pk}/send").status_code == 401


def test_a_rep_writes_a_quote_with_its_breakdown(as_user, rep, customer):
    response = post(as_user(rep), "", body_for(customer, discount_percent="5", discount_condition="预付全款"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("BJ") and body["status"] == "draft" and body["version"] == 1
    assert body["customer"] == {"id": customer.pk, "name": "张三"} and body["owner"]["id"] == rep.pk and body["deal"] is None
    # 2 × 2999 + 500 = 6498, less 5 % = 6173.10
    assert body["total"] == "6173.10"
    (version,) = body["versions"]
    assert (Decimal(version["subtotal"]), Decimal(version["total"]), version["needs_approval"]) == (Decimal(6498), Decimal("6173.10"), False)
    assert [(line["position"], line["part"], Decimal(line["amount"])) for line in version["lines"]] == [(1, "设备", Decimal(5998)), (2, "安装", Decimal(500))]
    assert version["workload"] == [{"role": "安装工程师", "people": 2, "days": "1.5", "person_days": "3.0"}]
    assert version["difficulty"] == "high" and version["market_reference_note"] == "京东同型号均价" and version["discount_condition"] == "预付全款"
    assert [e["kind"] for e in body["events"]] == ["created"] and body["events"][0]["version"] == 1
    assert set(body["actions"]) == {"revise", "send", "accept", "reject"}
    listed = as_user(rep).get(URL).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]] and Decimal(listed["items"][0]["total"]) == Decimal("6173.10")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"description": "甲", "quantity": 1, "unit_price": "1"}, {"description": "乙", "quantity": 0, "unit_price": "1"}]}, "lines.2.quantity"),
        ({"lines": [{"description": "甲", "quantity": 1, "unit_price": "-1"}]}, "lines.1.unit_price"),
        ({"lines": [{"description": "甲", "quantity": 1}]}, "lines.1.unit_price"),
        ({"workload": [{"role": "工程师", "people": 0, "days": 1}]}, "workload.1.people"),
        ({"discount_percent": "120", "discount_condition": "x"}, "discount_percent"),
        ({"discount_percent": "8"}, "discount_condition"),
        ({"difficulty": "extreme"}, "difficulty"),
        ({"colour": "red"}, "colour"),
        ({"customer": 999999}, "customer"),
    ],
)
def test_bad_quotes_are_422_naming_the_field(as_user, rep, customer, change, field):
    response = post(as_user(rep), "", body_for(customer, **change))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"], body


def test_the_discount_condition_message_says_what_is_missing(as_user, rep, customer):
    body = post(as_user(rep), "", body_for(customer, discount_percent="8")).json()
    assert body["fields"] == {"discount_condition": [
        "A discount is given only against something: say what the customer gives in return (another purchase, a guaranteed volume, prompt payment…)."
    ]}  # fmt: skip


def test_outsiders_and_other_reps_see_nothing(as_user, quote, rep2, outsider, manager, analyst, customer):
    for user in (rep2, outsider):
        client = as_user(user)
        assert client.get(URL).json()["items"] == []
        for path in (f"/{quote.pk}", f"/{quote.pk}/pdf"):
            response = client.get(f"{URL}{path}")
            assert response.status_code == 404 and response.json()["code"] == "not_found"
        for path, data in (("/send", None), ("/approve", {}), ("/reject", {"reason": "x"}), ("/accept", {})):
            assert post(client, f"/{quote.pk}{path}", data).status_code == 404
        assert post(client, f"/{quote.pk}/versions", content_of(customer)).status_code == 404
        assert post(client, "", body_for(customer)).status_code == 422  # the customer is not theirs to see
    for user in (manager, analyst):
        assert as_user(user).get(f"{URL}/{quote.pk}").status_code == 200
    response = post(as_user(analyst), f"/{quote.pk}/send")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_revising_adds_a_version(as_user, rep, quote, customer):
    content = content_of(customer)
    content["lines"] = [{"description": "商用净水器", "quantity": 1, "unit_price": "12000"}]
    response = post(as_user(rep), f"/{quote.pk}/versions", content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 2 and [v["number"] for v in body["versions"]] == [1, 2]
    assert Decimal(body["versions"][0]["total"]) == Decimal(6498) and Decimal(body["versions"][1]["total"]) == Decimal(12000)
    bad = post(as_user(rep), f"/{quote.pk}/versions", content | {"lines": [{"description": "x", "quantity": "abc", "unit_price": "1"}]})
    assert bad.status_code == 422 and "lines.1.quantity" in bad.json()["fields"]
    assert QuoteVersion.objects.filter(quote=quote).count() == 2


def test_a_large_discount_goes_through_the_manager(as_user, rep, manager, customer):
    rep_client = as_user(rep)
    created = post(rep_client, "", body_for(customer, discount_percent="15", discount_condition="签两年维保合同")).json()
    pk = created["id"]
    assert created["versions"][0]["needs_approval"] is True and "submit" in created["actions"] and "send" not in created["actions"]
    refused = post(rep_client, f"/{pk}/send")
    assert refused.status_code == 409 and refused.json()["code"] == "approval_required"
    assert post(rep_client, f"/{pk}/approve", {}).status_code == 403
    submitted = post(rep_client, f"/{pk}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "pending"
    approved = post(as_user(manager), f"/{pk}/approve", {"note": "老客户"})
    assert approved.status_code == 200, approved.content
    version = approved.json()["versions"][0]
    assert approved.json()["status"] == "approved" and version["approved_by"]["id"] == manager.pk and version["approval_note"] == "老客户"
    again = post(as_user(manager), f"/{pk}/approve", {})
    assert again.status_code == 409 and again.json()["code"] == "already_approved"
    sent = post(rep_client, f"/{pk}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert [e["kind"] for e in sent.json()["events"]] == ["created", "submitted", "approved", "sent"]


def test_the_manager_declines_a_discount_with_a_reason(as_user, rep, manager, outsider, customer):
    rep_client = as_user(rep)
    pk = post(rep_client, "", body_for(customer, discount_percent="25", discount_condition="签两年维保合同")).json()["id"]
    early = post(as_user(manager), f"/{pk}/decline", {"reason": "太高"})
    assert early.status_code == 409 and early.json()["code"] == "wrong_status"
    post(rep_client, f"/{pk}/submit")
    assert post(rep_client, f"/{pk}/decline", {"reason": "x"}).status_code == 403
    assert post(as_user(outsider), f"/{pk}/decline", {"reason": "x"}).status_code == 404
    assert post(as_user(manager), f"/{pk}/decline", {"reason": ""}).status_code == 422
    declined = post(as_user(manager), f"/{pk}/decline", {"reason": "最多 12%"})
    assert declined.status_code == 200, declined.content
    body = declined.json()
    assert body["status"] == "draft" and body["events"][-1]["kind"] == "declined" and body["events"][-1]["note"] == "最多 12%"


def test_accepting_writes_the_order_and_wins_the_deal(as_user, rep, customer, products):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目"})
    lines = [{"product": products["purifier"].pk, "quantity": 1}, {"description": "安装", "quantity": 1, "unit_price": "300"}]
    client = as_user(rep)
    pk = post(client, "", body_for(customer, deal=deal.pk, lines=lines)).json()["id"]
    response = post(client, f"/{pk}/accept", {"create_order": True})
    assert response.status_code == 200, response.content
    body = response.json()
    order = Order.objects.get()
    assert body["status"] == "accepted" and body["order"] == {"id": order.pk, "number": order.number}
    assert body["deal"] == {"id": deal.pk, "title": "净水器项目"} and order.amount == Decimal("2999.00")
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert post(client, f"/{pk}/accept", {}).status_code == 409


def test_rejecting_needs_a_reason(as_user, rep, quote):
    client = as_user(rep)
    missing = post(client, f"/{quote.pk}/reject", {"reason": ""})
    assert missing.status_code == 422 and "reason" in missing.json()["fields"]
    response = post(client, f"/{quote.pk}/reject", {"reason": "预算不足"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert response.json()["events"][-1]["note"] == "预算不足"


def test_a_quote_on_a_deal_one_cannot_see_is_refused(as_user, rep, rep2, customer):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目"})
    response = post(as_user(rep2), "", body_for(customer, deal=deal.pk))
    assert response.status_code == 422


def test_list_filters(as_user, rep, quote, customer, enterprise):
    client = as_user(rep)
    other = post(client, "", body_for(enterprise)).json()["id"]
    ids = lambda **params: [item["id"] for item in client.get(URL, params).json()["items"]]
    assert ids() == [other, quote.pk]
    assert ids(customer=customer.pk) == [quote.pk]
    assert ids(q="华为") == [other]
    assert ids(status="open") == [other, quote.pk] and ids(status="sent") == []
    assert client.get(URL, {"status": "nonsense"}).status_code == 422


def test_the_pdf_downloads(as_user, rep, quote):
    response = as_user(rep).get(f"{URL}/{quote.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{quote.number}-v1.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "家用净水器" in text and "6,498.00" in text
    assert as_user(rep).get(f"{URL}/{quote.pk}/pdf", {"version": 7}).status_code == 404
