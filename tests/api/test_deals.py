"""The deals API: the pipeline's stages, opening, editing and moving deals,
winning, losing and reopening, the events, the forecast and win rates; field
errors as 422 bodies; nobody but the owner's side sees or moves a deal."""

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

URL = "/api/v1/sales"


@pytest.fixture
def deal(as_user, rep, enterprise):
    close = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = as_user(rep).post(f"{URL}/deals", {"customer": enterprise.pk, "title": "净水设备年度采购", "amount": "200000", "stage": "negotiating",
                                                   "expected_close": close, "heat": "hot"}, content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def test_the_stages_show_the_wall(as_user, rep):
    stages = as_user(rep).get(f"{URL}/stages").json()
    assert [s["key"] for s in stages if s["inside_wall"]] == ["first_purchase", "existing", "key"]
    assert stages[0]["name"] == "潜在客户"


def test_open_a_deal_and_read_it_back(deal, rep, enterprise):
    assert deal["stage"]["key"] == "negotiating" and deal["probability"] == 50 and deal["weighted"] == "100000.00"
    assert deal["customer"] == {"id": enterprise.pk, "name": enterprise.name} and deal["owner"]["id"] == rep.pk


def test_field_errors_are_422_with_the_field(as_user, rep, enterprise):
    client = as_user(rep)
    response = client.post(f"{URL}/deals", {"customer": enterprise.pk, "title": "x", "stage": "nowhere"}, content_type="application/json")
    assert response.status_code == 422 and "stage" in response.json()["fields"]
    response = client.post(f"{URL}/deals", {"customer": enterprise.pk, "title": "x", "probability": 101}, content_type="application/json")
    assert response.status_code == 422 and "probability" in response.json()["fields"]
    response = client.post(f"{URL}/deals", {"customer": 999999, "title": "x"}, content_type="application/json")
    assert response.status_code == 422 and "customer" in response.json()["fields"]


def test_move_changes_the_probability_and_the_forecast(as_user, rep, deal):
    client = as_user(rep)
    before = sum(float(b["weighted"]) for b in client.get(f"{URL}/forecast").json())
    moved = client.post(f"{URL}/deals/{deal['id']}/move", {"stage": "first_purchase"}, content_type="application/json").json()
    after = sum(float(b["weighted"]) for b in client.get(f"{URL}/forecast").json())
    assert moved["probability"] == 80 and (before, after) == (100000.0, 160000.0)
    events = client.get(f"{URL}/deals/{deal['id']}/events").json()
    assert events[0]["kind"] == "moved" and events[0]["changes"]["wall"] == "in" and events[0]["to_stage"] == "first_purchase"


def test_patch_lose_reopen_win(as_user, rep, deal):
    client = as_user(rep)
    patched = client.patch(f"{URL}/deals/{deal['id']}", {"amount": "150000.50", "next_step": "送样"}, content_type="application/json").json()
    assert patched["amount"] == "150000.50" and patched["next_step"] == "送样"
    assert client.post(f"{URL}/deals/{deal['id']}/lose", {"reason": "why"}, content_type="application/json").status_code == 422
    lost = client.post(f"{URL}/deals/{deal['id']}/lose", {"reason": "price"}, content_type="application/json").json()
    assert lost["status"] == "lost" and lost["lost_reason"] == "price"
    closed = client.post(f"{URL}/deals/{deal['id']}/move", {"stage": "key"}, content_type="application/json")
    assert closed.status_code == 409 and closed.json()["code"] == "deal_closed"
    client.post(f"{URL}/deals/{deal['id']}/reopen", {"note": "回头"}, content_type="application/json")
    won = client.post(f"{URL}/deals/{deal['id']}/win", {}, content_type="application/json").json()
    assert won["status"] == "won"
    rates = client.get(f"{URL}/win-rates").json()
    assert rates == [{"group": "王小明", "won": 1, "lost": 0, "rate": 1.0, "won_amount": "150000.50", "lost_amount": "0", "lost_reasons": {}}]


@pytest.mark.parametrize("who", ["rep2", "agent", "outsider"])
def test_others_see_and_move_nothing(request, as_user, deal, who):
    client = as_user(request.getfixturevalue(who))
    assert client.get(f"{URL}/deals/{deal['id']}").status_code == 404
    assert client.get(f"{URL}/deals/{deal['id']}/events").status_code == 404
    assert client.post(f"{URL}/deals/{deal['id']}/move", {"stage": "key"}, content_type="application/json").status_code == 404
    assert client.patch(f"{URL}/deals/{deal['id']}", {"title": "抢"}, content_type="application/json").status_code == 404
    assert client.get(f"{URL}/deals").json()["total"] == 0
    assert sum(b["deals"] for b in client.get(f"{URL}/forecast").json()) == 0


def test_the_manager_and_analyst_see_the_team_deal(as_user, manager, analyst, deal):
    assert as_user(manager).get(f"{URL}/deals").json()["total"] == 1
    client = as_user(analyst)
    assert client.get(f"{URL}/deals/{deal['id']}").status_code == 200
    assert client.post(f"{URL}/deals/{deal['id']}/move", {"stage": "key"}, content_type="application/json").status_code == 403


def test_list_filters(as_user, rep, deal, enterprise):
    client = as_user(rep)
    assert client.get(f"{URL}/deals", {"flag": "no_next_step"}).json()["total"] == 1
    assert client.get(f"{URL}/deals", {"heat": "cold"}).json()["total"] == 0
    assert client.get(f"{URL}/deals", {"status": "all", "customer": enterprise.pk}).json()["total"] == 1
    assert client.get(f"{URL}/deals", {"sort": "sideways"}).status_code == 422
