"""Sales work in a real browser: a deal dragged across the wall changes the
weighted forecast; a quote with a discount above the team's threshold waits
for the manager, who approves it; the PDF has the lines, the total and the
Chinese text, in an embedded CJK font."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from manyi.analytics.services import product_create
from manyi.sales.models import Deal, Quote, SalesSettings
from manyi.sales.services.deals import deal_create
from tests.factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.browser


def _login(page, username):
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".navbar")).to_be_visible()


def _weighted(page) -> int:
    return int(re.sub(r"[^0-9]", "", page.locator(".forecast-total").inner_text()))


def test_drag_across_the_wall_then_quote_approve_and_pdf(page, transactional_db):
    team = TeamFactory(name="华东一组")
    rep = UserFactory(username="rep", display_name="王小明", role="sales", team=team)
    UserFactory(username="boss", display_name="陈经理", role="manager", team=team)
    admin = UserFactory(username="admin", display_name="管理员", role="admin", team=None)
    SalesSettings.objects.create(team=team, discount_approval_percent=10, company_name="满意智能科技有限公司", company_details="上海市徐汇区漕溪北路88号")
    customer = CustomerFactory(name="上海银杏新能源有限公司", kind="enterprise", owner=rep)
    gateway = product_create(by=admin, sku="IG-G200", name="G200工业网关", unit_price="12800", category="工业设备")
    close = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    deal = deal_create(by=rep, customer=customer, data={"title": "网关批量部署", "amount": "100000", "stage": "negotiating", "expected_close": close})

    _login(page, "rep")
    page.goto("/sales/pipeline/")
    card = page.locator(f".deal-card[data-deal='{deal.pk}']")
    expect(page.locator(".pipeline-column[data-stage=negotiating]").locator(card)).to_have_count(1)
    assert _weighted(page) == 50_000
    card.drag_to(page.locator(".pipeline-column[data-stage=first_purchase]"))
    moved = page.locator(".pipeline-column[data-stage=first_purchase]").locator(f".deal-card[data-deal='{deal.pk}']")
    expect(moved).to_have_count(1)
    expect(page.locator(".forecast-total")).to_have_text(re.compile(r"80,000"))
    assert Deal.objects.get(pk=deal.pk).stage.key == "first_purchase" and _weighted(page) == 80_000
    # The wall sits between the two columns the card crossed.
    assert page.evaluate("""() => {
        const cols = [...document.querySelectorAll('.pipeline-board > *')];
        const wall = cols.findIndex(e => e.classList.contains('pipeline-wall'));
        return cols[wall - 1].dataset.stage === 'negotiating' && cols[wall + 1].dataset.stage === 'first_purchase';
    }""")

    page.goto(f"/sales/quotes/new/?deal={deal.pk}")
    page.locator("#line-1-part").fill("设备")
    page.locator("#line-1-description").fill("G200工业网关")
    page.locator("#line-1-product").select_option(str(gateway.pk))
    page.locator("#line-1-quantity").fill("8")
    page.locator("#line-1-price").fill("12800")
    page.locator("input[name=discount_percent]").fill("15")
    page.locator("button[name=save]:not(.visually-hidden)").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()  # a discount without a condition is refused
    page.locator("[name=discount_condition]").fill("客户签三年维保合同")
    page.locator("button[name=save]:not(.visually-hidden)").click()
    quote = Quote.objects.get(deal=deal)
    expect(page).to_have_url(re.compile(rf"/sales/quotes/{quote.pk}/$"))
    page.locator(f"form[action='/sales/quotes/{quote.pk}/submit/'] button").click()
    quote.refresh_from_db()
    assert quote.status == "pending"
    expect(page.locator(f"form[action='/sales/quotes/{quote.pk}/send/']")).to_have_count(0)

    page.context.clear_cookies()
    _login(page, "boss")
    page.goto(f"/sales/quotes/{quote.pk}/")
    page.locator(f"form[action='/sales/quotes/{quote.pk}/approve/'] button").click()
    quote.refresh_from_db()
    version = quote.versions.get()
    assert quote.status == "approved" and version.approved_by.username == "boss"

    response = page.request.get(f"/sales/quotes/{quote.pk}/quote.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.body()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "G200工业网关" in text and "满意智能科技有限公司" in text and "客户签三年维保合同" in text
    assert "87,040.00" in text  # 8 × ¥12,800 less 15%
    fonts = {f.get_object()["/BaseFont"] for p in pdf.pages for f in p["/Resources"]["/Font"].values()}
    assert fonts and all("NotoSansCJK" in name.replace("-", "") for name in fonts)
