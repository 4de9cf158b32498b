import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.customers.models import ChangeRecord, Customer, CustomerAccess
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"
JSON = "application/json"


def row(customer):
    return Customer.objects.values().get(pk=customer.pk)


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def serve(customer, user, kind="service"):
    CustomerAccess.objects.create(customer=customer, user=user, kind=kind)


# --- who sees what -----------------------------------------------------------


def test_rep_lists_own_customers_with_owner_and_tags(as_user, rep, customer, rep2):
    customer.tags.create(name="VIP")
    CustomerFactory(owner=rep2)
    body = as_user(rep).get(URL).json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["id"] == customer.pk and item["name"] == "张三"
    assert item["owner"] == {"id": rep.pk, "name": "王小明"} and item["tags"] == ["VIP"]
    assert "health_notes" not in item


@pytest.mark.parametrize("who", ["rep2", "outsider"])
def test_others_list_nothing_of_reps(as_user, customer, who, request):
    assert ids(as_user(request.getfixturevalue(who)).get(URL)) == []


@pytest.mark.parametrize("who", ["rep2", "outsider"])
@pytest.mark.parametrize("suffix", ["", "/timeline"])
def test_others_get_404_for_reps_customer(as_user, customer, who, suffix, request):
    client = as_user(request.getfixturevalue(who))
    response = client.get(f"{URL}/{customer.pk}{suffix}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json() == client.get(f"{URL}/987654{suffix}").json()


@pytest.mark.parametrize("who", ["manager", "analyst"])
def test_manager_and_analyst_see_the_team(as_user, customer, rep2, outsider, who, request):
    team_mate = CustomerFactory(owner=rep2)
    CustomerFactory(owner=outsider)
    assert sorted(ids(as_user(request.getfixturevalue(who)).get(URL))) == sorted([customer.pk, team_mate.pk])


def test_agent_sees_only_customers_they_serve(as_user, agent, customer, enterprise):
    serve(customer, agent)
    client = as_user(agent)
    assert ids(client.get(URL)) == [customer.pk]
    assert client.get(f"{URL}/{enterprise.pk}").status_code == 404


@pytest.mark.parametrize("who,visible", [("rep", True), ("manager", True), ("admin", True), ("agent", False), ("analyst", False)])
def test_sensitive_fields_are_null_for_those_who_may_not_read_them(as_user, customer, agent, who, visible, request):
    serve(customer, agent)
    body = as_user(request.getfixturevalue(who)).get(f"{URL}/{customer.pk}").json()
    assert (body["health_notes"] == "高血压") is visible
    assert (body["income_level"] == "年薪50万") is visible
    if not visible:
        assert body["health_notes"] is body["income_level"] is body["family_notes"] is body["marital_status"] is None
    assert body["name"] == "张三"


# --- list: pagination, filters, queries ---------------------------------------


def test_pages(as_user, rep):
    CustomerFactory.create_batch(7, owner=rep)
    client = as_user(rep)
    first = client.get(URL, {"page_size": 3}).json()
    assert (first["total"], first["page"], first["page_size"], first["pages"], len(first["items"])) == (7, 1, 3, 3, 3)
    last = client.get(URL, {"page_size": 3, "page": 3}).json()
    assert len(last["items"]) == 1
    assert client.get(URL, {"page_size": 3, "page": 4}).json()["items"] == []
    seen = {i for p in (1, 2, 3) for i in ids(client.get(URL, {"page_size": 3, "page": p}))}
    assert len(seen) == 7


@pytest.mark.parametrize("params,field", [({"page_size": 201}, "page_size"), ({"page_size": 0}, "page_size"), ({"page": 0}, "page"), ({"page": "x"}, "page"), ({"sort": "colour"}, "sort"), ({"grade": "Z"}, "grade")])
def test_bad_list_parameters_are_422(as_user, rep, params, field):
    response = as_user(rep).get(URL, params)
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_filters(as_user, rep, rep2, manager):
    a = CustomerFactory(owner=rep, name="李四", kind="individual", grade="A", importance="key", depth="loyalty", category="supplier")
    a.tags.create(name="老客户")
    b = CustomerFactory(owner=rep2, name="王五", grade="B")
    client = as_user(manager)
    assert ids(client.get(URL, {"kind": "individual"})) == [a.pk]
    assert ids(client.get(URL, {"grade": "A"})) == [a.pk]
    assert ids(client.get(URL, {"importance": "key", "depth": "loyalty", "category": "supplier"})) == [a.pk]
    assert ids(client.get(URL, {"tag": "老客户"})) == [a.pk]
    assert ids(client.get(URL, {"q": "ls"})) == [a.pk]
    assert ids(client.get(URL, {"q": "wangwu"})) == [b.pk]
    assert ids(client.get(URL, {"owner": rep2.pk})) == [b.pk]
    assert ids(client.get(URL, {"sort": "name"})) == [a.pk, b.pk]
    assert ids(client.get(URL, {"sort": "-name"})) == [b.pk, a.pk]


def test_list_queries_do_not_grow_with_rows(as_user, rep):
    client = as_user(rep)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return ctx.captured_queries

    first = queries()  # on PostgreSQL, the page's statement is prepared here and executed by name after
    for c in CustomerFactory.create_batch(2, owner=rep):
        c.tags.create(name=f"tag{c.pk}")
    few = queries()
    for c in CustomerFactory.create_batch(8, owner=rep):
        c.tags.create(name=f"tag{c.pk}")
    many = queries()
    assert len(many) == len(few) == 2  # the token's user, and the count with the page's rows, owners and tags
    page_sql = next(q["sql"] for q in first + many if "LIMIT" in q["sql"] and "customers_customer" in q["sql"])
    assert "health_notes" not in page_sql and "purchase_story" not in page_sql


# --- create ---------------------------------------------------------------------


def test_create_normalises_and_records_history(as_user, rep):
    data = {"name": "张三丰", "kind": "individual", "mobile": "138 1234 5678", "tags": ["VIP", "太极"], "grade": "A", "registered_capital": "12.50"}
    response = as_user(rep).post(URL, data, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mobile"] == "+8613812345678" and body["owner"]["id"] == rep.pk
    assert sorted(body["tags"]) == ["VIP", "太极"] and body["grade"] == "A"
    created = Customer.objects.get(pk=body["id"])
    assert created.name_pinyin == "zhangsanfeng" and str(created.registered_capital) == "12.50"
    assert ChangeRecord.objects.filter(customer=created, action="created", actor=rep).exists()


def test_manager_creates_for_a_team_member(as_user, manager, rep2):
    response = as_user(manager).post(URL, {"name": "王五", "owner": rep2.pk}, content_type=JSON)
    assert response.status_code == 201
    assert response.json()["owner"] == {"id": rep2.pk, "name": "赵丽"}


@pytest.mark.parametrize("owner", ["rep2", "nobody"])
def test_owner_that_cannot_be_assigned_is_a_field_error(as_user, rep, rep2, owner):
    owner_id = rep2.pk if owner == "rep2" else 987654
    response = as_user(rep).post(URL, {"name": "王五", "owner": owner_id}, content_type=JSON)
    assert response.status_code == 422
    assert "owner" in response.json()["fields"]
    assert not Customer.objects.exists()


BAD_CUSTOMERS = [
    pytest.param({}, "name", id="missing-name"),
    pytest.param({"name": ""}, "name", id="empty-name"),
    pytest.param({"name": "   "}, "name", id="blank-name"),
    pytest.param({"name": "张" * 201}, "name", id="name-too-long"),
    pytest.param({"name": 42}, "name", id="name-wrong-type"),
    pytest.param({"name": "张三", "mobile": "12345"}, "mobile", id="invalid-phone"),
    pytest.param({"name": "张三", "phone": "abc"}, "phone", id="phone-letters"),
    pytest.param({"name": "张三", "email": "not-an-email"}, "email", id="invalid-email"),
    pytest.param({"name": "张三", "grade": "Z"}, "grade", id="bad-enum"),
    pytest.param({"name": "张三", "social_style": "grumpy"}, "social_style", id="bad-blankable-enum"),
    pytest.param({"name": "张三", "employee_count": -5}, "employee_count", id="negative-count"),
    pytest.param({"name": "张三", "employee_count": "many"}, "employee_count", id="count-wrong-type"),
    pytest.param({"name": "张三", "registered_capital": "1.234"}, "registered_capital", id="too-many-decimals"),
    pytest.param({"name": "张三", "birthday": "1990-13-01"}, "birthday", id="bad-date"),
    pytest.param({"name": "张三", "credit_code": "123"}, "credit_code", id="short-credit-code"),
    pytest.param({"name": "张三", "website": "not a url"}, "website", id="bad-url"),
    pytest.param({"name": "张三", "tags": ["x" * 41]}, "tags", id="tag-too-long"),
    pytest.param({"name": "张三", "tags": [f"t{i}" for i in range(21)]}, "tags", id="too-many-tags"),
    pytest.param({"name": "张三", "tags": "VIP"}, "tags", id="tags-not-a-list"),
    pytest.param({"name": "张\x00三"}, "name", id="null-character"),
    pytest.param({"name": "张三", "colour": "red"}, "colour", id="unknown-field"),
]


@pytest.mark.parametrize("data,field", BAD_CUSTOMERS)
def test_bad_input_on_create_is_422_and_saves_nothing(as_user, rep, data, field):
    response = as_user(rep).post(URL, data, content_type=JSON)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"]
    assert not Customer.objects.exists() and not ChangeRecord.objects.exists()


def test_body_that_is_not_json_is_400(as_user, rep):
    response = as_user(rep).post(URL, "{name:", content_type=JSON)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


# --- change, delete, restore ----------------------------------------------------


def test_update_changes_only_the_fields_sent(as_user, rep, customer):
    response = as_user(rep).patch(f"{URL}/{customer.pk}", {"grade": "A", "phone": "010-88886666", "tags": ["重点"]}, content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["grade"], body["phone"], body["tags"], body["name"]) == ("A", "+861088886666", ["重点"], "张三")
    assert body["health_notes"] == "高血压"
    record = ChangeRecord.objects.get(customer=customer, action="updated")
    assert {c["field"] for c in record.changes} == {"grade", "phone", "tags"}


def test_manager_hands_a_customer_to_another_rep(as_user, manager, rep2, customer):
    response = as_user(manager).patch(f"{URL}/{customer.pk}", {"owner": rep2.pk}, content_type=JSON)
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.owner == rep2


BAD_PATCHES = [
    pytest.param({"name": ""}, "name", id="empty-name"),
    pytest.param({"name": None}, "name", id="null-name"),
    pytest.param({"name": "张" * 201}, "name", id="name-too-long"),
    pytest.param({"name": ["张三"]}, "name", id="name-wrong-type"),
    pytest.param({"mobile": "12345"}, "mobile", id="invalid-phone"),
    pytest.param({"email": "a@"}, "email", id="invalid-email"),
    pytest.param({"importance": "huge"}, "importance", id="bad-enum"),
    pytest.param({"kind": None}, "kind", id="null-enum"),
    pytest.param({"owner": 987654}, "owner", id="unknown-owner"),
    pytest.param({"id": 5}, "id", id="unknown-field"),
]


@pytest.mark.parametrize("data,field", BAD_PATCHES)
def test_bad_input_on_update_is_422_and_changes_nothing(as_user, rep, customer, data, field):
    before = row(customer)
    response = as_user(rep).patch(f"{URL}/{customer.pk}", data, content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert row(customer) == before and not ChangeRecord.objects.exists()


def test_rep_cannot_hand_a_customer_away(as_user, rep, rep2, customer):
    response = as_user(rep).patch(f"{URL}/{customer.pk}", {"owner": rep2.pk}, content_type=JSON)
    assert response.status_code == 422 and "owner" in response.json()["fields"]
    customer.refresh_from_db()
    assert customer.owner == rep


@pytest.mark.parametrize("who,status", [("rep2", 404), ("outsider", 404), ("agent", 403), ("analyst", 403)])
def test_who_may_not_change_or_delete(as_user, customer, agent, who, status, request):
    serve(customer, agent)
    client = as_user(request.getfixturevalue(who))
    before = row(customer)
    patch = client.patch(f"{URL}/{customer.pk}", {"grade": "A"}, content_type=JSON)
    delete = client.delete(f"{URL}/{customer.pk}")
    assert (patch.status_code, delete.status_code) == (status, status)
    assert patch.json()["code"] == ("not_found" if status == 404 else "permission_denied")
    assert row(customer) == before


def test_analyst_cannot_create(as_user, analyst):
    response = as_user(analyst).post(URL, {"name": "张三"}, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Customer.objects.exists()


def test_delete_is_soft_and_an_admin_restores(as_user, rep, admin, customer):
    client = as_user(rep)
    response = client.delete(f"{URL}/{customer.pk}")
    assert response.status_code == 204 and response.content == b""
    customer.refresh_from_db()
    assert customer.deleted_at is not None and customer.deleted_by == rep
    assert client.get(f"{URL}/{customer.pk}").status_code == 404
    assert ids(client.get(URL)) == []
    assert client.post(f"{URL}/{customer.pk}/restore").status_code == 404

    admin_client = as_user(admin)
    assert ids(admin_client.get(URL, {"deleted": "true"})) == [customer.pk]
    restored = admin_client.post(f"{URL}/{customer.pk}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert client.get(f"{URL}/{customer.pk}").status_code == 200


def test_restore_of_a_live_customer(as_user, rep, admin, customer):
    assert as_user(rep).post(f"{URL}/{customer.pk}/restore").status_code == 403
    response = as_user(admin).post(f"{URL}/{customer.pk}/restore")
    assert response.status_code == 422 and response.json()["code"] == "not_deleted"


# --- timeline -------------------------------------------------------------------


def test_timeline_merges_interactions_and_changes_and_masks_sensitive_values(as_user, rep, agent, customer):
    InteractionFactory(customer=customer, text="电话回访")
    as_user(rep).patch(f"{URL}/{customer.pk}", {"health_notes": "糖尿病"}, content_type=JSON)
    serve(customer, agent)
    own = as_user(rep).get(f"{URL}/{customer.pk}/timeline").json()
    assert [e["kind"] for e in own] == ["change", "interaction"]
    assert own[0]["change"]["changes"][0]["new"] == "糖尿病" and own[0]["change"]["actor"]["id"] == rep.pk
    assert own[1]["interaction"]["text"] == "电话回访"
    masked = as_user(agent).get(f"{URL}/{customer.pk}/timeline").json()
    assert masked[0]["change"]["changes"][0]["new"] == "•••"
    assert len(as_user(rep).get(f"{URL}/{customer.pk}/timeline", {"limit": 1}).json()) == 1


def test_a_capped_total_still_pages_to_the_end(as_user, rep, monkeypatch):
    import manyi.api.customers as module

    monkeypatch.setattr(module, "COUNT_CAP", 4)
    CustomerFactory.create_batch(7, owner=rep)
    client = as_user(rep)
    first = client.get(URL, {"page_size": 3}).json()
    assert (first["total"], first["total_capped"], first["pages"], first["has_next"]) == (4, True, None, True)
    last = client.get(URL, {"page_size": 3, "page": 3}).json()
    assert len(last["items"]) == 1 and last["has_next"] is False
    seen = {i for p in (1, 2, 3) for i in ids(client.get(URL, {"page_size": 3, "page": p}))}
    assert len(seen) == 7
    exact = client.get(URL, {"page_size": 10}).json()
    assert exact["has_next"] is False


def test_the_birthday_calendar_and_festival_wish_travel_through_the_api(as_user, rep, customer):
    client = as_user(rep)
    response = client.patch(f"/api/v1/customers/{customer.pk}", {"birthday_calendar": "lunar", "western_festivals": True}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["birthday_calendar"], response.json()["western_festivals"]) == ("lunar", True)
    bad = client.patch(f"/api/v1/customers/{customer.pk}", {"birthday_calendar": "moon"}, content_type="application/json")
    assert bad.status_code == 422 and "birthday_calendar" in bad.content.decode()
