"""The campaigns API: who may read and run what, and every read path closed to the outsider."""

import pytest
from django.test import Client

from manyi.accounts.services import api_token_issue
from manyi.campaigns import services
from manyi.campaigns.models import Campaign, CampaignStatus, Recipient, RecipientStatus
from tests.campaigns.conftest import make_customers
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
API = "/api/v1/campaigns"


@pytest.fixture
def as_user(db):
    def make(user) -> Client:
        token, _record = api_token_issue(username=user.username, password=PASSWORD)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return make


@pytest.fixture
def launched(rep, smtp):
    make_customers(rep, 4, prefix="Api", unsubscribed=1)
    template = services.template_create(by=rep, data={"name": "News", "channel": "email", "subject": "Hi {{name}}", "body": "Hello {{honorific}}"})
    campaign = services.campaign_create(by=rep, data={"name": "Winter", "kind": "winback", "channel": "email", "template": template})
    campaign = services.campaign_launch(campaign=campaign, by=rep)
    services.campaign_send_run(campaign_id=campaign.pk)
    return campaign


def test_a_rep_writes_a_template_creates_and_launches_a_campaign(rep, as_user, smtp, django_capture_on_commit_callbacks):
    make_customers(rep, 3, prefix="Flow")
    api = as_user(rep)
    bad = api.post(f"{API}/templates", {"name": "x", "channel": "email", "subject": "s", "body": "{{nam}}"}, content_type="application/json")
    assert bad.status_code == 422 and "{{nam}}" in bad.json()["fields"]["body"][0]
    template = api.post(f"{API}/templates", {"name": "News", "channel": "email", "subject": "Hi", "body": "Dear {{honorific}}"}, content_type="application/json")
    assert template.status_code == 201
    body = {"name": "Spring", "channel": "email", "template": template.json()["id"], "audience": {"grades": ["C"]}, "throttle_limit": 100}
    created = api.post(API, body, content_type="application/json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["status"] == "draft" and data["audience"] == {"grades": ["C"]} and data["control_share"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        launched = api.post(f"{API}/{data['id']}/launch")
    assert launched.status_code == 200
    assert launched.json()["status"] == "sending" and launched.json()["counts"]["pending"] == 3
    assert Campaign.objects.get(pk=data["id"]).public_url == "http://testserver/"
    again = api.post(f"{API}/{data['id']}/launch")
    assert again.status_code == 400 and again.json()["code"] == "campaign_launched"
    assert api.post(f"{API}/{data['id']}/pause").json()["status"] == "paused"
    assert api.post(f"{API}/{data['id']}/resume").json()["status"] == "sending"
    assert api.post(f"{API}/{data['id']}/cancel").json()["counts"]["skipped"] == 3


def test_lists_recipients_and_the_result(rep, manager, analyst, as_user, launched):
    for user in (rep, manager, analyst):
        api = as_user(user)
        assert [c["id"] for c in api.get(API).json()["items"]] == [launched.pk]
        detail = api.get(f"{API}/{launched.pk}").json()
        assert detail["counts"]["total"] == 4 and detail["counts"]["skipped"] >= 1
    api = as_user(rep)
    skipped = api.get(f"{API}/{launched.pk}/recipients", {"status": "skipped"}).json()
    assert "unsubscribed" in [r["skip_reason"] for r in skipped["items"]]
    result = api.get(f"{API}/{launched.pk}/result").json()
    assert result["days"] == 90 and result["treatment"]["converted"] == 0
    assert result["treatment"]["size"] + result["control"]["size"] == 3


def test_an_analyst_reads_but_may_not_run_campaigns(analyst, as_user, launched):
    api = as_user(analyst)
    assert api.post(f"{API}/{launched.pk}/pause").status_code == 403
    template = {"name": "x", "channel": "sms", "body": "hi"}
    assert api.post(f"{API}/templates", template, content_type="application/json").status_code == 403


def test_a_service_agent_sees_no_campaigns(agent, as_user, launched):
    api = as_user(agent)
    assert api.get(API).json()["items"] == []
    assert api.get(f"{API}/{launched.pk}").status_code == 404
    assert api.get(f"{API}/templates").json() == []


def test_the_outsider_sees_nothing(outsider, as_user, launched):
    api = as_user(outsider)
    recipient = Recipient.objects.filter(campaign=launched).first()
    customer_id = recipient.customer_id
    assert api.get(API).json()["items"] == []
    assert api.get(f"{API}/templates").json() == []
    for path in (f"{API}/{launched.pk}", f"{API}/{launched.pk}/recipients", f"{API}/{launched.pk}/result", f"{API}/consent/{customer_id}"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    for action in ("launch", "pause", "resume", "cancel"):
        assert api.post(f"{API}/{launched.pk}/{action}").status_code == 404
    assert api.post(f"{API}/recipients/{recipient.pk}/resend").status_code == 404
    consent = {"channel": "email", "granted": True}
    assert api.post(f"{API}/consent/{customer_id}", consent, content_type="application/json").status_code == 404
    created = api.post(API, {"name": "x", "channel": "email", "template": launched.template_id}, content_type="application/json")
    assert created.status_code == 422 and "template" in created.json()["fields"]


def test_consent_per_customer(rep, agent, as_user, customer):
    api = as_user(rep)
    assert api.get(f"{API}/consent/{customer.pk}").json() == {"customer_id": customer.pk, "email": False, "sms": False, "events": []}
    answer = api.post(f"{API}/consent/{customer.pk}", {"channel": "sms", "granted": True, "note": "门店登记"}, content_type="application/json")
    assert answer.status_code == 200
    data = answer.json()
    assert data["sms"] is True and data["email"] is False
    assert data["events"][0]["source"] == "staff" and data["events"][0]["by_id"] == rep.pk


def test_resend_an_uncertain_message(rep, as_user, launched):
    recipient = Recipient.objects.filter(campaign=launched, status=RecipientStatus.SENT).first()
    Recipient.objects.filter(pk=recipient.pk).update(status=RecipientStatus.UNCERTAIN)
    answer = as_user(rep).post(f"{API}/recipients/{recipient.pk}/resend")
    assert answer.status_code == 200 and answer.json()["status"] == "pending"
    launched.refresh_from_db()
    assert launched.status == CampaignStatus.SENDING
