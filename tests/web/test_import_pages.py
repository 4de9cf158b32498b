"""The import pages: upload, preview, mapping, duplicates policy, a run in
the request or on the worker with a progress bar, the summary and the error
file. Nobody but the importer (and an administrator) sees a job."""

import codecs
import csv
import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from manyi.customers.models import Customer
from manyi.transfer import services
from manyi.transfer.models import ImportJob, ImportStatus
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

GBK_ROWS = [
    ["客户名称", "手机", "邮箱", "备注"],
    ["杭州西湖茶业有限公司", "138 1234 5678", "tea@example.com", "老客户"],
    ["宁波港口物流有限公司", "139-8765-4321", "", ""],
    ["绍兴黄酒坊", "12345", "shaoxing@example", "=HYPERLINK(\"http://evil\")"],
    ["温州鞋业", "137 0000 1111", "", "-5 折"],
]


def csv_bytes(rows, *, encoding="gbk", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(client, data: bytes, *, name="客户.csv", kind="customers", encoding=""):
    return client.post(reverse("web:import_new"), {"kind": kind, "encoding": encoding, "file": SimpleUploadedFile(name, data)})


def settings_data(mapping: dict[int, str], width: int, **extra):
    return {**{f"col_{i}": mapping.get(i, "") for i in range(width)}, "on_duplicate": "skip", **extra}


@pytest.fixture
def uploaded(as_user, rep):
    """rep has uploaded the GBK file; the job waits for its settings."""
    client = as_user(rep)
    response = upload(client, csv_bytes(GBK_ROWS))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:import_detail", args=[job.pk])
    return client, job


@pytest.fixture
def finished(uploaded):
    client, job = uploaded
    client.post(reverse("web:import_detail", args=[job.pk]), settings_data({0: "name", 1: "mobile", 2: "email", 3: "notes"}, 4))
    job.refresh_from_db()
    return client, job


def test_a_gbk_file_with_chinese_headers_is_previewed_with_its_suggested_mapping(uploaded):
    client, job = uploaded
    assert (job.encoding, job.headers) == ("gb18030", GBK_ROWS[0])
    page = client.get(reverse("web:import_detail", args=[job.pk])).content.decode()
    # The first rows under the file's headers, decoded.
    assert "杭州西湖茶业有限公司" in page and "<th scope=\"col\" class=\"text-nowrap\">客户名称</th>" in page
    # One select per column, the suggested field chosen, the required one marked.
    for index, field in enumerate(("name", "mobile", "email", "notes")):
        select = re.search(rf'<select name="col_{index}".*?</select>', page, re.DOTALL).group(0)
        assert re.search(rf'<option value="{field}" selected>', select) and '<option value="">Do not import</option>' in select
    assert re.search(r'<option value="name"[^>]*>Name \*</option>', page)
    assert 'for="id_col_0"' in page and "Column 1 “客户名称” imports as" in page
    assert "Required (marked *): Name." in page
    # The duplicates policy, with what each choice does; check only.
    assert 'id="on-duplicate-skip" value="skip" aria-describedby="on-duplicate-skip-help" checked' in page
    assert "Fill only the fields Manyi has empty" in page and 'name="dry_run"' in page
    # A rep gives customers to nobody else: no owner select.
    assert 'name="owner"' not in page


def test_a_small_file_runs_at_once_and_shows_its_summary(finished, rep):
    client, job = finished
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.rejected_count, job.duplicate_count) == (3, 1, 0)
    assert set(Customer.objects.values_list("name", "owner")) == {
        ("杭州西湖茶业有限公司", rep.pk), ("宁波港口物流有限公司", rep.pk), ("温州鞋业", rep.pk),
    }  # fmt: skip
    page = client.get(reverse("web:import_detail", args=[job.pk])).content.decode()
    assert "Import finished" in page and 'data-count="created">3<' in page and 'data-count="rejected">1<' in page
    assert "hx-trigger" not in page
    # The rejected row: its line, field and problem, twice (mobile, e-mail).
    table = re.search(r'id="rejected-rows".*?</table>', page, re.DOTALL).group(0)
    assert table.count('<td class="text-end font-monospace">4</td>') == 2
    assert "“12345” is not a valid phone number" in table and "“shaoxing@example” is not an e-mail address." in table
    assert reverse("web:import_errors", args=[job.pk]) in page
    listing = client.get(reverse("web:import_list")).content.decode()
    assert "客户.csv" in listing and "Done" in listing and "New import" in listing


