"""Exports of the customer list: what a file holds, for whom, and that a
spreadsheet opens it safely."""

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from manyi.accounts.services import api_token_issue
from manyi.customers.models import SENSITIVE_FIELDS, AccessKind, CustomerAccess, Tag
from manyi.customers.selectors import CustomerFilters
from manyi.transfer import columns, export
from manyi.transfer.models import ImportKind
from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

INJECTED = '=HYPERLINK("http://evil.example","点我")'


def csv_rows(user, filters=None, language="en"):
    out = io.BytesIO()
    with translation.override(language):
        count = export.export_customers(user=user, filters=filters or CustomerFilters(), fmt="csv", out=out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == count + 1
    return rows


def xlsx_sheet(user, filters=None, language="en"):
    out = io.BytesIO()
    with translation.override(language):
        export.export_customers(user=user, filters=filters or CustomerFilters(), fmt="xlsx", out=out)
    out.seek(0)
    return load_workbook(out).worksheets[0]


def names(rows):
    return sorted(row[0] for row in rows[1:])


@pytest.fixture
def team_list(rep, rep2, outsider, customer, enterprise):
    """rep's two customers, one of rep2's shared with rep, one rep2 keeps, one of the outsider's."""
    shared = CustomerFactory(name="上海共享贸易有限公司", owner=rep2)
    CustomerAccess.objects.create(customer=shared, user=rep, kind=AccessKind.SHARED)
    CustomerFactory(name="赵丽自己的客户", owner=rep2)
    CustomerFactory(name="外组客户", owner=outsider)


def test_csv_starts_with_a_bom_and_reads_as_csv(rep, customer, enterprise):
    rows = csv_rows(rep)
    assert rows[0][:3] == ["Name", "Kind", "Customer category"]
    assert names(rows) == sorted(["张三", "北京华为科技有限公司"])
    assert {len(row) for row in rows} == {len(export.EXPORT_FIELDS)}


def test_xlsx_opens_with_openpyxl(rep, customer, enterprise):
    sheet = xlsx_sheet(rep)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Name" and sheet["A1"].font.bold
    assert sorted(row[0] for row in rows[1:]) == sorted(["张三", "北京华为科技有限公司"])
    created = rows[0].index("Created")
    assert rows[1][created].year == customer.created_at.year  # a date cell, not text
    assert sheet.freeze_panes == "A2"


def test_a_rep_exports_their_own_and_shared_customers_only(rep, team_list):
    assert names(csv_rows(rep)) == sorted(["张三", "北京华为科技有限公司", "上海共享贸易有限公司"])


def test_the_manager_exports_the_team(manager, team_list):
    assert names(csv_rows(manager)) == sorted(["张三", "北京华为科技有限公司", "上海共享贸易有限公司", "赵丽自己的客户"])


def test_the_outsider_exports_nothing_of_the_team(outsider, team_list):
    assert names(csv_rows(outsider)) == ["外组客户"]


def test_filters_are_honoured(rep, customer, enterprise):
    vip = Tag.objects.create(name="VIP")
    enterprise.tags.add(vip)
    assert names(csv_rows(rep, CustomerFilters(tag="VIP"))) == ["北京华为科技有限公司"]
    assert names(csv_rows(rep, CustomerFilters(q="zhangs"))) == ["张三"]
    assert names(csv_rows(rep, CustomerFilters(kind="individual"))) == []


def test_chinese_headers_under_zh_hans(rep, customer):
    header = csv_rows(rep, language="zh-hans")[0]
    assert header[:3] == ["名称", "客户类型", "客户类别"]
    assert "手机" in header and "负责人" in header and "标签" in header
    assert xlsx_sheet(rep, language="zh-hans")["A1"].value == "名称"


def test_sensitive_fields_are_never_exported_even_to_the_owner(rep, customer):
    assert not set(SENSITIVE_FIELDS) & set(export.EXPORT_FIELDS)
    out = io.BytesIO()
    export.export_customers(user=rep, filters=CustomerFilters(), fmt="csv", out=out)
    assert "高血压" not in out.getvalue().decode("utf-8-sig") and "年薪" not in out.getvalue().decode("utf-8-sig")


def test_formula_injection_is_written_as_text_in_both_formats(rep):
    CustomerFactory(name=INJECTED, owner=rep, wechat="+1+cmd|' /C calc'!A0", address="@SUM(1+1)", notes="-2+3")
    row = csv_rows(rep)[1]
    for field, value in (("name", INJECTED), ("wechat", "+1+cmd|' /C calc'!A0"), ("address", "@SUM(1+1)"), ("notes", "-2+3")):
        assert row[export.EXPORT_FIELDS.index(field)] == "'" + value
    sheet = xlsx_sheet(rep)
    cells = next(sheet.iter_rows(min_row=2, max_row=2))
    for field, value in (("name", INJECTED), ("address", "@SUM(1+1)"), ("notes", "-2+3")):
        cell = cells[export.EXPORT_FIELDS.index(field)]
        assert cell.data_type != "f" and cell.value == value and cell.quotePrefix


def test_text_xlsx_cannot_hold_is_dropped(rep):
    CustomerFactory(name="控制符", owner=rep, notes="第一行\x01\x08第二行")
    cells = next(xlsx_sheet(rep).iter_rows(min_row=2, max_row=2))
    assert cells[export.EXPORT_FIELDS.index("notes")].value == "第一行第二行"


def test_exported_csv_reads_back_as_the_same_values(rep):
    """The importer's own column matching and parsers take every exported
    column back to the value stored (labels, formatted phones, tags)."""
    stored = CustomerFactory(
        name="杭州西湖茶业有限公司", owner=rep, kind="enterprise", category="agent", importance="key", grade="A", depth="loyalty",
        phone="+862188886666", mobile="+8613812345678", email="tea@example.cn", wechat="xihu_tea", website="https://tea.example.cn",
        province="浙江", city="杭州", address="西湖区龙井路1号", postal_code="310000", credit_code="91330100MA27XXXX0X",
        industry="茶叶", notes="第一行\n第二行",
    )  # fmt: skip
    stored.tags.add(Tag.objects.create(name="VIP"), Tag.objects.create(name="老客户"))
    for language in ("zh-hans", "en"):
        header, row = csv_rows(rep, language=language)
        with translation.override(language):
            mapping = columns.suggest(ImportKind.CUSTOMERS, header)
            parsers = {c.name: c.parser for c in columns.columns(ImportKind.CUSTOMERS)}
        read = {name: parsers[name](row[i]) for i, name in mapping.items()}
        assert set(read) == set(export.EXPORT_FIELDS) - {"created_at", "updated_at"}, language
        assert read.pop("owner") == str(rep)
        assert sorted(read.pop("tags")) == ["VIP", "老客户"]
        assert read == {name: getattr(stored, name) for name in read}, language


def test_rows_are_read_in_chunks_by_id(rep):
    made = [CustomerFactory(owner=rep) for _ in range(5)]
    rows = list(export.customer_rows(user=rep, filters=CustomerFilters(), chunk_rows=2))
    assert [row[0] for row in rows] == [c.name for c in made]


def test_a_list_longer_than_a_sheet_goes_on_in_the_next(rep):
    out = io.BytesIO()
    export.write_xlsx(["h"], [[n] for n in range(5)], out, title="客户", sheet_rows=3)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["客户", "客户 (2)", "客户 (3)"]
    assert [[c.value for c in row] for row in workbook["客户 (2)"].iter_rows()] == [["h"], [2], [3]]


def api_client(user):
    token, _record = api_token_issue(username=user.username, password=PASSWORD)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_api_export_as_xlsx_with_the_list_filters(rep, customer, enterprise):
    enterprise.tags.add(Tag.objects.create(name="VIP"))
    response = api_client(rep).get("/api/v1/customers/export", {"format": "xlsx", "tag": "VIP"})
    assert response.status_code == 200
    assert response["Content-Type"] == export.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["北京华为科技有限公司"]


def test_api_export_as_csv_gives_the_outsider_nothing_of_others(outsider, customer):
    response = api_client(outsider).get("/api/v1/customers/export")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))) == 1


