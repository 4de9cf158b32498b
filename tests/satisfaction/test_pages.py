"""Staff pages: sending a link (shown once), entering an answer, the list
with its filters, one response, and the results with their figures. Nobody
sees the responses of customers they do not see."""

import pytest
from django.urls import reverse

from manyi.satisfaction import services
from manyi.satisfaction.models import SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, settings):
    settings.LANGUAGE_CODE = "en"

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def answers(rep, customer, person):
    """Two CSAT (5, 2), three NPS (10, 9, 3) and one SPE answer of rep's customers."""
    enter = services.survey_enter
    made = [enter(by=rep, customer=customer, kind="csat", data={"score": s}) for s in (5, 2)]
    made += [enter(by=rep, customer=customer, kind="nps", data={"score": s}) for s in (10, 9, 3)]
    made.append(enter(by=rep, customer=person, kind="spe", data={
        "expectation_product_quality": 5, "perception_product_quality": 2, "expectation_staff_attitude": 3, "perception_staff_attitude": 4,
        "comment": "送货太慢了，等了两个星期",
    }))  # fmt: skip
    return made


def test_invite_shows_the_link_once(as_user, rep, customer):
    client = as_user(rep)
    assert "Send a survey" in client.get(reverse("web:survey_invite")).content.decode()  # a customer search first
    page = client.get(reverse("web:survey_invite") + f"?customer={customer.pk}").content.decode()
    assert 'name="kind"' in page and 'name="expires_in_days"' in page
    response = client.post(reverse("web:survey_invite"), {"customer": customer.pk, "kind": "nps", "language": "en", "expires_in_days": "7"})
    page = response.content.decode()
    invitation = SurveyInvitation.objects.get()
    assert response.status_code == 200 and "shown only this once" in page and invitation.kind == "nps"
    link = page.split('value="http://testserver/s/')[1].split('"')[0]
    assert client.get(f"/s/{link}").status_code == 200
    assert "http://testserver/s/" not in client.get(reverse("web:survey_invite") + f"?customer={customer.pk}").content.decode()
    bad = client.post(reverse("web:survey_invite"), {"customer": customer.pk, "kind": "nps", "language": "en", "expires_in_days": "365"})
    assert bad.status_code == 200 and SurveyInvitation.objects.count() == 1


def test_staff_enter_an_answer_and_see_it(as_user, rep, person):
    client = as_user(rep)
    url = reverse("web:survey_enter") + f"?customer={person.pk}&kind=spe"
    assert client.get(url).content.decode().count('data-driver="') == 8
    response = client.post(url, {"customer": person.pk, "kind": "spe", "expectation_ease_of_use": "4", "perception_ease_of_use": "1", "comment": "太难用了"})
    saved = SurveyResponse.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:survey_detail", args=[saved.pk])
    page = client.get(response["Location"]).content.decode()
    assert "mean gap -3.00" in page and 'data-driver="ease_of_use"' in page and "data-follow-up" in page
    errors = client.post(url, {"customer": person.pk, "kind": "spe"}).content.decode()
    assert "Rate at least one item" in errors


def test_the_list_filters_and_sorts(as_user, rep, answers):
    client = as_user(rep)
    page = client.get(reverse("web:survey_list")).content.decode()
    assert "6 responses" in page
    assert "2 responses" in client.get(reverse("web:survey_list") + "?kind=csat").content.decode()
    assert "3 responses" in client.get(reverse("web:survey_list") + "?verdict=dissatisfied").content.decode()
    assert "6 responses" in client.get(reverse("web:survey_list") + f"?owner={rep.pk}&sort=-score").content.decode()
    assert "0 responses" in client.get(reverse("web:survey_list") + "?start=2000-01-01&end=2000-12-31").content.decode()


def test_results_figures(as_user, rep, answers):
    page = as_user(rep).get(reverse("web:survey_results")).content.decode()
    assert 'data-figure="count">6<' in page
    assert 'data-figure="csat">50.0%<' in page  # one of two at 4–5
    assert 'data-figure="nps">33<' in page  # 2 promoters, 1 detractor of 3
    assert 'data-figure="gap">-1.00<' in page  # (−3 + 1) / 2
    assert 'class="mb-0 largest-gaps"><li data-driver="product_quality">' in page
    assert "months-chart" in page and "drivers-chart" in page and "mark-" in page and "cause: late delivery" in page and "data-escalation" in page


def test_a_manager_sees_the_team_and_the_outsider_nothing(as_user, manager, outsider, analyst, answers):
    response = answers[0]
    assert "6 responses" in as_user(manager).get(reverse("web:survey_list")).content.decode()
    assert as_user(manager).get(reverse("web:survey_detail", args=[response.pk])).status_code == 200
    assert as_user(analyst).get(reverse("web:survey_detail", args=[response.pk])).status_code == 200
    client = as_user(outsider)
    assert "0 responses" in client.get(reverse("web:survey_list")).content.decode()
    assert client.get(reverse("web:survey_detail", args=[response.pk])).status_code == 404
    assert 'data-figure="count">0<' in client.get(reverse("web:survey_results")).content.decode()
    assert client.get(reverse("web:survey_invite") + f"?customer={response.customer_id}").status_code == 404
    assert client.get(reverse("web:survey_enter") + f"?customer={response.customer_id}").status_code == 404


def test_read_only_staff_send_nothing(as_user, analyst, customer):
    client = as_user(analyst)
    assert client.get(reverse("web:survey_invite") + f"?customer={customer.pk}").status_code == 403
    assert client.post(reverse("web:survey_enter"), {"customer": customer.pk, "kind": "csat", "score": "5"}).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_pages_need_a_login(client, answers):
    for name in ("web:survey_list", "web:survey_results", "web:survey_invite", "web:survey_enter"):
        assert client.get(reverse(name)).status_code == 302
    assert client.get(reverse("web:survey_detail", args=[answers[0].pk])).status_code == 302
