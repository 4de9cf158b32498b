"""A sales rep's first minutes in Manyi, in a real browser."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-360.png"


def test_create_find_log_and_switch_language(page):
    UserFactory(username="rep", display_name="王小明", role="sales", team=TeamFactory(name="华东一组"))

    page.goto("/login/")
    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".alert-danger")).to_be_visible()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".navbar")).to_contain_text("王小明")

    page.goto("/customers/new/")
    expect(page.locator("input[name=name]")).to_be_focused()
    page.select_option("select[name=kind]", "individual")
    expect(page.locator("fieldset[data-kind=enterprise]")).to_be_hidden()
    expect(page.locator("fieldset[data-kind=individual]")).to_be_visible()
    page.fill("input[name=name]", "欧阳娜娜")
    page.fill("input[name=mobile]", "138 1234 5678")
    page.fill("input[name=tags]", "VIP，演员")
    page.select_option("select[name=grade]", "A")
    page.select_option("select[name=social_style]", "expressive")
    page.fill("input[name=city]", "上海")
    page.fill("input[name=email]", "nana@example.com")
    page.fill("textarea[name=preferences]", "喜欢手冲咖啡和现代舞")
    page.press("input[name=tags]", "Enter")
    expect(page.locator("h1")).to_have_text("欧阳娜娜")
    detail_url = page.url

    page.goto("/customers/")
    search = page.locator("#q")
    for query in ("ouyang", "oynn"):
        search.fill(query)
        expect(page).to_have_url(re.compile(rf"q={query}"))
        expect(page.locator("#customer-results tbody tr")).to_have_count(1)
        expect(page.locator("#customer-results")).to_contain_text("欧阳娜娜")
    page.click("#customer-results th a:has-text('名称')")
    expect(page).to_have_url(re.compile(r"sort=name"))
    search.fill("nobody-by-that-name")
    expect(page).to_have_url(re.compile(r"q=nobody-by-that-name.*sort=name"))
    expect(page.locator("#customer-results .empty-state")).to_be_visible()

    page.goto(detail_url)
    page.evaluate("window.__notReloaded = true")
    page.click(".log-interaction > summary")
    page.select_option("#interaction-form select[name=kind]", "call")
    page.fill("#interaction-form textarea[name=text]", "电话沟通了演出季的合作意向")
    page.click("#interaction-form button[type=submit]")
    expect(page.locator("#timeline .timeline-item").first).to_contain_text("电话沟通了演出季的合作意向")
    expect(page.locator("#interaction-form textarea[name=text]")).to_have_value("")
    assert page.evaluate("window.__notReloaded") is True

    page.fill("#interaction-form textarea[name=text]", "")
    page.click("#interaction-form button[type=submit]")
    expect(page.locator("#interaction-form .invalid-feedback")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True

    if os.environ.get("MANYI_SCREENSHOT"):
        page.goto(detail_url)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click(".lang-switch button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h2:has-text('Timeline')")).to_be_visible()
    expect(page.locator(".navbar")).to_contain_text("Customers")


def test_a_manager_filters_by_owner_from_options_loaded_on_first_use(page):
    team = TeamFactory(name="华东一组")
    UserFactory(username="boss", display_name="陈经理", role="manager", team=team)
    rep = UserFactory(username="rep", display_name="王小明", role="sales", team=team)
    rep2 = UserFactory(username="rep2", display_name="李四", role="sales", team=team)
    CustomerFactory(name="王家客户", owner=rep)
    CustomerFactory(name="李家客户", owner=rep2)

    page.goto("/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/customers/")
    owner = page.locator("#f-owner")
    expect(owner.locator("option")).to_have_count(1)  # "everyone" until the select is used
    owner.focus()
    expect(owner.locator("option")).to_have_count(4)  # everyone, the manager and two reps
    expect(page).to_have_url(re.compile(r"/customers/$"))  # loading the options is not a navigation
    owner.select_option(label="李四")
    expect(page).to_have_url(re.compile(rf"owner={rep2.pk}"))
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    expect(page.locator("#customer-results")).to_contain_text("李家客户")

    page.reload()
    expect(owner).to_have_value(str(rep2.pk))  # the choice shows before the options load
