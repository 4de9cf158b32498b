"""Visit planning over the JSON API: the week, making it, checking in, the
workload table and planned against done; the outsider gets 404 or nothing."""

import datetime as dt

import pytest

from manyi.sales.models import PlannedVisit, SalesSettings
from manyi.sales.services import visits as services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sales/visits"
JSON = "application/json"
PAST_WEEK = dt.date(2026, 6, 22)  # 2026-W26


@pytest.fixture
def as_user(as_user):
    def make(user):
        client = as_user(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def book(rep, team):
    SalesSettings.objects.create(team=team, base_latitude=30.27, base_longitude=120.15)
    customers = [CustomerFactory(owner=rep, grade=g, latitude=30.25 + 0.01 * k, longitude=120.13 + 0.01 * k) for k, g in enumerate("AABC")]
    return [*customers, CustomerFactory(owner=rep, grade="A", name="无坐标")]


@pytest.fixture
def planned(rep, book):
    return services.visit_plan_make(by=rep, rep=rep, monday=PAST_WEEK, today=PAST_WEEK)


def test_get_the_week(as_user, rep, planned):
    response = as_user(rep).get(f"{URL}/plan?week=2026-W26")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["week"] == "2026-W26" and body["monday"] == "2026-06-22" and body["rep"]["id"] == rep.pk
    assert [d["day"] for d in body["days"]] == [f"2026-06-{22 + k}" for k in range(5)]
    stops = [s for d in body["days"] for s in d["stops"]]
    assert len(stops) == body["visits"] == planned.visits > 0
    assert {"id", "stop", "customer", "grade", "arrive_at", "travel_km", "travel_minutes", "checked_in_at"} <= set(stops[0])
    assert [c["customer"]["name"] for c in body["no_coordinates"]] == ["无坐标"]


def test_holidays_in_the_week(as_user, rep, book):
    body = as_user(rep).get(f"{URL}/plan?week=2026-W40").json()
    assert [d["holiday"] for d in body["days"]] == [False, False, False, True, True]


def test_a_bad_week_is_a_field_error(as_user, rep):
    response = as_user(rep).get(f"{URL}/plan?week=2026-W60")
    assert response.status_code == 422 and "week" in response.json()["fields"]
    response = as_user(rep).post(f"{URL}/plan", {"week": "next week"}, content_type=JSON)
    assert response.status_code == 422 and "week" in response.json()["fields"]


def test_make_the_plan(as_user, rep, manager, book):
    response = as_user(manager).post(f"{URL}/plan", {"week": "2030-W10", "rep": rep.username}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["visits"] == PlannedVisit.objects.filter(rep=rep).count() > 0


def test_outsider_and_colleague_get_404_for_the_reps_plan(as_user, rep, rep2, outsider, planned):
    for other in (outsider, rep2):
        client = as_user(other)
        assert client.get(f"{URL}/plan?week=2026-W26&rep={rep.pk}").status_code == 404
        assert client.post(f"{URL}/plan", {"week": "2026-W26", "rep": str(rep.pk)}, content_type=JSON).status_code == 404
        visit = PlannedVisit.objects.filter(rep=rep).first()
        assert client.post(f"{URL}/{visit.pk}/check-in", {}, content_type=JSON).status_code == 404
        assert client.get(f"{URL}/workload?rep={rep.pk}").status_code == 404
        assert client.get(f"{URL}/report?start=2026-06-01&end=2026-06-30").json()["rows"] == []
    own = as_user(outsider).get(f"{URL}/plan?week=2026-W26").json()
    assert own["visits"] == 0 and own["rep"]["id"] == outsider.pk


def test_the_analyst_reads_but_does_not_plan(as_user, rep, analyst, planned):
    client = as_user(analyst)
    assert client.get(f"{URL}/plan?week=2026-W26&rep={rep.pk}").status_code == 200
    assert client.post(f"{URL}/plan", {"week": "2026-W26", "rep": str(rep.pk)}, content_type=JSON).status_code == 403


def test_check_in_once(as_user, rep, planned):
    visit = PlannedVisit.objects.filter(rep=rep).first()
    client = as_user(rep)
    response = client.post(f"{URL}/{visit.pk}/check-in", {"note": "客户要样品", "outcome": "寄样"}, content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    visit.refresh_from_db()
    assert body["interaction_id"] == visit.interaction_id and body["visit_id"] == visit.pk
    again = client.post(f"{URL}/{visit.pk}/check-in", {}, content_type=JSON)
    assert again.status_code == 409 and again.json()["code"] == "already_checked_in"


def test_check_in_refuses_unknown_fields(as_user, rep, planned):
    visit = PlannedVisit.objects.filter(rep=rep).first()
    response = as_user(rep).post(f"{URL}/{visit.pk}/check-in", {"mood": "好"}, content_type=JSON)
    assert response.status_code == 422


def test_workload(as_user, rep, manager, book):
    body = as_user(rep).get(f"{URL}/workload?month=2026-10").json()
    assert [r["grade"] for r in body["rows"]] == ["A", "B", "C", "D"]
    assert body["customers"] == 5 and body["visits_needed"] == 3 * 4 + 2 + 1
    assert body["working_days"] < 22 and body["visits_per_day"] > 0
    team = as_user(manager).get(f"{URL}/workload?month=2026-10").json()
    assert team["customers"] == 5 and team["reps"] >= 1
    assert as_user(rep).get(f"{URL}/workload?month=2026-13").status_code == 422


def test_report(as_user, rep, manager, planned):
    visit = PlannedVisit.objects.filter(rep=rep).first()
    services.visit_check_in(by=rep, visit=visit)
    body = as_user(manager).get(f"{URL}/report?start=2026-06-22&end=2026-06-26").json()
    assert body["done"] == 1 and body["planned"] == planned.visits
    assert [r["rep"]["id"] for r in body["rows"]] == [rep.pk]
    assert as_user(rep).get(f"{URL}/report?start=2026-06-26&end=2026-06-22").status_code == 422
