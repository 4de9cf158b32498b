"""The care pages (today, follow-ups) and the /api/v1/care routes, with who may see what."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from manyi.accounts.services import api_token_issue
from manyi.care import services
from manyi.care.models import FollowUp
from manyi.interactions.models import Interaction
from tests.factories import PASSWORD, CustomerFactory


@pytest.fixture
def browser():
    def make(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api(db):
    def make(user) -> Client:
        token, _record = api_token_issue(username=user.username, password=PASSWORD)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")

    return make


@pytest.fixture
def task(customer):
    return services.followup_open(customer=customer, title="回电报价", due_on=timezone.localdate())


def test_today_page_shows_the_task_with_a_draft_and_the_empty_sections(browser, rep, task):
    page = browser(rep).get(reverse("web:today")).content.decode()
    assert "回电报价" in page and "张三, hello! I am following up on “回电报价”." in page
    assert "No birthdays in the coming week." in page and "No visits planned today." in page
    assert 'data-care-copy="#draft-task-%d"' % task.pk in page
    home = browser(rep).get(reverse("web:home")).content.decode()
    assert "1 task due or overdue" in home


def test_today_for_someone_with_nothing(browser, outsider, task):
    page = browser(outsider).get(reverse("web:today")).content.decode()
    assert "Nothing on your agenda today." in page and "回电报价" not in page


def test_log_as_interaction_completes_the_task(browser, rep, task):
    response = browser(rep).post(reverse("web:care_log"), {"occasion": "task", "follow_up": task.pk, "text": "已回电，客户同意", "channel": "phone"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Logged on 张三." in response.content.decode()
    task.refresh_from_db()
    assert task.is_done and task.outcome == "已回电，客户同意"
    logged = Interaction.objects.get(customer=task.customer)
    assert (logged.kind, logged.channel, logged.subject) == ("call", "phone", "回电报价")


def test_log_refuses_empty_text_and_unknown_occasions(browser, rep, task, customer):
    response = browser(rep).post(reverse("web:care_log"), {"occasion": "task", "follow_up": task.pk, "text": " "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Write what was said or done." in response.content.decode()
    assert browser(rep).post(reverse("web:care_log"), {"occasion": "party", "customer": customer.pk, "text": "hi"}).status_code == 400
    bad_day = browser(rep).post(reverse("web:care_log"), {"occasion": "festival", "customer": customer.pk, "code": "mid_autumn", "day": "2026-09-24", "text": "hi"})
    assert bad_day.status_code == 400
    assert not Interaction.objects.exists()


def test_others_cannot_log_on_or_complete_my_task(browser, rep2, outsider, task, customer):
    for user in (rep2, outsider):
        assert browser(user).post(reverse("web:followup_done", args=[task.pk])).status_code == 404
        assert browser(user).post(reverse("web:care_log"), {"occasion": "task", "follow_up": task.pk, "text": "x"}).status_code == 404
    assert browser(outsider).post(reverse("web:care_log"), {"occasion": "periodic", "customer": customer.pk, "text": "x"}).status_code == 404
    task.refresh_from_db()
    assert not task.is_done


def test_followup_done_htmx_and_twice(browser, rep, manager, task):
    response = browser(manager).post(reverse("web:followup_done", args=[task.pk]), {"outcome": "done by the manager"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "“回电报价” done." in response.content.decode()
    again = browser(rep).post(reverse("web:followup_done", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "This task is done already." in again.content.decode()


def test_followup_list_page(browser, rep, rep2, manager, task):
    assert "回电报价" in browser(rep).get(reverse("web:followup_list")).content.decode()
    assert "回电报价" not in browser(rep2).get(reverse("web:followup_list")).content.decode()
    team_page = browser(manager).get(reverse("web:followup_list"), {"status": "open", "sort": "-due"}).content.decode()
    assert "回电报价" in team_page and "Follow-up tasks of the team" in team_page
    assert "No task matches these filters." in browser(rep).get(reverse("web:followup_list"), {"status": "done"}).content.decode()


def test_new_task_form(browser, rep, customer):
    other = CustomerFactory(name="别人的客户")
    form = browser(rep).get(reverse("web:followup_new")).content.decode()
    assert "张三" in form and "别人的客户" not in form
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = browser(rep).post(reverse("web:followup_new"), {"customer": customer.pk, "title": "送礼品", "due_on": due})
    assert response.status_code == 302
    assert FollowUp.objects.get(title="送礼品").assignee == rep
    past = browser(rep).post(reverse("web:followup_new"), {"customer": customer.pk, "title": "x", "due_on": "2020-01-01"})
    assert past.status_code == 422 and "The due date cannot lie in the past." in past.content.decode()
    foreign = browser(rep).post(reverse("web:followup_new"), {"customer": other.pk, "title": "x", "due_on": due})
    assert foreign.status_code == 422 and not FollowUp.objects.filter(customer=other).exists()
    assert browser(rep).get(reverse("web:followup_new"), {"customer": other.pk}).status_code == 404


def test_api_today(api, rep, outsider, task):
    body = api(rep).get("/api/v1/care/today").json()
    assert [t["follow_up"]["title"] for t in body["tasks"]] == ["回电报价"]
    assert body["tasks"][0]["greeting"].startswith("张三")
    assert body["team"] is None
    assert api(outsider).get("/api/v1/care/today").json()["tasks"] == []


def test_api_follow_ups(api, rep, rep2, manager, customer, task):
    page = api(rep).get("/api/v1/care/follow-ups").json()
    assert [t["id"] for t in page["items"]] == [task.pk] and page["total"] == 1
    assert api(rep2).get("/api/v1/care/follow-ups").json()["items"] == []
    assert api(manager).get("/api/v1/care/follow-ups", {"assignee": rep.pk}).json()["total"] == 1
    assert api(rep).get("/api/v1/care/follow-ups", {"status": "later"}).status_code == 422
    due = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    created = api(rep).post("/api/v1/care/follow-ups", {"customer": customer.pk, "title": "送样品", "due_on": due}, content_type="application/json")
    assert created.status_code == 201 and created.json()["assignee"]["id"] == rep.pk
    bad = api(rep).post("/api/v1/care/follow-ups", {"customer": customer.pk, "title": "x", "due_on": "2020-01-01"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["fields"] == {"due_on": ["The due date cannot lie in the past."]}
    hidden = api(rep2).post("/api/v1/care/follow-ups", {"customer": customer.pk, "title": "x", "due_on": due}, content_type="application/json")
    assert hidden.status_code == 422 and "customer" in hidden.json()["fields"]
    not_mine = api(rep).post("/api/v1/care/follow-ups", {"customer": customer.pk, "title": "x", "due_on": due, "assignee": rep2.pk}, content_type="application/json")
    assert not_mine.status_code == 422 and "assignee" in not_mine.json()["fields"]
    assigned = api(manager).post("/api/v1/care/follow-ups", {"customer": customer.pk, "title": "经理派的", "due_on": due, "assignee": rep2.pk}, content_type="application/json")
    assert assigned.status_code == 201 and assigned.json()["assignee"]["id"] == rep2.pk


def test_api_done(api, rep, rep2, outsider, task):
    url = f"/api/v1/care/follow-ups/{task.pk}/done"
    for user in (rep2, outsider):
        assert api(user).post(url, {}, content_type="application/json").status_code == 404
    done = api(rep).post(url, {"outcome": "客户满意"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["outcome"] == "客户满意" and done.json()["done_at"]
    again = api(rep).post(url, {}, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "follow_up_done"
    assert api(rep).post("/api/v1/care/follow-ups/999999/done", {}, content_type="application/json").status_code == 404
