"""The export downloads and the vCard upload, as pages."""

import csv
import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from manyi.customers.models import Contact, Tag
from tests.factories import ContactFactory, CustomerFactory

VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:新联系人\r\nTEL;TYPE=CELL:13912345678\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:老联系人\r\nTEL;TYPE=CELL:13800138000\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:坏号码\r\nTEL;TYPE=CELL:12345\r\nEND:VCARD\r\n"
)


def csv_names(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return sorted(row[0] for row in list(csv.reader(io.StringIO(text)))[1:])


def test_csv_download_honours_the_list_filters(as_user, rep, customer, enterprise):
    enterprise.tags.add(Tag.objects.create(name="VIP"))
    response = as_user(rep).get("/customers/export.csv?tag=VIP&page=3&sort=name")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_names(response) == ["北京华为科技有限公司"]
    assert csv_names(as_user(rep).get("/customers/export.csv?q=张")) == ["张三"]


def test_the_owner_filter_is_ignored_for_a_rep_as_on_the_list(as_user, rep, rep2, customer):
    assert csv_names(as_user(rep).get(f"/customers/export.csv?owner={rep2.pk}")) == ["张三"]


def test_a_manager_filters_the_team_by_owner(as_user, manager, rep, rep2, customer):
    CustomerFactory(name="赵丽的客户", owner=rep2)
    assert csv_names(as_user(manager).get("/customers/export.csv")) == sorted(["张三", "赵丽的客户"])
    assert csv_names(as_user(manager).get(f"/customers/export.csv?owner={rep2.pk}")) == ["赵丽的客户"]


def test_the_outsider_downloads_an_empty_list(as_user, outsider, customer):
    assert csv_names(as_user(outsider).get("/customers/export.csv")) == []


def test_xlsx_download(as_user, rep, customer):
    response = as_user(rep).get("/customers/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet["A1"].value == "Name" and sheet["A2"].value == "张三"


def test_the_file_name_is_chinese_in_chinese(as_user, rep, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = as_user(rep).get("/customers/export.csv")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(f'客户-{today}.csv')}"
    header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert header.startswith("名称,客户类型,客户类别")


def test_exports_need_a_login(client):
    response = client.get("/customers/export.csv")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_vcard_download(as_user, rep, customer):
    ContactFactory(customer=customer, name="李经理", mobile="+8613900001111", title="采购")
    response = as_user(rep).get(f"/customers/{customer.pk}/contacts.vcf")
    assert response.status_code == 200 and response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('张三-contacts.vcf')}"
    text = response.content.decode()
    assert "FN:李经理\r\n" in text and "TEL;TYPE=CELL:+8613900001111\r\n" in text and "ORG:张三\r\n" in text


def test_vcard_upload_shows_what_was_added_skipped_and_refused(as_user, rep, customer):
    ContactFactory(customer=customer, name="老联系人", mobile="+8613800138000")
    response = as_user(rep).post(f"/customers/{customer.pk}/contacts/vcard/", {"file": SimpleUploadedFile("c.vcf", VCARDS.encode())})
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 contact added." in page
    assert "1 card skipped: its mobile or e-mail is here already." in page
    assert "1 card could not be added:" in page and "Line 11: 坏号码: mobile: “12345” is not a valid phone number" in page
    assert set(Contact.objects.filter(customer=customer).values_list("name", flat=True)) == {"老联系人", "新联系人"}


def test_vcard_upload_of_another_file_says_what_is_wrong(as_user, rep, customer):
    response = as_user(rep).post(f"/customers/{customer.pk}/contacts/vcard/", {"file": SimpleUploadedFile("c.csv", "姓名,手机\n".encode())})
    assert response.status_code == 200
    assert "This is not a vCard file: it has no BEGIN:VCARD line." in response.content.decode()


def test_vcard_upload_form_page(as_user, manager, customer):
    response = as_user(manager).get(f"/customers/{customer.pk}/contacts/vcard/")
    assert response.status_code == 200 and 'name="file"' in response.content.decode()


def test_readers_who_may_not_change_contacts_cannot_upload(as_user, analyst, customer):
    response = as_user(analyst).post(f"/customers/{customer.pk}/contacts/vcard/", {"file": SimpleUploadedFile("c.vcf", VCARDS.encode())})
    assert response.status_code == 403
    assert not Contact.objects.filter(customer=customer).exists()


@pytest.fixture
def list_request(rep):
    request = RequestFactory().get("/customers/", {"q": "张", "tag": "VIP", "page": "2", "sort": "name"})
    request.user = rep
    return request


def test_export_buttons_carry_the_list_filters(list_request):
    html = render_to_string("web/exports/_export_buttons.html", request=list_request)
    assert 'href="/customers/export.csv?q=%E5%BC%A0&amp;tag=VIP"' in html
    assert 'href="/customers/export.xlsx?q=%E5%BC%A0&amp;tag=VIP"' in html


def test_vcard_panel_offers_the_upload_only_to_those_who_may_change_contacts(list_request, customer):
    context = {"customer": customer, "contacts": [object()], "can_edit": True}
    html = render_to_string("web/exports/_vcard_panel.html", context, request=list_request)
    assert f"/customers/{customer.pk}/contacts.vcf" in html and f'action="/customers/{customer.pk}/contacts/vcard/"' in html
    html = render_to_string("web/exports/_vcard_panel.html", context | {"can_edit": False, "contacts": []}, request=list_request)
    assert "contacts.vcf" not in html and "<form" not in html
