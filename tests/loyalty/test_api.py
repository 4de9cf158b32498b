"""The loyalty API: members seen as their customers are, and every write's errors."""

import pytest

from manyi.accounts.services import api_token_issue
from manyi.loyalty import services
from manyi.loyalty.models import LedgerEntry, Member
from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/loyalty"


@pytest.fixture
def as_user(client):
    def make(user):
        token, _record = api_token_issue(username=user.username, password=PASSWORD)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def test_members_list_and_card_for_who_sees_the_customer_only(as_user, member, rep, outsider, tiers):
    services.points_earn(member=member, points=1200, reason="welcome")
    body = as_user(rep).get(f"{API}/members").json()
    assert body["total"] == 1 and body["items"][0]["number"] == member.number and body["items"][0]["balance"] == 1200
    card = as_user(rep).get(f"{API}/members/{member.pk}").json()
    assert card["tier"]["name"] == "Silver" and card["next_tier"]["name"] == "Gold"
    assert card["ledger"]["items"][0]["points"] == 1200 and card["earned_last_year"] == 1200
    assert as_user(outsider).get(f"{API}/members").json()["total"] == 0
    assert as_user(outsider).get(f"{API}/members/{member.pk}").status_code == 404


def test_enrol_redeem_and_reverse(as_user, customer, rep, reward):
    client = as_user(rep)
    created = client.post(f"{API}/members", {"customer": customer.pk}, content_type="application/json")
    assert created.status_code == 201
    member = Member.objects.get(pk=created.json()["id"])
    again = client.post(f"{API}/members", {"customer": customer.pk}, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "already_member"
    short = client.post(f"{API}/members/{member.pk}/redeem", {"reward": reward.pk}, content_type="application/json")
    assert short.status_code == 400 and short.json()["code"] == "insufficient_points"
    services.points_earn(member=member, points=100, reason="welcome")
    done = client.post(f"{API}/members/{member.pk}/redeem", {"reward": reward.pk}, content_type="application/json")
    assert done.status_code == 201 and done.json()["entry"]["points"] == -100
    entry_id = done.json()["entry"]["id"]
    back = client.post(f"{API}/entries/{entry_id}/reverse", {"reason": "wrong"}, content_type="application/json")
    assert back.status_code == 201 and back.json()["points"] == 100
    twice = client.post(f"{API}/entries/{entry_id}/reverse", {"reason": "wrong"}, content_type="application/json")
    assert twice.json()["code"] == "already_reversed"
    assert Member.objects.get(pk=member.pk).balance == 100
    assert [r["name"] for r in client.get(f"{API}/rewards").json()] == ["保温杯"]


def test_adjust_is_for_managers_and_outsiders_learn_nothing(as_user, member, rep, manager, outsider):
    path = f"{API}/members/{member.pk}/adjust"
    assert as_user(rep).post(path, {"points": 10, "reason": "x"}, content_type="application/json").status_code == 403
    assert as_user(outsider).post(path, {"points": 10, "reason": "x"}, content_type="application/json").status_code == 404
    made = as_user(manager).post(path, {"points": 10, "reason": "goodwill"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["kind"] == "adjust"
    entry = LedgerEntry.objects.get()
    assert as_user(outsider).post(f"{API}/entries/{entry.pk}/reverse", {"reason": "x"}, content_type="application/json").status_code == 404
    hidden = CustomerFactory(owner=outsider)
    refused = as_user(rep).post(f"{API}/members", {"customer": hidden.pk}, content_type="application/json")
    assert refused.status_code == 422 and "customer" in refused.json()["fields"]
