"""The customer's survey page: no login, phone-first, in the link's language,
one answer per link, and plain pages for an expired, answered or unknown link."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from manyi.care.models import FollowUp
from manyi.satisfaction import services
from manyi.satisfaction.models import SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db


def _url(token, name="web:survey_public"):
    return reverse(name, args=[token])


def test_a_chinese_link_asks_in_chinese_with_big_radio_rows(client, invite, person):
    invitation, token = invite(person, "spe", language="zh-hans")
    response = client.get(_url(token))
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans" and "noindex" in response["X-Robots-Tag"]
    assert '<html lang="zh-hans">' in page and 'name="viewport"' in page and "csrfmiddlewaretoken" in page
    assert page.count('data-driver="') == 8 and 'name="expectation_product_quality" id="expectation_product_quality-5"' in page
    assert "navbar" not in page and "/logout/" not in page  # no staff navigation
    invitation.refresh_from_db()
    assert invitation.opened_at is not None


def test_an_english_link_answers_and_thanks(client, invite, customer):
    _invitation, token = invite(customer, "nps", language="en")
    page = client.get(_url(token)).content.decode()
    assert '<html lang="en">' in page and "How likely are you to recommend us" in page and page.count('name="score"') == 11
    response = client.post(_url(token) + "?lang=en", {"score": "10", "comment": "Great service"})
    assert response.status_code == 302 and response["Location"] == _url(token, "web:survey_public_thanks") + "?lang=en"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Thank you for your answer!" in thanks.content.decode()
    assert SurveyResponse.objects.get().verdict == "satisfied"


def test_field_errors_come_back_on_the_page(client, invite, person):
    _invitation, token = invite(person, "spe", language="en")
    response = client.post(_url(token), {"expectation_product_quality": "4", "comment": "太慢"})
    page = response.content.decode()
    assert response.status_code == 200 and "Rate what you got as well." in page and 'aria-invalid="true"' in page
    assert 'id="expectation_product_quality-4" value="4" autocomplete="off" checked' in page and "太慢" in page
    assert not SurveyResponse.objects.exists()


def test_a_dissatisfied_answer_opens_the_owners_task(client, invite, person, rep):
    _invitation, token = invite(person, "csat")
    client.post(_url(token), {"score": "1", "comment": "送货太慢了"})
    task = FollowUp.objects.get()
    assert task.assignee == rep and task.customer == person


def test_an_answered_link_says_so_and_takes_no_second_answer(client, invite, customer):
    _invitation, token = invite(customer, "csat", language="en")
    client.post(_url(token), {"score": "2"})
    again = client.get(_url(token))
    assert again.status_code == 200 and "answered already" in again.content.decode()
    second = client.post(_url(token), {"score": "5"})
    assert second.status_code == 200 and "answered already" in second.content.decode()
    assert SurveyResponse.objects.count() == 1 and SurveyResponse.objects.get().score == 2


def test_an_expired_link_is_closed(client, invite, customer):
    invitation, token = invite(customer, "csat", language="en")
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    for response in (client.get(_url(token)), client.post(_url(token), {"score": "5"})):
        assert response.status_code == 410 and "This survey has closed" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_unknown_link_is_a_plain_404(client, invite, customer):
    _invitation, token = invite(customer, "csat")
    for url in (_url("nope"), _url(token[:-1]), _url("nope", "web:survey_public_thanks")):
        response = client.get(url + "?lang=en")
        assert response.status_code == 404 and "Survey not found" in response.content.decode()
    assert client.post(_url("nope"), {"score": "5"}).status_code == 404


def test_the_thanks_page_of_an_unanswered_link_goes_back_to_the_survey(client, invite, customer):
    _invitation, token = invite(customer, "csat")
    response = client.get(_url(token, "web:survey_public_thanks"))
    assert response.status_code == 302 and response["Location"].startswith(_url(token))


def test_the_page_needs_its_csrf_token(invite, customer):
    from django.test import Client

    _invitation, token = invite(customer, "csat")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_url(token), {"score": "5"}).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_a_flood_of_posts_is_slowed_down(client, invite, customer, monkeypatch):
    monkeypatch.setattr(services, "RATE_LIMIT", 2)
    _invitation, token = invite(customer, "csat", language="en")
    for _ in range(2):
        assert client.post(_url(token), {"score": "9"}).status_code == 200  # out of range: sent back
    response = client.post(_url(token), {"score": "5"})
    assert response.status_code == 429 and "Too many answers" in response.content.decode()
    assert not SurveyResponse.objects.exists()
