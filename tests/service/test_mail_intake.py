"""Inbound e-mail becomes a complaint, or the customer's next message on an
open one: the polling task against a real local IMAP server (Dovecot)."""

from email.message import EmailMessage
from email.utils import format_datetime
from io import StringIO
from urllib.parse import quote

import pytest
from django.utils import timezone

from manyi.customers.models import Customer
from manyi.service.models import Complaint, EventKind
from manyi.service.tasks import poll_mailbox
from tests.factories import ContactFactory


def _mail(*, sender: str, subject: str, body: str, message_id: str, charset: str = "utf-8", attachment: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kefu@manyi.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(timezone.now())
    msg.set_content(body, charset=charset)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="image", subtype="png", filename="照片.png")
    return msg.as_bytes()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def mailbox_settings(settings, inbox, admin):
    settings.MANYI_COMPLAINT_MAILBOX = f"imap://{quote(inbox.user)}:{quote(inbox.password, safe='')}@{inbox.host}:{inbox.port}/INBOX"
    return inbox


def test_mail_from_a_contact_becomes_a_complaint_and_its_reply_a_message(mailbox_settings, enterprise, rep):
    contact = ContactFactory(customer=enterprise, name="李采购", email="li@huawei.example")
    mailbox_settings.append(_mail(sender="李采购 <li@huawei.example>", subject="设备又停机了", body="第三次停机了，再不解决我们就换供应商！",
                                  message_id="a1@huawei.example", charset="gbk", attachment=PNG))  # fmt: skip
    assert poll_mailbox.call() == {"read": 1, "filed": 1, "skipped": 0, "failed": 0}
    complaint = Complaint.objects.get()
    assert complaint.customer == enterprise and complaint.contact == contact and complaint.channel == "email"
    assert complaint.subject == "设备又停机了" and complaint.escalation == "high"
    assert complaint.attachments.get().name == "照片.png"
    # nothing new: the filed mail was marked seen
    assert poll_mailbox.call() == {"read": 0, "filed": 0, "skipped": 0, "failed": 0}
    mailbox_settings.append(_mail(sender="li@huawei.example", subject=f"Re: {complaint.number} 设备又停机了", body="工程师还没到，今天必须给答复。",
                                  message_id="a2@huawei.example"))  # fmt: skip
    assert poll_mailbox.call()["filed"] == 1
    assert Complaint.objects.count() == 1
    message = complaint.events.get(kind=EventKind.MESSAGE)
    assert "工程师还没到" in message.notes and message.interaction.direction == "inbound"


def test_the_same_mail_twice_is_filed_once(mailbox_settings, customer):
    raw = _mail(sender="someone@example.cn", subject="退款", body="说好的退款还没到账。", message_id="dup@example.cn")
    mailbox_settings.append(raw)
    mailbox_settings.append(raw)
    assert poll_mailbox.call() == {"read": 2, "filed": 1, "skipped": 1, "failed": 0}
    assert Complaint.objects.count() == 1


def test_an_unknown_sender_becomes_a_customer_of_the_mailbox_owner(mailbox_settings, admin):
    mailbox_settings.append(_mail(sender="=?utf-8?b?546L5aSn5aOw?= <wang@example.cn>", subject="快递破损", body="收到的净水器外壳裂了。", message_id="new@example.cn"))
    poll_mailbox.call()
    complaint = Complaint.objects.get()
    customer = Customer.objects.get(pk=complaint.customer_id)
    assert customer.email == "wang@example.cn" and customer.name == "王大声" and customer.owner == admin and customer.kind == "individual"
    assert complaint.reporter_email == "wang@example.cn"


def test_no_mailbox_configured_does_nothing(settings):
    settings.MANYI_COMPLAINT_MAILBOX = ""
    assert poll_mailbox.call() is None


def test_the_command_reads_the_mailbox_once(mailbox_settings, customer):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    mailbox_settings.append(_mail(sender="a@example.cn", subject="投诉", body="退款还没到。", message_id="cmd@example.cn"))
    out = StringIO()
    call_command("complaints", "poll-mail", stdout=out)
    assert "Read 1 mails: 1 filed" in out.getvalue()
    with pytest.raises(CommandError, match="login as nobody failed"):
        call_command("complaints", "poll-mail", "--mailbox", f"imap://nobody:wrong@{mailbox_settings.host}:{mailbox_settings.port}/INBOX")


def test_the_command_sweeps(db):
    from django.core.management import call_command

    out = StringIO()
    call_command("complaints", "sweep", stdout=out)
    assert out.getvalue().startswith("Checked 0 open complaints")