def test_the_error_file_holds_the_rejected_rows_to_fix_with_formulas_defused(finished):
    client, job = finished
    response = client.get(reverse("web:import_errors", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["客户名称", "手机", "邮箱", "备注", "Line", "Problem"]
    assert len(rows) == 2
    name, mobile, email, notes, line, problem = rows[1]
    assert (name, mobile, email, line) == ("绍兴黄酒坊", "12345", "shaoxing@example", "4")
    assert notes == "'=HYPERLINK(\"http://evil\")"
    assert "not a valid phone number" in problem and "not an e-mail address" in problem


def test_mapping_mistakes_are_shown_next_to_the_selects(uploaded):
    client, job = uploaded
    url = reverse("web:import_detail", args=[job.pk])
    page = client.post(url, settings_data({0: "name", 1: "mobile", 2: "mobile"}, 4)).content.decode()
    assert 'id="id_col_1-error">“Mobile” is also chosen for column 3; choose it for one column only.' in page
    assert 'id="id_col_2-error">“Mobile” is also chosen for column 2; choose it for one column only.' in page
    assert 'aria-invalid="true" aria-describedby="id_col_1-error"' in page
    page = client.post(url, settings_data({1: "mobile"}, 4)).content.decode()
    assert "Choose a column for each required field: Name." in page
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and not Customer.objects.exists()


def test_a_file_with_the_wrong_delimiter_gets_the_one_column_message(as_user, rep):
    page = upload(as_user(rep), csv_bytes(GBK_ROWS, delimiter="#"), encoding="gb18030").content.decode()
    assert "Only one column was found. Is the delimiter right?" in page
    assert not ImportJob.objects.exists()


def test_a_binary_file_is_refused_with_its_reason(as_user, rep):
    page = upload(as_user(rep), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), name="photo.csv").content.decode()
    assert "This is not a CSV or Excel file (it holds binary data)." in page
    assert not ImportJob.objects.exists()


def test_an_upload_form_lists_the_kinds_the_role_may_import(as_user, rep, agent):
    page = as_user(rep).get(reverse("web:import_new")).content.decode()
    assert all(f'value="{kind}"' in page for kind in ("customers", "contacts", "interactions", "orders"))
    assert 'accept=".csv,.xlsx"' in page and "up to 1 GB" in page and "Detect automatically" in page
    page = as_user(agent).get(reverse("web:import_new")).content.decode()
    assert 'value="customers"' in page and 'value="orders"' not in page
    response = upload(as_user(agent), csv_bytes(GBK_ROWS), kind="orders")
    assert response.status_code == 200 and not ImportJob.objects.exists()


def test_an_analyst_cannot_import(as_user, analyst):
    client = as_user(analyst)
    assert client.get(reverse("web:import_new")).status_code == 403
    assert upload(client, csv_bytes(GBK_ROWS)).status_code == 403
    page = client.get(reverse("web:import_list")).content.decode()
    assert "No imports yet." in page and reverse("web:import_new") not in page
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "rep2", "manager"])
def test_nobody_else_sees_a_job(request, as_user, finished, who):
    _client, job = finished
    other = as_user(request.getfixturevalue(who))
    for name in ("import_detail", "import_errors"):
        assert other.get(reverse(f"web:{name}", args=[job.pk])).status_code == 404
    for name in ("import_detail", "import_resume", "import_again"):
        assert other.post(reverse(f"web:{name}", args=[job.pk])).status_code == 404
    assert "客户.csv" not in other.get(reverse("web:import_list")).content.decode()


def test_an_administrator_sees_every_job(as_user, finished, admin):
    _client, job = finished
    client = as_user(admin)
    assert "王小明" in client.get(reverse("web:import_list")).content.decode()
    assert client.get(reverse("web:import_errors", args=[job.pk])).status_code == 200


def test_a_duplicate_links_to_the_customer_when_the_user_may_see_it(as_user, rep, outsider):
    mine = CustomerFactory(name="杭州西湖茶业有限公司", owner=rep, mobile="+8613812345678")
    CustomerFactory(name="宁波港口物流有限公司", owner=outsider, mobile="+8613987654321")
    client = as_user(rep)
    upload(client, csv_bytes(GBK_ROWS[:3]))
    job = ImportJob.objects.get()
    client.post(reverse("web:import_detail", args=[job.pk]), settings_data({0: "name", 1: "mobile"}, 4))
    page = client.get(reverse("web:import_detail", args=[job.pk])).content.decode()
    table = re.search(r'id="duplicates-rows".*?</table>', page, re.DOTALL).group(0)
    assert "Already in Manyi as “杭州西湖茶业有限公司” (same mobile)." in table
    assert reverse("web:customer_detail", args=[mine.pk]) in table
    assert "Already in Manyi, held by someone else (same mobile)." in table and table.count("Open the customer") == 1


