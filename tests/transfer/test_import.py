"""Importing: every row imported or reported, duplicates found, nothing lost
on a crash, the same file twice changes nothing, and access applies."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.customers.models import ChangeRecord, Contact, Customer
from manyi.interactions.models import Interaction
from manyi.transfer import engine
from manyi.transfer.models import ImportIssue, ImportJob, ImportStatus
from manyi.transfer.services import (
    import_claim,
    import_configure,
    import_create,
    import_run,
)
from tests.factories import CustomerFactory

HEADERS = ["客户名称", "客户类型", "等级", "手机", "电话", "邮箱", "统一社会信用代码", "生日", "标签", "备注"]


def write(tmp_path: Path, rows, *, headers=HEADERS, encoding="gbk", name="客户.csv") -> Path:
    path = tmp_path / name
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def run(by, path, *, batch_rows=3, kind="customers", **options):
    with translation.override("en"):
        job = import_create(by=by, kind=kind, source=path, original_name=path.name, **options)
        return import_run(by=by, job=job, batch_rows=batch_rows)


def issues(job, kind="error"):
    return list(ImportIssue.objects.filter(job=job, kind=kind).order_by("line", "id").values_list("line", "field", "message"))


ROWS = [
    ["北京华信科技有限公司", "企业", "A", "138 1234 5678", "010-8888 6666", "Info@HuaXin.cn", "91110000600037341L", "", "重点、华北", "老客户"],
    ["张三", "个人", "c", "+86 139-0000-1111", "", "", "", "1985年3月5日", "", ""],
    ["李四", "", "", "13900002222", "", "", "", "1990/1/2", "", "第一行"],
]


@pytest.mark.django_db
def test_a_gbk_export_is_imported_with_values_normalised(tmp_path, rep):
    job = run(rep, write(tmp_path, ROWS))
    assert (job.status, job.created_count, job.rejected_count, job.duplicate_count, job.position) == ("done", 3, 0, 0, 3)
    huaxin = Customer.objects.get(name="北京华信科技有限公司")
    assert (huaxin.kind, huaxin.grade, huaxin.mobile, huaxin.phone, huaxin.email) == ("enterprise", "A", "+8613812345678", "+861088886666", "info@huaxin.cn")
    assert (huaxin.owner, huaxin.team_id, huaxin.name_pinyin, huaxin.name_key) == (rep, rep.team_id, "beijinghuaxinkejiyouxiangongsi", "北京华信科技")
    assert sorted(huaxin.tags.values_list("name", flat=True)) == ["华北", "重点"]
    zhang = Customer.objects.get(name="张三")
    assert (zhang.kind, zhang.grade, zhang.birthday) == ("individual", "C", dt.date(1985, 3, 5))
    # 李四 has no type column value: a short personal name with a birthday is a person.
    # A blank 等级 leaves the default grade.
    assert (Customer.objects.get(name="李四").kind, Customer.objects.get(name="李四").grade) == ("individual", "C")
    record = ChangeRecord.objects.get(customer=huaxin)
    assert record.action == "created" and record.actor == rep and record.changes[0]["new"] == "客户.csv · 2"
    assert not Path(job.source).exists(), "the uploaded copy is deleted once imported"


@pytest.mark.django_db
def test_rejected_rows_name_line_field_and_reason_and_the_rest_is_kept(tmp_path, rep):
    rows = [
        ROWS[0],
        ["", "企业", "A", "", "", "", "", "", "", ""],
        ["坏公司", "企业", "E", "12345", "", "bad@", "123", "2023年2月30日", "", ""],
        ["短行", "企业"],
        ROWS[1],
    ]
    job = run(rep, write(tmp_path, rows))
    assert (job.created_count, job.rejected_count) == (2, 3)
    assert set(Customer.objects.values_list("name", flat=True)) == {"北京华信科技有限公司", "张三"}
    found = issues(job)
    assert found[0] == (3, "name", "name: Required; the cell is empty.")
    assert {f for line, f, _m in found if line == 4} == {"grade", "mobile", "email", "credit_code", "birthday"}
    assert any("“12345” is not a valid phone number" in m for _l, _f, m in found)
    assert found[-1] == (5, "", "The row has 2 cells, the header 10. Is a delimiter or a quote missing?")
    with translation.override("en"):
        report = list(engine.report_rows(job))
    assert report[0] == [*HEADERS, "Line", "Problem"]
    assert [r[len(HEADERS)] for r in report[1:]] == ["3", "4", "5"]
    assert report[3][:2] == ["短行", "企业"] and report[3][2:10] == [""] * 8
    assert "2023年2月30日" in report[2] and "is not a day of the calendar" in report[2][-1]


@pytest.mark.django_db
def test_the_same_file_twice_creates_nothing_new(tmp_path, rep):
    path = write(tmp_path, ROWS)
    run(rep, path)
    again = run(rep, path)
    assert (again.created_count, again.duplicate_count, again.updated_count) == (0, 3, 0)
    assert Customer.objects.count() == 3
    assert all("Already in Manyi" in m for _l, _f, m in issues(again, "duplicate"))


@pytest.mark.django_db
def test_duplicates_within_a_file_are_found_through_their_variations(tmp_path, rep):
    rows = [
        ["北京华信科技有限公司", "企业", "A", "13812345678", "", "", "", "", "", ""],
        ["北京華信科技有限責任公司", "企业", "A", "+86 138-1234-5678", "", "", "", "", "", ""],  # Traditional, other legal form, phone format
        ["ＡＢＣ贸易有限公司", "企业", "B", "", "", "", "", "", "", ""],
        ["abc 贸易", "企业", "B", "", "", "", "", "", "", ""],  # full width and spaces, name only
        ["上海一公司", "企业", "B", "", "", "", "91310000MA1K4XXX1A", "", "", ""],
        ["上海另一个名字", "企业", "B", "", "", "", "91310000ma1k4xxx1a", "", "", ""],  # same credit code, lower case
        ["王五", "个人", "C", "", "021-6234 5678", "", "", "", "", ""],
        ["王五", "个人", "C", "", "02162345678", "", "", "", "", ""],  # same landline and name
        ["赵六", "个人", "C", "", "021-6234 5678", "", "", "", "", ""],  # same switchboard, another person: not a duplicate
    ]
    job = run(rep, write(tmp_path, rows), batch_rows=4)
    assert (job.created_count, job.duplicate_count) == (5, 4)
    dupes = issues(job, "duplicate")
    assert [line for line, _f, _m in dupes] == [3, 5, 7, 9]
    assert "same mobile" in dupes[0][2] and "same name" in dupes[1][2] and "same unified social credit code" in dupes[2][2]
    assert "same phone and name" in dupes[3][2]


@pytest.mark.django_db
def test_update_overwrites_merge_fills_only_empty_fields(tmp_path, rep):
    existing = CustomerFactory(name="北京华信科技有限公司", owner=rep, mobile="+8613812345678", grade="C", email="", notes="旧备注")
    row = ["北京华信科技有限公司", "企业", "A", "13812345678", "", "new@huaxin.cn", "", "", "新标签", "新备注"]
    run(rep, write(tmp_path, [row]), on_duplicate="merge")
    existing.refresh_from_db()
    assert (existing.grade, existing.email, existing.notes) == ("C", "new@huaxin.cn", "旧备注")
    assert list(existing.tags.values_list("name", flat=True)) == ["新标签"]
    job = run(rep, write(tmp_path, [row], name="b.csv"), on_duplicate="update")
    existing.refresh_from_db()
    assert (existing.grade, existing.notes) == ("A", "新备注")
    assert (job.updated_count, job.created_count) == (1, 0)
    assert ChangeRecord.objects.filter(customer=existing, action="updated").count() == 2
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_a_rep_neither_sees_nor_changes_a_duplicate_held_by_someone_else(tmp_path, rep, outsider):
    theirs = CustomerFactory(name="深圳秘密客户有限公司", owner=outsider, mobile="+8613812345678", grade="D")
    job = run(rep, write(tmp_path, [["我起的名字", "企业", "A", "13812345678", "", "", "", "", "", ""]]), on_duplicate="update")
    theirs.refresh_from_db()
    assert theirs.grade == "D" and Customer.objects.count() == 1
    ((_line, _field, message),) = issues(job, "duplicate")
    assert "held by someone else" in message and "深圳秘密" not in message
    assert ImportIssue.objects.get(job=job).match_id is None


@pytest.mark.django_db
def test_owner_column_and_owner_rules(tmp_path, manager, rep, outsider):
    rows = [["甲公司有限公司", "企业", "A", "", "", "", "", "", "", ""]]
    headers = ["客户名称", "客户类型", "等级", "手机", "电话", "邮箱", "统一社会信用代码", "生日", "标签", "业务员"]
    job = run(manager, write(tmp_path, [[*rows[0][:9], "rep"], ["乙公司", *rows[0][1:9], "outsider"]], headers=headers))
    assert Customer.objects.get(name="甲公司有限公司").owner == rep
    assert "“outsider” is not a user you may give customers to." in issues(job)[0][2]
    with pytest.raises(ValidationFailed), translation.override("en"):
        import_create(by=rep, kind="customers", source=write(tmp_path, rows), original_name="c.csv", owner=outsider)


@pytest.mark.django_db
def test_who_may_import_what(tmp_path, analyst, agent, rep):
    path = write(tmp_path, ROWS)
    with pytest.raises(PermissionDenied):
        import_create(by=analyst, kind="customers", source=path, original_name="c.csv")
    with pytest.raises(PermissionDenied):
        import_create(by=agent, kind="orders", source=path, original_name="c.csv")
    job = import_create(by=rep, kind="customers", source=path, original_name="c.csv")
    with pytest.raises(NotFound):
        import_claim(by=agent, job=job)


@pytest.mark.django_db
def test_a_dry_run_reports_everything_and_writes_nothing(tmp_path, rep):
    rows = [ROWS[0], ROWS[0], ["", "企业", "A", "", "", "", "", "", "", ""]]
    job = run(rep, write(tmp_path, rows), dry_run=True, batch_rows=1)
    assert (job.status, job.created_count, job.duplicate_count, job.rejected_count) == ("done", 1, 1, 1)
    assert Customer.objects.count() == 0 and ChangeRecord.objects.count() == 0
    assert [line for line, _f, _m in issues(job)] == [4]


@pytest.mark.django_db
def test_a_crash_inside_a_batch_loses_and_repeats_nothing_on_resume(tmp_path, rep, monkeypatch, settings):
    rows = [[f"第{i}号公司", "企业", "B", f"1390000{i:04d}", "", "", "", "", "", ""] for i in range(10)]
    rows[7][3] = "12345"  # one bad row, reported once
    path = write(tmp_path, rows)
    job = import_create(by=rep, kind="customers", source=path, original_name=path.name)
    real_store, calls = engine._store_issues, []

    def crash_in_third_batch(job_, found):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the worker was killed")
        real_store(job_, found)

    monkeypatch.setattr(engine, "_store_issues", crash_in_third_batch)
    with pytest.raises(RuntimeError):
        import_run(by=rep, job=job, batch_rows=3)
    job.refresh_from_db()
    assert (job.status, job.position, Customer.objects.count()) == (ImportStatus.RUNNING, 6, 6)
    with pytest.raises(ValidationFailed, match="running already"), translation.override("en"):
        import_claim(by=rep, job=job)
    settings.MANYI_IMPORT_STALE_SECONDS = 0
    job = import_run(by=rep, job=job, batch_rows=3)
    assert (job.status, job.position, job.created_count, job.rejected_count) == ("done", 10, 9, 1)
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(r[0] for i, r in enumerate(rows) if i != 7)
    assert ImportIssue.objects.filter(job=job).count() == 1
    with pytest.raises(ValidationFailed, match="finished"), translation.override("en"):
        import_claim(by=rep, job=job)


@pytest.mark.django_db
def test_mapping_is_suggested_and_checked(tmp_path, rep):
    path = write(tmp_path, [["甲", "138 1234 5678"]], headers=["Company Name", "客戶手機號"])
    job = import_create(by=rep, kind="customers", source=path, original_name="c.csv")
    assert job.mapping == {"0": "name", "1": "mobile"}
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        import_configure(by=rep, job=job, mapping={0: "mobile", 1: "mobile"}, on_duplicate="skip")
    assert "both fill" in caught.value.message
    with translation.override("en"), pytest.raises(ValidationFailed, match="required field"):
        import_configure(by=rep, job=job, mapping={1: "mobile"}, on_duplicate="skip")


@pytest.mark.django_db
def test_a_file_with_the_wrong_delimiter_says_so(tmp_path, rep):
    path = tmp_path / "c.csv"
    path.write_text("客户名称#手机\n甲#13812345678\n", encoding="utf-8")
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        import_create(by=rep, kind="customers", source=path, original_name="c.csv")
    assert "Only one column was found" in caught.value.fields["mapping"][0]
    assert not list((tmp_path / "imports").glob("*")), "a refused file is not kept"


@pytest.mark.django_db
def test_a_formula_cell_is_stored_as_text_and_the_error_file_keeps_it(tmp_path, rep):
    rows = [['=HYPERLINK("http://evil.example","点我")', "企业", "A", "", "", "", "", "", "", ""], ["甲", "企业", "Z", "", "", "", "", "", "", ""]]
    path = tmp_path / "c.csv"
    path.write_text(",".join(HEADERS) + "\n" + "\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in r) for r in rows) + "\n", encoding="utf-8")
    run(rep, path)
    assert Customer.objects.filter(name__startswith="=HYPERLINK").exists()


@pytest.mark.django_db
def test_contacts_interactions_and_orders_find_their_customer(tmp_path, rep, products):
    CustomerFactory(name="北京华信科技有限公司", owner=rep)
    contacts = write(tmp_path, [["北京華信科技", "李经理", "13811112222", "采购经理"], ["不存在公司", "王五", "13811113333", ""]],
                     headers=["公司名称", "联系人", "手机", "职务"], name="contacts.csv")  # fmt: skip
    job = run(rep, contacts, kind="contacts")
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert Contact.objects.get().name == "李经理"
    assert "No customer you may change is called “不存在公司”." in issues(job)[0][2]
    assert run(rep, contacts, kind="contacts").duplicate_count == 1

    talks = write(tmp_path, [["北京华信科技有限公司", "电话", "2024-03-05 14:30", "客户问交期，很着急"]],
                  headers=["客户", "类型", "时间", "内容"], name="talks.csv")  # fmt: skip
    assert run(rep, talks, kind="interactions").created_count == 1
    talk = Interaction.objects.get()
    assert (talk.kind, timezone.localtime(talk.occurred_at).hour) == ("call", 14)
    assert run(rep, talks, kind="interactions").duplicate_count == 1

    sku = products["tea"].sku if "tea" in products else next(iter(products.values())).sku
    orders = write(tmp_path, [["SO-1", "北京华信科技有限公司", "2024-03-05", sku, "2", "10.5"], ["SO-1", "北京华信科技有限公司", "2024-03-05", sku, "1", ""],
                              ["SO-2", "北京华信科技有限公司", "2024-03-06", "没有的产品", "1", ""]],
                   headers=["订单号", "客户", "下单日期", "产品", "数量", "单价"], name="orders.csv")  # fmt: skip
    job = run(rep, orders, kind="orders", batch_rows=1)
    assert (job.created_count, job.rejected_count) == (2, 1)
    order = Customer.objects.get(name="北京华信科技有限公司").orders.get()
    assert order.number == "SO-1" and order.lines.count() == 2 and order.lines.first().unit_price in (Decimal("10.50"), order.lines.last().unit_price)
    assert run(rep, orders, kind="orders").duplicate_count == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.text(alphabet=st.characters(codec="gbk", exclude_categories=("Cs",)), max_size=12), min_size=0, max_size=12),
        min_size=1,
        max_size=12,
    )
)
@pytest.mark.django_db
def test_every_row_is_imported_or_reported(tmp_path_factory, rep, rows):
    """Whatever the cells hold, each data row ends up created, a duplicate or
    rejected, and the counts add up to the rows the file has."""
    import csv

    folder = tmp_path_factory.mktemp("h")
    path = folder / "h.csv"
    with open(path, "w", encoding="gbk", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    data_rows = sum(1 for r in rows if any(c.strip() for c in r))
    before = Customer.objects.count()
    try:
        job = run(rep, path)
    except ValidationFailed:
        # Nothing readable as a table at all (e.g. every row blank): refused whole, nothing written.
        assert Customer.objects.count() == before
        return
    assert job.status == "done"
    assert job.created_count + job.duplicate_count + job.rejected_count + job.updated_count == job.position == data_rows
    assert Customer.objects.count() - before == job.created_count
    assert ImportIssue.objects.filter(job=job, kind="error").values("line").distinct().count() == job.rejected_count
    ImportJob.objects.filter(pk=job.pk).delete()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.django_db
def test_an_export_imports_back_to_the_same_customers(tmp_path, rep, fmt):
    """Move out and back in: what Manyi exports, Manyi reads with the
    suggested mapping, formula-looking text included."""
    from manyi.customers.selectors import CustomerFilters
    from manyi.transfer.export import export_customers

    run(rep, write(tmp_path, ROWS))
    CustomerFactory(name="=HYPERLINK(\"http://x\",\"y\")", owner=rep, mobile="+8613700001234", notes="+ 加急")
    fields = ("name", "kind", "grade", "mobile", "phone", "email", "credit_code", "birthday", "notes")
    before = sorted(Customer.objects.values_list(*fields))
    path = tmp_path / f"export.{fmt}"
    with open(path, "wb") as out:
        assert export_customers(user=rep, filters=CustomerFilters(), fmt=fmt, out=out) == 4
    Customer.objects.all().delete()
    job = run(rep, path)
    assert (job.created_count, job.rejected_count) == (4, 0), issues(job)
    assert sorted(Customer.objects.values_list(*fields)) == before
