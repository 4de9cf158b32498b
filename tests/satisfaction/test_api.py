"""The surveys API: links, staff-entered responses, the list, one response
and the results; field errors as 422; nobody reads another team's answers."""

import pytest
from django.test import Client

from manyi.accounts.services import api_token_issue
from manyi.care.models import FollowUp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/v1/satisfaction"


@pytest.fixture
def as_user(db):
    def make(user) -> Client:
        token, _record = api_token_issue(username=user.username, password=PASSWORD)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return make


def _post(client, path, body):
    return client.post(f"{URL}{path}", body, content_type="application/json")


def test_make_a_link_and_answer_through_it(as_user, rep, customer):
    client = as_user(rep)
    response = _post(client, "/invitations", {"customer": customer.pk, "kind": "csat", "trigger": "complaint_closed", "source": "complaint:3", "language": "en"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].endswith(f"/s/{body['token']}/") and body["language"] == "en"
    answered = Client().post(f"/s/{body['token']}/", {"score": "2"})
    assert answered.status_code == 302
    again = _post(client, "/invitations", {"customer": customer.pk, "kind": "csat", "trigger": "complaint_closed", "source": "complaint:3"})
    assert again.status_code == 400 and again.json()["code"] == "survey_already_invited"
    listed = client.get(f"{URL}/responses").json()
    assert listed["total"] == 1 and listed["items"][0]["verdict"] == "dissatisfied" and listed["items"][0]["entered_by"] is None


def test_enter_an_spe_response_and_read_it(as_user, rep, person):
    client = as_user(rep)
    body = {"customer": person.pk, "kind": "spe", "comment": "送货太慢了",
            "answers": [{"driver": "product_quality", "expectation": 5, "perception": 2}, {"driver": "staff_attitude", "expectation": 3, "perception": 3}]}  # fmt: skip
    response = _post(client, "/responses", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["verdict"] == "dissatisfied" and data["mean_gap"] == -1.5 and data["score"] is None
    assert [(a["driver"], a["gap"]) for a in data["answers"]] == [("product_quality", -3), ("staff_attitude", 0)]
    assert data["emotion"]["cause"] == "delivery/late" and data["follow_up_id"] == FollowUp.objects.get().pk
    assert data["owner"]["id"] == rep.pk and data["entered_by"]["id"] == rep.pk
    assert client.get(f"{URL}/responses/{data['id']}").json()["id"] == data["id"]


def test_field_errors_are_422(as_user, rep, customer, person):
    client = as_user(rep)
    response = _post(client, "/responses", {"customer": customer.pk, "kind": "csat", "score": 7})
    assert response.status_code == 422 and "score" in response.json()["fields"]
    response = _post(client, "/responses", {"customer": person.pk, "kind": "spe", "answers": [{"driver": "design", "expectation": 3, "perception": 3}]})
    assert response.status_code == 422 and "answers" in response.json()["fields"]
    twice = [{"driver": "ease_of_use", "expectation": 3, "perception": 3}] * 2
    response = _post(client, "/responses", {"customer": person.pk, "kind": "spe", "answers": twice})
    assert response.status_code == 422 and "answers" in response.json()["fields"]
    response = _post(client, "/responses", {"customer": person.pk, "kind": "spe", "answers": [{"driver": "professional", "expectation": 3, "perception": 3}]})
    assert response.status_code == 422 and "expectation_professional" in response.json()["fields"]
    response = _post(client, "/invitations", {"customer": 999999, "kind": "csat"})
    assert response.status_code == 422 and "customer" in response.json()["fields"]


def test_results(as_user, rep, customer):
    client = as_user(rep)
    for score in (10, 9, 6, 8):
        _post(client, "/responses", {"customer": customer.pk, "kind": "nps", "score": score})
    _post(client, "/responses", {"customer": customer.pk, "kind": "csat", "score": 4})
    data = client.get(f"{URL}/results").json()
    assert data["total"] == 5 and data["overall"]["nps"] == 25.0 and data["overall"]["csat"] == 100.0
    assert data["reps"][0]["key"] == str(rep.pk) and data["reps"][0]["count"] == 5 and len(data["months"]) == 1
    assert client.get(f"{URL}/results?kind=csat").json()["total"] == 1


def test_the_outsider_reads_and_writes_nothing(as_user, rep, outsider, customer):
    made = _post(as_user(rep), "/responses", {"customer": customer.pk, "kind": "csat", "score": 1}).json()
    client = as_user(outsider)
    assert client.get(f"{URL}/responses").json()["total"] == 0
    assert client.get(f"{URL}/responses/{made['id']}").status_code == 404
    assert client.get(f"{URL}/results").json()["total"] == 0
    assert _post(client, "/responses", {"customer": customer.pk, "kind": "csat", "score": 5}).status_code == 422
    assert _post(client, "/invitations", {"customer": customer.pk, "kind": "csat"}).status_code == 422