def test_a_check_writes_nothing_and_can_then_be_imported(uploaded):
    client, job = uploaded
    client.post(reverse("web:import_detail", args=[job.pk]), settings_data({0: "name", 1: "mobile"}, 4, dry_run="on"))
    page = client.get(reverse("web:import_detail", args=[job.pk])).content.decode()
    assert "Check finished: nothing was written" in page and "Would be created" in page and not Customer.objects.exists()
    response = client.post(reverse("web:import_again", args=[job.pk]))
    fresh = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("web:import_detail", args=[fresh.pk])
    assert (fresh.status, fresh.dry_run, fresh.mapping) == (ImportStatus.PENDING, False, {"0": "name", "1": "mobile"})
    client.post(response["Location"], settings_data({0: "name", 1: "mobile"}, 4))
    assert Customer.objects.count() == 3


@pytest.fixture
def queued(uploaded, monkeypatch, django_capture_on_commit_callbacks):
    """A file with more rows than run in the request goes to the worker."""
    client, job = uploaded
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:import_detail", args=[job.pk]), settings_data({0: "name", 1: "mobile"}, 4))
    assert response.status_code == 302
    return client, job


def test_a_large_file_is_queued_and_its_progress_polled(queued, rep):
    client, job = queued
    task = DBTaskResult.objects.get()
    assert task.task_path == "manyi.transfer.tasks.run_import" and task.args_kwargs["args"] == [job.pk, rep.pk]
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and not Customer.objects.exists()
    url = reverse("web:import_detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert "imported in the background" in page and "Waiting for the background worker" in page
    assert f'hx-get="{url}" hx-trigger="every 1s"' in page and 'name="col_0"' not in page
    # The worker has read half the file.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, heartbeat_at=timezone.now(), position=2, bytes_done=job.size // 2)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="import-state"') and "<html" not in fragment
    assert 'aria-valuenow="50"' in fragment and "width: 50%" in fragment and "Importing…" in fragment and 'hx-trigger="every 1s"' in fragment
    assert "2 of about 4 rows done." in fragment
    # It finishes: the poll gets the summary, which polls no more.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PENDING)
    services.import_run(by=rep, job=job)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Import finished" in fragment and "hx-trigger" not in fragment and 'hx-swap-oob="true"' in fragment
    assert "Rejected rows" in fragment


def test_an_interrupted_import_is_resumed_from_its_position(uploaded, rep, django_capture_on_commit_callbacks):
    """The terminal or the worker running it was stopped after two rows."""
    client, job = uploaded
    services.import_configure(by=rep, job=job, mapping={0: "name", 1: "mobile"}, on_duplicate="skip")
    stale = timezone.now() - services.stale_after() - dt.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, heartbeat_at=stale, position=2)
    url = reverse("web:import_detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert "The import was interrupted" in page and "It stopped after row 2" in page and "hx-trigger" not in page
    assert "Interrupted" in client.get(reverse("web:import_list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:import_resume", args=[job.pk]))
    assert response["Location"] == url
    assert DBTaskResult.objects.get().args_kwargs["args"] == [job.pk, rep.pk]
    page = client.get(url).content.decode()
    assert "The import goes on from row 3." in page and "Waiting for the background worker" in page
    # The worker takes it and reads on after the second row (the third is rejected).
    services.import_run(by=rep, job=job)
    assert list(Customer.objects.values_list("name", flat=True)) == ["温州鞋业"]
    assert "Import finished" in client.get(url).content.decode()


def test_get_on_the_post_only_pages_is_refused(finished):
    client, job = finished
    assert client.get(reverse("web:import_resume", args=[job.pk])).status_code == 405
    assert client.post(reverse("web:import_errors", args=[job.pk])).status_code == 405


def test_the_pages_work_in_chinese(finished, settings):
    client, job = finished
    settings.LANGUAGE_CODE = "zh-hans"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for url in (reverse("web:import_list"), reverse("web:import_new"), reverse("web:import_detail", args=[job.pk])):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="zh-hans">' in response.content.decode()
