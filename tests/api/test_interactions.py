import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from manyi.customers.models import CustomerAccess
from manyi.interactions.models import Interaction
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/interactions"
JSON = "application/json"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_rep_lists_and_reads_interactions(as_user, rep, customer, contact, interaction):
    client = as_user(rep)
    assert ids(client.get(URL)) == [interaction.pk]
    body = client.get(f"{URL}/{interaction.pk}").json()
    assert body["customer"] == {"id": customer.pk, "name": "张三"}
    assert body["contact"] == {"id": contact.pk, "name": "李经理"}
    assert body["created_by"]["id"] == rep.pk and body["text"] == "客户对报价不满意"


@pytest.mark.parametrize("who", ["rep2", "outsider"])
def test_others_see_none_of_reps_interactions(as_user, customer, interaction, who, request):
    client = as_user(request.getfixturevalue(who))
    assert ids(client.get(URL)) == []
    assert client.get(URL, {"customer_id": customer.pk}).status_code == 404
    response = client.get(f"{URL}/{interaction.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_manager_sees_the_teams_interactions(as_user, manager, rep2, outsider, interaction):
    mate = InteractionFactory(customer=CustomerFactory(owner=rep2))
    InteractionFactory(customer=CustomerFactory(owner=outsider))
    assert sorted(ids(as_user(manager).get(URL))) == sorted([interaction.pk, mate.pk])


def test_filters_and_pages(as_user, rep, customer, enterprise):
    now = timezone.now()
    old = InteractionFactory(customer=customer, kind="visit", direction="outbound", occurred_at=now - dt.timedelta(days=30))
    mid = InteractionFactory(customer=customer, kind="call", direction="inbound", occurred_at=now - dt.timedelta(days=3))
    new = InteractionFactory(customer=enterprise, kind="email", direction="inbound", occurred_at=now - dt.timedelta(hours=1))
    client = as_user(rep)
    assert ids(client.get(URL)) == [new.pk, mid.pk, old.pk]
    assert ids(client.get(URL, {"customer_id": customer.pk})) == [mid.pk, old.pk]
    assert ids(client.get(URL, {"kind": "visit"})) == [old.pk]
    assert ids(client.get(URL, {"direction": "inbound"})) == [new.pk, mid.pk]
    since = (now - dt.timedelta(days=7)).isoformat()
    until = (now - dt.timedelta(days=1)).isoformat()
    assert ids(client.get(URL, {"since": since, "until": until})) == [mid.pk]
    page = client.get(URL, {"page_size": 2, "page": 2}).json()
    assert (page["total"], page["pages"], [i["id"] for i in page["items"]]) == (3, 2, [old.pk])


def test_list_queries_do_not_grow_with_rows(as_user, rep, customer, contact):
    client = as_user(rep)
    client.get(URL)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    InteractionFactory.create_batch(2, customer=customer, contact=contact)
    few = count()
    InteractionFactory.create_batch(8, customer=customer)
    assert count() == few


@pytest.mark.parametrize(
    "params,field",
    [
        ({"kind": "fax"}, "kind"),
        ({"since": "last week"}, "since"),
        ({"since": "1700000000"}, "since"),
        ({"until": "9999-12-31T23:59:59-05:00"}, "until"),
        ({"customer_id": 0}, "customer_id"),
    ],
)
def test_bad_list_parameters_are_422(as_user, rep, params, field):
    response = as_user(rep).get(URL, params)
    assert response.status_code == 422 and field in response.json()["fields"]


def test_rep_logs_an_interaction(as_user, rep, customer, contact):
    data = {"customer_id": customer.pk, "contact_id": contact.pk, "kind": "call", "direction": "inbound", "subject": "投诉", "text": "客户很生气"}
    response = as_user(rep).post(URL, data, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contact"]["id"] == contact.pk and body["created_by"]["id"] == rep.pk and body["channel"] == "phone"
    assert Interaction.objects.get(pk=body["id"]).customer == customer


def test_agent_who_serves_the_customer_logs_an_interaction(as_user, agent, customer):
    CustomerAccess.objects.create(customer=customer, user=agent, kind="service")
    response = as_user(agent).post(URL, {"customer_id": customer.pk, "kind": "chat", "channel": "wechat", "text": "已安抚"}, content_type=JSON)
    assert response.status_code == 201


def bad_interactions():
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    return [
        pytest.param({"kind": "call", "text": "x"}, "customer_id", id="missing-customer"),
        pytest.param({"text": "x"}, "kind", id="missing-kind"),
        pytest.param({"kind": "telepathy", "text": "x"}, "kind", id="bad-enum"),
        pytest.param({"kind": "call", "channel": "pigeon", "text": "x"}, "channel", id="bad-channel"),
        pytest.param({"kind": "call", "subject": "s" * 201}, "subject", id="subject-too-long"),
        pytest.param({"kind": "call", "text": ["x"]}, "text", id="text-wrong-type"),
        pytest.param({"kind": "call", "occurred_at": "tomorrow", "text": "x"}, "occurred_at", id="bad-datetime"),
        pytest.param({"kind": "call", "occurred_at": future, "text": "x"}, "occurred_at", id="future-call"),
        pytest.param({"kind": "call"}, "text", id="nothing-said"),
        pytest.param({"kind": "call", "contact_id": 987654, "text": "x"}, "contact_id", id="unknown-contact"),
        pytest.param({"kind": "call", "mood": "bad", "text": "x"}, "mood", id="unknown-field"),
    ]


@pytest.mark.parametrize("data,field", bad_interactions())
def test_bad_input_is_422_and_logs_nothing(as_user, rep, customer, data, field):
    data = {"customer_id": customer.pk, **data} if field != "customer_id" else data
    response = as_user(rep).post(URL, data, content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert not Interaction.objects.exists()


def test_contact_of_another_customer_is_refused(as_user, rep, customer, enterprise):
    other = ContactFactory(customer=enterprise)
    response = as_user(rep).post(URL, {"customer_id": customer.pk, "contact_id": other.pk, "kind": "call", "text": "x"}, content_type=JSON)
    assert response.status_code == 422 and "contact_id" in response.json()["fields"]
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("who", ["rep2", "outsider"])
def test_logging_on_a_customer_one_cannot_see_is_refused_without_a_hint(as_user, customer, who, request):
    client = as_user(request.getfixturevalue(who))
    response = client.post(URL, {"customer_id": customer.pk, "kind": "note", "text": "x"}, content_type=JSON)
    assert response.status_code == 422 and list(response.json()["fields"]) == ["customer_id"]
    assert response.json() == client.post(URL, {"customer_id": 987654, "kind": "note", "text": "x"}, content_type=JSON).json()
    assert not Interaction.objects.exists()


def test_analyst_cannot_log(as_user, analyst, customer):
    response = as_user(analyst).post(URL, {"customer_id": customer.pk, "kind": "note", "text": "x"}, content_type=JSON)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Interaction.objects.exists()
