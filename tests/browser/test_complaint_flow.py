"""One complaint from the customer's phone to closure, in a real browser: the
public form, a forbidden phrase caught in the reply, the customer's angry
follow-up raising the risk, the recheck and the feedback item, and the four
no-misses dashboard counting it."""

import re

import pytest
from playwright.sync_api import expect

from manyi.service.intake import complaint_link_create
from manyi.service.models import Complaint, EventKind
from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.browser


def _login(page, username):
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".navbar")).to_be_visible()


def _risk(page) -> float:
    text = page.locator("[data-risk-score]").inner_text()
    return float(re.sub(r"[^0-9.]", "", text))


def _record_step(page, step: str, **fields):
    form = page.locator("#step form.step-form")
    expect(form.locator("select[name=step]")).to_have_value(step)
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if name == "recheck_result":
            form.locator(f"input[name={name}][value={value}]").check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator(f".complaint-stepper [data-step={step}]")).to_have_attribute("data-state", "done")


def test_public_form_to_closure(browser, live_server, transactional_db):
    team = TeamFactory(name="华东一组")
    rep = UserFactory(username="rep", display_name="王小明", role="sales", team=team)
    customer = CustomerFactory(name="张三", owner=rep, temperament="combative")
    link = complaint_link_create(customer=customer, by=rep)

    # The customer, on a phone, with no login
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.goto(f"/c/{link.token}/")
    mobile.fill("[name=name]", "张三")
    mobile.fill("[name=phone]", "138 0013 8000")
    mobile.fill("[name=subject]", "净水器滤芯")
    mobile.fill("[name=description]", "净水器的滤芯好像有点问题，出水有点慢，麻烦看一下。")
    mobile.fill("[name=wants]", "上门检查一下")
    mobile.locator("[data-submit]").click()
    number = mobile.locator("[data-complaint-number]")
    expect(number).to_have_text(re.compile(r"TS\d{8}-\d{5}"))
    complaint = Complaint.objects.get()
    assert number.inner_text() == complaint.number and complaint.channel == "web"
    phone.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    _login(page, "rep")
    page.goto("/complaints/")
    page.get_by_role("link", name=re.compile("净水器滤芯")).first.click()
    expect(page.locator("h1")).to_contain_text(complaint.number)
    calm_risk = _risk(page)

    # A forbidden phrase in the reply is caught, shown with a better wording, and not sent
    reply = page.locator("#reply form")
    reply.locator("textarea[name=text]").fill("这是我们公司的规定，滤芯要自己更换。")
    reply.locator("button[type=submit]").click()
    expect(page.locator("#reply mark").first).to_contain_text("公司的规定")
    assert not complaint.events.filter(kind=EventKind.REPLY).exists()
    page.locator("#reply form textarea[name=text]").fill("非常抱歉给您添麻烦了，我们明天上午十点安排师傅上门检查滤芯。")
    page.locator("#reply form button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text("明天上午十点安排师傅上门")

    # The customer calls back, angry: logged as their words, the risk goes up
    page.locator("#message summary").click()
    page.locator("#message textarea[name=text]").fill("都两天了还没人来！你们这是什么态度？！再不处理我就去12315投诉，还要发到网上曝光你们！")
    page.locator("#message button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text("12315")
    assert _risk(page) > calm_risk
    expect(page.locator("[data-guidance]")).to_be_visible()

    # The nine steps, the recheck and the feedback item
    _record_step(page, "confirmed")
    _record_step(page, "calmed", notes="让客户说完，表示理解")
    _record_step(page, "analysed", cause="product/manufacturing", responsibility="ours", severity="high", department="production")
    _record_step(page, "proposed", solution="免费更换滤芯并延长保修一年")
    _record_step(page, "agreed")
    _record_step(page, "carried_out", notes="师傅已上门更换")
    _record_step(page, "rechecked", recheck_result="satisfied")
    page.locator("#feedback-new summary").click()
    page.locator("#feedback-new select[name=department]").select_option("production")
    page.locator("#feedback-new textarea[name=summary]").fill("这批滤芯的出水流量偏低，来料检验要加测流量。")
    page.locator("#feedback-new button[type=submit]").click()
    expect(page.locator("#feedback")).to_contain_text("来料检验要加测流量")
    _record_step(page, "closed", notes="已回访，客户满意")
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.recheck_result == "satisfied"
    assert complaint.events.filter(kind=EventKind.REPLY).count() == 1

    # The four no-misses count it as recorded, handled, rechecked and fed back
    page.goto("/complaints/dashboard/")
    for kind in ("recorded", "handled", "rechecked", "fed_back"):
        card = page.locator(f".no-miss[data-kind={kind}]")
        expect(card.locator(".done")).to_have_text("1")
        expect(card.locator(".should")).to_have_text("1")
    context.close()
