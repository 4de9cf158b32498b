"""A sales rep brings a spreadsheet of customers into Manyi, in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = pytest.mark.browser

ROWS = "客户名称,手机,邮箱,地址\r\n杭州西湖茶业有限公司,138 1234 5678,tea@example.com,杭州市西湖区\r\n宁波港口物流有限公司,139-8765-4321,,宁波市\r\n绍兴黄酒坊,12345,,绍兴市\r\n"


def test_upload_map_run_and_find_the_customers(page):
    UserFactory(username="rep", display_name="王小明", role="sales", team=TeamFactory(name="华东一组"))
    page.goto("/login/")
    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".navbar")).to_contain_text("王小明")

    page.goto("/imports/new/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", {"name": "客户.csv", "mimeType": "text/csv", "buffer": ROWS.encode("gbk")})
    page.click("form.import-upload button[type=submit]")

    # The preview reads the GBK file; the suggested fields are chosen.
    expect(page.locator(".preview-table tbody tr")).to_have_count(3)
    expect(page.locator(".preview-table")).to_contain_text("杭州西湖茶业有限公司")
    expect(page.locator("select[name=col_0]")).to_have_value("name")
    expect(page.locator("select[name=col_1]")).to_have_value("mobile")
    expect(page.locator("select[name=col_2]")).to_have_value("email")
    # The address is left out by hand, with the keyboard.
    page.focus("select[name=col_3]")
    page.select_option("select[name=col_3]", "")
    page.check("input[name=on_duplicate][value=skip]")
    page.click("form.import-settings button[type=submit]")

    expect(page.locator("#import-state-title")).to_be_visible()
    expect(page.locator("[data-count=created]")).to_have_text("2")
    expect(page.locator("[data-count=rejected]")).to_have_text("1")
    expect(page.locator("#rejected-rows tbody tr")).to_have_count(1)
    expect(page.locator("#rejected-rows")).to_contain_text("12345")

    page.goto("/customers/")
    expect(page.locator("#customer-results")).to_contain_text("杭州西湖茶业有限公司")
    expect(page.locator("#customer-results")).to_contain_text("宁波港口物流有限公司")
    expect(page.locator("#customer-results")).not_to_contain_text("绍兴黄酒坊")
