"""vCards: written as 3.0, read as phones export them, and imported as contacts."""

import datetime as dt

import pytest
from django.utils import translation

from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers.models import Contact
from manyi.transfer import export
from manyi.transfer.vcard import Problem, fold, parse_vcards, to_vcard
from manyi.transfer.vcard_import import vcard_import
from tests.factories import ContactFactory, CustomerFactory

CRLF = "\r\n"

# As a Chinese Android phone exports contacts: vCard 2.1, quoted-printable
# UTF-8 with soft line breaks, bare parameters (CELL, WORK).
ANDROID = CRLF.join([
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B;=E5=B0=8F=E6=98=8E;;;",
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B=E5=B0=8F=E6=98=8E",
    "TEL;CELL:138-0013-8000",
    "TEL;WORK:010-8888 6666",
    "TEL;HOME:021-6666 8888",
    "EMAIL;HOME:Wang@Example.cn",
    "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=8D=8E=E4=B8=BA;=E9=94=80=E5=94=AE=E9=83=A8",
    "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=E5=96=9C=E6=AC=A2=E5=96=9D=E8=8C=B6=EF=BC=8C=E4=B8=8D=E5=96=9D=E5=92=96=",
    "=E5=95=A1",
    "BDAY:1985-03-07",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=9D=8E;=E5=9B=9B;;;",
    "TEL;TYPE=CELL:+86 139 0000 1111",
    "END:VCARD",
    "",
])


def cards(text):
    return list(parse_vcards(text))


def test_long_chinese_text_folds_at_75_octets_and_unfolds_back():
    notes = "客户非常在意售后服务的响应速度，" * 20 + "\n第二段：报价, 折扣; 反斜杠 \\ 都要保留。"
    text = to_vcard([{"name": "欧阳娜娜", "notes": notes, "org": "北京华为科技有限公司", "mobile": "+8613800138000"}])
    lines = text.split(CRLF)
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert all(line.encode("utf-8").decode("utf-8") == line for line in lines)  # no character cut in two
    assert sum(line.startswith(" ") for line in lines) > 5
    [(line, card)] = cards(text)
    assert line == 1
    assert card["name"] == "欧阳娜娜" and card["notes"] == notes and card["mobile"] == "+8613800138000"


def test_fold_never_splits_a_character():
    line = "NOTE:" + "a" + "满" * 100  # a 3-octet character would straddle octet 75
    pieces = fold(line).split(CRLF)
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert "".join(piece[1:] if i else piece for i, piece in enumerate(pieces)) == line


def test_escapes_round_trip():
    card = {"name": "Smith, John; Jr.", "title": "C:\\路径", "notes": "一行\n二行", "org": "A;B公司", "department": "销售,华东"}
    text = to_vcard([card])
    assert "FN:Smith\\, John\\; Jr." in text and "NOTE:一行\\n二行" in text and "TITLE:C:\\\\路径" in text
    [(_line, read)] = cards(text)
    assert {key: read[key] for key in card} == card


def test_the_android_quoted_printable_sample():
    (line1, wang), (line2, li) = cards(ANDROID)
    assert (line1, line2) == (1, 14)
    assert wang["name"] == "王小明"
    assert (wang["mobile"], wang["phone"], wang["more_phones"]) == ("138-0013-8000", "010-8888 6666", ["021-6666 8888"])
    assert (wang["org"], wang["department"]) == ("华为", "销售部")
    assert wang["notes"] == "喜欢喝茶，不喝咖啡"  # continued after the soft line break
    assert wang["birthday"] == dt.date(1985, 3, 7)
    assert li["name"] == "李四" and li["mobile"] == "+86 139 0000 1111"  # N without FN


def test_quoted_printable_in_gbk():
    text = "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:=D5=C5=C8=FD\nEND:VCARD\n"
    assert cards(text)[0][1]["name"] == "张三"


def test_vcard_4_and_apple_forms():
    text = CRLF.join([
        "BEGIN:VCARD", "VERSION:4.0", "N:Smith;John;;Dr.;", 'TEL;VALUE=uri;TYPE="cell,voice":tel:+1-650-253-0000',
        "item1.TEL;type=WORK:13912345678", "item1.X-ABLabel:助理", "item2.EMAIL;type=INTERNET;type=pref:john@x.com",
        "BDAY:--0501", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ", " AAAQABAAD", "END:VCARD",
    ])  # fmt: skip
    [(_line, card)] = cards(text)
    assert card["name"] == "Dr. John Smith"
    assert (card["mobile"], card["phone"]) == ("+1-650-253-0000", "13912345678")
    assert card["email"] == "john@x.com" and card["birthday"] is None  # a birthday without a year is not kept


