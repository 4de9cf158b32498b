"""The quote pages: writing a quote line by line with its workload and the
rest of its breakdown (with and without the script), errors at their field
and line, the page with its banner and the buttons the user may use, the
approval, the customer's answer, revising, the printable page and the PDF.
Nobody sees a quote they may not see: the outsider and the other rep get 404."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from manyi.analytics.models import Order
from manyi.sales.models import DealStatus, Quote, QuoteStatus, QuoteVersion
from manyi.sales.services import quotes as services
from manyi.sales.services.deals import deal_create

pytestmark = pytest.mark.django_db


def content(**overrides):
    data = {
        "lines": [
            {"part": "设备", "description": "家用净水器", "quantity": "2", "unit": "台", "unit_price": "2999"},
            {"part": "安装", "description": "上门安装调试", "quantity": "1", "unit": "次", "unit_price": "500"},
        ],
        "workload": [{"role": "安装工程师", "people": 2, "days": "1.5"}],
        "market_reference": "7000",
        "market_reference_note": "京东同型号均价",
        "difficulty": "high",
        "difficulty_note": "老房水管需改造",
        "quality_note": "原厂设备，三年保修",
    }
    data.update(overrides)
    return data


@pytest.fixture
def quote(rep, customer):
    return services.quote_create(by=rep, customer=customer, data=content())


def form_data(lines, work=(), **fields):
    """The POST of the quote form: lines (part, description, product, quantity, unit, price), work rows (role, people, days)."""
    data = {"language": "zh-hans", "difficulty": "medium", "discount_percent": "0", **fields}
    for i, name in enumerate(("line_part", "line_description", "line_product", "line_quantity", "line_unit", "line_price")):
        data[name] = [str(line[i]) for line in lines]
    for i, name in enumerate(("work_role", "work_people", "work_days")):
        data[name] = [str(row[i]) for row in work]
    return data


LINES = [("设备", "家用净水器", "", "2", "台", "2999"), ("安装", "上门安装调试", "", "1", "次", "500"), ("", "", "", "1", "", "")]


def test_a_rep_writes_a_quote_with_its_breakdown(as_user, rep, customer):
    client = as_user(rep)
    url = reverse("web:quote_new") + f"?customer={customer.pk}"
    page = client.get(url).content.decode()
    assert "New quote for 张三" in page and 'name="add_line"' in page and "data-line-template" in page and 'name="add_work"' in page
    data = form_data(
        LINES, [("安装工程师", "2", "1.5"), ("", "", "")], market_reference="7000", market_reference_note="京东同型号均价",
        difficulty="high", difficulty_note="老房水管需改造", quality_note="原厂设备，三年保修", discount_percent="5", discount_condition="预付全款",
    )  # fmt: skip
    response = client.post(url, data)
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:quote_detail", args=[quote.pk])
    version = quote.versions.get()
    assert (version.subtotal, version.total, version.discount_condition) == (Decimal("6498.00"), Decimal("6173.10"), "预付全款")
    assert version.workload == [{"role": "安装工程师", "people": 2, "days": 1.5}] and version.lines.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert f"Quote {quote.number} saved as a draft." in page
    assert "¥6,173.10" in page and "¥6,498.00" in page and "Discount 5%" in page and "预付全款" in page
    assert "Subtotal 设备" in page and "¥5,998.00" in page and "(92%)" in page
    assert "¥7,000.00" in page and "−¥826.90 (−12%)" in page and "京东同型号均价" in page
    assert "安装工程师" in page and "老房水管需改造" in page and "原厂设备，三年保修" in page
    assert "Mark as sent to the customer" in page and "The customer accepts" in page and "Revise (new version)" in page
    assert "Approve the discount" not in page and "Awaiting a manager" not in page


def test_errors_show_at_their_field_and_line_and_nothing_typed_is_lost(as_user, rep, customer):
    client = as_user(rep)
    url = reverse("web:quote_new") + f"?customer={customer.pk}"
    lines = [("设备", "家用净水器", "", "2", "台", "2999"), ("安装", "上门安装", "", "零", "次", "500")]
    response = client.post(url, form_data(lines, [("工程师", "0", "2")], discount_percent="8", notes="请尽快回复"))
    assert response.status_code == 200 and not Quote.objects.exists()
    page = response.content.decode()
    assert 'id="line-2-quantity-error"' in page and "Line 2: the quantity must be a number above 0." in page
    assert 'id="line-1-quantity-error"' not in page and 'aria-describedby="line-2-quantity-error"' in page
    assert 'id="work-1-people-error"' in page and "Workload row 1: the number of people must be a whole number above 0." in page
    assert "A discount is given only against something" in page
    assert 'value="零"' in page and 'value="上门安装"' in page and "请尽快回复" in page and 'value="工程师"' in page


def test_a_quote_needs_a_line(as_user, rep, customer):
    page = as_user(rep).post(reverse("web:quote_new") + f"?customer={customer.pk}", form_data([("", "", "", "1", "", "")])).content.decode()
    assert "A quote needs at least one line." in page and not Quote.objects.exists()


def test_without_a_script_rows_are_added_and_removed_by_the_server(as_user, rep, customer):
    client = as_user(rep)
    url = reverse("web:quote_new") + f"?customer={customer.pk}"
    page = client.post(url, {**form_data(LINES[:1]), "add_line": "1"}).content.decode()
    assert 'id="line-2-description"' in page and 'id="line-3-description"' not in page and 'value="家用净水器"' in page
    page = client.post(url, {**form_data(LINES[:1], [("工程师", "1", "1")]), "add_work": "1"}).content.decode()
    assert 'id="work-2-role"' in page and 'value="工程师"' in page
    page = client.post(url, {**form_data(LINES[:2]), "remove_line": "1"}).content.decode()
    assert 'value="上门安装调试"' in page and 'value="家用净水器"' not in page
    assert not Quote.objects.exists()


def test_a_quote_on_a_deal(as_user, rep, customer):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目"})
    client = as_user(rep)
    url = reverse("web:quote_new") + f"?deal={deal.pk}"
    assert "净水器项目" in client.get(url).content.decode()
    client.post(url, form_data(LINES))
    assert Quote.objects.get().deal == deal


def test_new_without_a_customer_goes_to_the_customers(as_user, rep):
    response = as_user(rep).get(reverse("web:quote_new"))
    assert response.status_code == 302 and response["Location"] == reverse("web:customer_list")


def test_an_analyst_sees_but_writes_nothing(as_user, analyst, quote, customer):
    client = as_user(analyst)
    page = client.get(reverse("web:quote_detail", args=[quote.pk])).content.decode()
    assert quote.number in page and "Mark as sent" not in page and "Revise (new version)" not in page
    assert client.get(reverse("web:quote_new") + f"?customer={customer.pk}").status_code == 403
    assert client.post(reverse("web:quote_send", args=[quote.pk])).status_code == 403
    assert client.get(reverse("web:quote_revise", args=[quote.pk])).status_code == 403
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


@pytest.mark.parametrize("who", ["outsider", "rep2"])
def test_others_see_nothing(request, as_user, quote, customer, who):
    client = as_user(request.getfixturevalue(who))
    for name in ("quote_detail", "quote_print", "quote_pdf", "quote_revise"):
        assert client.get(reverse(f"web:{name}", args=[quote.pk])).status_code == 404, name
    for name in ("quote_submit", "quote_approve", "quote_decline", "quote_send", "quote_accept", "quote_reject"):
        assert client.post(reverse(f"web:{name}", args=[quote.pk]), {"reason": "x"}).status_code == 404, name
    assert client.get(reverse("web:quote_new") + f"?customer={customer.pk}").status_code == 404
    body = client.get(reverse("web:quote_list")).content.decode()
    assert quote.number not in body and "张三" not in body and "No quotes yet." in body
    assert client.get(reverse("web:quote_list") + f"?customer={customer.pk}").status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_the_list_filters(as_user, rep, manager, quote, enterprise):
    other = services.quote_create(by=rep, customer=enterprise, data=content())
    services.quote_send(by=rep, quote=other)
    for user in (rep, manager):
        body = as_user(user).get(reverse("web:quote_list")).content.decode()
        assert quote.number in body and other.number in body and "¥6,498.00" in body
    body = as_user(rep).get(reverse("web:quote_list"), {"status": "sent"}).content.decode()
    assert other.number in body and quote.number not in body
    body = as_user(rep).get(reverse("web:quote_list"), {"q": "张三"}).content.decode()
    assert quote.number in body and other.number not in body


def test_a_large_discount_waits_for_the_manager(as_user, rep, manager, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content(discount_percent="15", discount_condition="签两年维保合同"))
    url = reverse("web:quote_detail", args=[quote.pk])
    rep_client = as_user(rep)
    page = rep_client.get(url).content.decode()
    assert "Needs a manager&#x27;s approval." in page or "Needs a manager's approval." in page
    assert "The discount of 15% is above the team&#x27;s limit of 10%" in page or "The discount of 15% is above the team's limit of 10%" in page
    assert "Ask the manager to approve" in page and "Mark as sent" not in page and "Approve the discount" not in page
    response = rep_client.post(reverse("web:quote_send", args=[quote.pk]))
    assert response.status_code == 302
    assert "needs a manager" in rep_client.get(url).content.decode()
    rep_client.post(reverse("web:quote_submit", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    manager_client = as_user(manager)
    page = manager_client.get(url).content.decode()
    assert "Awaiting a manager" in page and "Approve the discount" in page
    manager_client.post(reverse("web:quote_approve", args=[quote.pk]), {"note": "老客户"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED and quote.versions.get().approved_by == manager
    page = rep_client.get(url).content.decode()
    assert "Awaiting a manager" not in page and "Mark as sent to the customer" in page and "老客户" in page


def test_the_manager_sends_a_discount_back_with_a_reason(as_user, rep, manager, outsider, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content(discount_percent="25", discount_condition="签两年维保合同"))
    services.quote_submit(by=rep, quote=quote)
    url, decline = reverse("web:quote_detail", args=[quote.pk]), reverse("web:quote_decline", args=[quote.pk])
    assert "Send back without approval" not in as_user(rep).get(url).content.decode()
    assert as_user(outsider).post(decline, {"reason": "x"}).status_code == 404
    manager_client = as_user(manager)
    assert "Send back without approval" in manager_client.get(url).content.decode()
    manager_client.post(decline, {"reason": ""})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    assert "Say why the discount is not approved" in manager_client.get(url).content.decode()
    response = manager_client.post(decline, {"reason": "最多 12%"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    page = as_user(rep).get(url).content.decode()
    assert "Discount declined" in page and "最多 12%" in page and "Ask the manager to approve" in page


def test_accepting_writes_the_order_and_wins_the_deal(as_user, rep, customer, products):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目"})
    data = content(lines=[{"part": "设备", "product": products["purifier"].pk, "quantity": "1"}, {"part": "安装", "description": "安装", "quantity": "1", "unit_price": "300"}])
    quote = services.quote_create(by=rep, customer=customer, deal=deal, data=data)
    client = as_user(rep)
    response = client.post(reverse("web:quote_accept", args=[quote.pk]), {"create_order": "1"})
    assert response.status_code == 302
    quote.refresh_from_db()
    order = Order.objects.get()
    assert quote.status == QuoteStatus.ACCEPTED and quote.order == order and order.amount == Decimal("2999.00")
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    page = client.get(reverse("web:quote_detail", args=[quote.pk])).content.decode()
    assert f"Quote {quote.number} is accepted." in page and order.number in page and "Revise (new version)" not in page


def test_rejecting_asks_why(as_user, rep, quote):
    client = as_user(rep)
    url = reverse("web:quote_detail", args=[quote.pk])
    client.post(reverse("web:quote_reject", args=[quote.pk]), {"reason": ""})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and "Say why the customer rejected the quote." in client.get(url).content.decode()
    client.post(reverse("web:quote_reject", args=[quote.pk]), {"reason": "预算不足"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.REJECTED and "预算不足" in client.get(url).content.decode()


def test_revising_starts_from_the_current_version_and_keeps_the_old_one(as_user, rep, quote):
    client = as_user(rep)
    url = reverse("web:quote_revise", args=[quote.pk])
    page = client.get(url).content.decode()
    assert "version 2" in page and 'value="家用净水器"' in page and 'value="2999"' in page and 'value="安装工程师"' in page and "老房水管需改造" in page
    lines = [("设备", "商用净水器", "", "1", "台", "12000")]
    response = client.post(url, form_data(lines, [("安装工程师", "3", "2")], difficulty="high"))
    assert response.status_code == 302
    assert [v.total for v in QuoteVersion.objects.filter(quote=quote).order_by("number")] == [Decimal("6498.00"), Decimal("12000.00")]
    page = client.get(reverse("web:quote_detail", args=[quote.pk])).content.decode()
    assert "Version 2 of quote" in page and "Version 1" in page and "商用净水器" in page and "¥12,000.00" in page and "¥6,498.00" in page


def test_the_printable_page_is_clean_and_in_the_quotes_language(as_user, rep, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content(language="en", valid_until=timezone.localdate().isoformat()))
    page = as_user(rep).get(reverse("web:quote_print", args=[quote.pk])).content.decode()
    assert '<html lang="en">' in page and "navbar" not in page and "@media print" in page and '"Noto Sans CJK SC"' in page
    assert "Quotation" in page and quote.number in page and "张三" in page and "家用净水器" in page and "¥6,498.00" in page
    assert reverse("web:quote_pdf", args=[quote.pk]) in page and "window.print()" in page
    assert as_user(rep).get(reverse("web:quote_print", args=[quote.pk]) + "?version=2").status_code == 404


def _fonts(reader: PdfReader) -> list[tuple[str, bool]]:
    """(base font name, embedded) of every font the pages use."""
    out = []
    for pdf_page in reader.pages:
        for ref in pdf_page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            out.append((str(font["/BaseFont"]), any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return out


def test_the_pdf_has_the_lines_the_total_and_the_chinese(as_user, rep, customer, team):
    from manyi.sales.models import SalesSettings

    SalesSettings.objects.create(team=team, company_name="满意净水科技有限公司", company_details="上海市浦东新区\n电话 021-12345678")
    quote = services.quote_create(by=rep, customer=customer, data=content(discount_percent="5", discount_condition="预付全款"))
    response = as_user(rep).get(reverse("web:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{quote.number}-v1.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(pdf_page.extract_text() for pdf_page in reader.pages)
    assert "家用净水器" in text and "上门安装调试" in text
    assert "6,173.10" in text and "6,498.00" in text
    assert "满意净水科技有限公司" in text and "张三" in text and "预付全款" in text and "安装工程师" in text
    fonts = _fonts(reader)
    # Every font is embedded, and the text is set in Noto Sans CJK SC (subset names like "/ABCDEF+Noto-Sans-CJK-SC").
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert {name.split("+")[-1].replace("-", "") for name, _embedded in fonts} <= {"NotoSansCJKSC", "NotoSansCJKSCBold"}, fonts