def test_api_refuses_an_unknown_format(rep):
    response = api_client(rep).get("/api/v1/customers/export", {"format": "pdf"})
    assert response.status_code == 422 and "format" in response.json()["fields"]


def test_api_export_needs_a_token(client):
    assert client.get("/api/v1/customers/export").status_code == 401


def test_command_writes_the_file_and_counts_the_rows(rep, customer, enterprise, tmp_path):
    out = io.StringIO()
    target = tmp_path / "客户.xlsx"
    call_command("export", "customers", "--as", "rep", "--out", str(target), "--q", "张", stdout=out)
    assert "Wrote 1 customer to" in out.getvalue()
    assert [row[0].value for row in load_workbook(target).worksheets[0].iter_rows(min_row=2)] == ["张三"]


def test_command_applies_the_users_access(rep, outsider, customer, tmp_path):
    out = io.StringIO()
    target = tmp_path / "x.csv"
    call_command("export", "customers", "--as", "outsider", "--out", str(target), "--owner", "rep", stdout=out)
    assert "Wrote 0 customers" in out.getvalue()
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")


def test_command_refuses_an_unknown_user_and_format(rep, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no active user 'nobody'"):
        call_command("export", "customers", "--as", "nobody")
    with pytest.raises(CommandError, match="--format"):
        call_command("export", "customers", "--as", "rep", "--out", str(tmp_path / "x.txt"))