def test_malformed_cards_are_reported_with_their_line_and_the_rest_read():
    lines = [
        "garbage before the first card",  # 1
        "BEGIN:VCARD", "VERSION:3.0", "FN:好人", "END:VCARD",  # 2-5
        "BEGIN:VCARD", "VERSION:3.0", "FN:坏行", "TEL;CELL 13800138000", "END:VCARD",  # 6-10
        "BEGIN:VCARD", "VERSION:3.0", "TEL:13800138000", "END:VCARD",  # 11-14
        "BEGIN:VCARD", "FN:没有结尾",  # 15-16
        "BEGIN:VCARD", "FN:最后一个", "NOTE;CHARSET=NO-SUCH;ENCODING=QUOTED-PRINTABLE:=E5", "END:VCARD",  # 17-20
        "BEGIN:VCARD", "FN:文件结束",  # 21-22
    ]  # fmt: skip
    assert cards("\n".join(lines)) == [
        (1, Problem("outside", "garbage before the first card")),
        (2, cards("BEGIN:VCARD\nFN:好人\nEND:VCARD")[0][1]),
        (9, Problem("bad_line", "TEL;CELL 13800138000")),
        (11, Problem("no_name")),
        (15, Problem("unterminated")),
        (19, Problem("charset", "NO-SUCH")),
        (21, Problem("unterminated")),
    ]


# Importing


@pytest.fixture
def existing(customer):
    return ContactFactory(customer=customer, name="老王", mobile="+8613800138000", email="old@example.cn")


def test_import_adds_contacts_and_skips_duplicates(rep, customer, existing):
    text = ANDROID + to_vcard([
        {"name": "同邮箱", "email": "OLD@example.cn"},  # the existing contact's e-mail, in capitals
        {"name": "李四又一张", "mobile": "13900001111"},  # the same mobile as 李四 above, written differently
    ])  # fmt: skip
    with translation.override("en"):
        result = vcard_import(by=rep, customer=customer, data=text.encode("utf-8-sig"))
    # 王小明's mobile is 老王's: a duplicate; 李四 is new.
    assert (result.created, result.skipped_duplicates, result.errors) == (1, 3, [])
    li = Contact.objects.get(customer=customer, name="李四")
    assert li.mobile == "+8613900001111"


def test_import_keeps_extra_numbers_in_the_notes(rep, customer):
    with translation.override("en"):
        result = vcard_import(by=rep, customer=customer, data=ANDROID.encode())
    assert result.created == 2
    wang = Contact.objects.get(customer=customer, name="王小明")
    assert (wang.mobile, wang.phone, wang.email, wang.department) == ("+8613800138000", "+861088886666", "wang@example.cn", "销售部")
    assert wang.notes == "喜欢喝茶，不喝咖啡\nOther phone numbers: 021-6666 8888"
    assert wang.birthday == dt.date(1985, 3, 7)


def test_import_reports_cards_it_cannot_store_with_their_line(rep, customer):
    text = to_vcard([{"name": "好的", "mobile": "13800138000"}, {"name": "坏号码", "mobile": "12345"}])
    with translation.override("en"):
        result = vcard_import(by=rep, customer=customer, data=text.encode())
    assert result.created == 1
    [(line, message)] = result.errors
    assert line == 7 and message.startswith("坏号码: mobile: “12345” is not a valid phone number")


def test_import_reads_gb18030_files(rep, customer):
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三丰\r\nTEL;TYPE=CELL:13800138000\r\nEND:VCARD\r\n"
    result = vcard_import(by=rep, customer=customer, data=text.encode("gb18030"))
    assert result.created == 1 and Contact.objects.filter(customer=customer, name="张三丰").exists()


def test_import_refuses_a_file_that_is_not_a_vcard(rep, customer):
    with translation.override("en"), pytest.raises(ValidationFailed, match="not a vCard file"):
        vcard_import(by=rep, customer=customer, data="姓名,手机\n张三,13800138000\n".encode())


def test_only_those_who_may_change_the_contacts_import(analyst, customer):
    with pytest.raises(PermissionDenied):
        vcard_import(by=analyst, customer=customer, data=ANDROID.encode())


def test_exported_contacts_import_into_another_customer_unchanged(rep, customer, existing, enterprise):
    existing.title, existing.department, existing.phone, existing.notes = "采购经理", "采购部", "+861088886666", "爱喝茶, 不抽烟"
    existing.birthday = dt.date(1980, 1, 2)
    existing.save()
    text = to_vcard(export.contacts_for_vcard(user=rep, customer=customer))
    assert vcard_import(by=rep, customer=enterprise, data=text.encode()).created == 1
    copy = Contact.objects.get(customer=enterprise)
    fields = ("name", "title", "department", "mobile", "phone", "email", "birthday", "notes")
    assert [getattr(copy, f) for f in fields] == [getattr(existing, f) for f in fields]


# The pages


def test_the_outsider_can_neither_download_nor_import_someone_elses_contacts(client, outsider, customer, existing):
    client.force_login(outsider)
    assert client.get(f"/customers/{customer.pk}/contacts.vcf").status_code == 404
    response = client.post(f"/customers/{customer.pk}/contacts/vcard/", {"file": _upload(ANDROID)})
    assert response.status_code == 404
    assert Contact.objects.filter(customer=customer).count() == 1


def test_a_rep_cannot_reach_another_reps_customer(client, rep2, customer):
    client.force_login(rep2)
    assert client.get(f"/customers/{customer.pk}/contacts.vcf").status_code == 404
    other = CustomerFactory(owner=rep2)
    assert client.get(f"/customers/{other.pk}/contacts.vcf").status_code == 200


def _upload(text, name="contacts.vcf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/vcard")
