"""Notifications: in the app always, and by e-mail through a real (local)
SMTP server when one is configured."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from manyi.service import services
from manyi.service.models import Notification
from tests.service.helpers import file_complaint


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.MANYI_SMTP_URL = f"smtp://127.0.0.1:{smtp_server.port}"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    return smtp_server


def test_an_assignment_is_emailed_once(customer, rep, smtp_settings, django_capture_on_commit_callbacks):
    rep.email = "rep@example.com"
    rep.save()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(customer, by=None, subject="净水器漏水")
    note = Notification.objects.get(user=rep, complaint=complaint)
    # the worker's task: the queued e-mail goes through the SMTP conversation
    assert services.notification_email(notification_id=note.pk) is True
    assert services.notification_email(notification_id=note.pk) is False
    [message] = smtp_settings.messages
    assert message["To"] == "rep@example.com"
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    assert complaint.number in body and "净水器漏水" in body
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


def test_without_smtp_only_the_app_is_told(customer, rep, settings):
    settings.MANYI_SMTP_URL = ""
    complaint = file_complaint(customer, by=None)
    note = Notification.objects.get(user=rep, complaint=complaint)
    assert note.emailed_at is None and note.read_at is None
    assert services.notification_read(user=rep) == 1


def test_a_person_without_an_address_gets_no_mail(customer, rep, smtp_settings):
    rep.email = ""
    rep.save()
    complaint = file_complaint(customer, by=None)
    note = Notification.objects.get(user=rep, complaint=complaint)
    assert services.notification_email(notification_id=note.pk) is False
    assert smtp_settings.messages == []
