"""A survey from the customer's phone to the owner's agenda, in a real
browser: the customer opens their personal link on a phone-sized page,
answers the expectation-vs-perception survey in Chinese (delivery was slow:
they got less than they expected), sees the thanks, and the dissatisfied
answer becomes a follow-up task on the owner's "today" agenda."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from manyi.care.models import FollowUp, FollowUpKind
from manyi.satisfaction.models import SurveyResponse
from manyi.satisfaction.services import survey_invite
from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.browser

COMMENT = "送货太慢了，等了整整两个星期，打电话也没人回。"


def test_a_dissatisfied_answer_from_a_phone_reaches_the_owners_agenda(browser, live_server, transactional_db):
    team = TeamFactory(name="华东一组")
    rep = UserFactory(username="rep", display_name="王小明", role="sales", team=team)
    customer = CustomerFactory(name="李四", kind="individual", owner=rep)
    _invitation, token = survey_invite(customer=customer, kind="spe", language="zh-hans", trigger="purchase", source="order:1")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    mobile.goto(f"/s/{token}/")
    expect(mobile.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(mobile.locator(".navbar")).to_have_count(0)
    # The page fits the phone: nothing to scroll sideways, buttons big enough to tap.
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    box = mobile.locator("label[for=expectation_product_quality-5]").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 24
    for field, value in (("expectation_product_quality", 5), ("perception_product_quality", 2), ("expectation_staff_attitude", 4), ("perception_staff_attitude", 3)):
        mobile.locator(f"label[for={field}-{value}]").tap()
        expect(mobile.locator(f"#{field}-{value}")).to_be_checked()
    mobile.fill("textarea[name=comment]", COMMENT)
    mobile.locator("[data-submit]").tap()
    expect(mobile.locator("[data-survey-state=thanks]")).to_be_visible()
    phone.close()

    response = SurveyResponse.objects.get()
    assert (response.verdict, response.mean_gap, response.comment) == ("dissatisfied", -2.0, COMMENT)
    assert response.emotion_polarity == "negative" and response.emotion_cause == "delivery/late"
    task = FollowUp.objects.get()
    assert response.follow_up == task and (task.assignee, task.kind, task.due_on, task.done_at) == (rep, FollowUpKind.SURVEY, timezone.localdate(), None)
    assert COMMENT in task.detail

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url)
    page = desk.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".navbar")).to_be_visible()
    page.goto(reverse("web:today"))
    expect(page.locator("main")).to_contain_text(task.title)
    page.goto(reverse("web:survey_detail", args=[response.pk]))
    expect(page.locator("[data-follow-up]")).to_contain_text(task.title)
    expect(page.locator("tr[data-driver=product_quality]")).to_contain_text("-3")
    desk.close()
