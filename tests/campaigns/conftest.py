"""Real servers for the campaign tests: an SMTP server (aiosmtpd, in a thread)
and an SMS provider speaking the generic HTTP API (http.server, in a thread),
both recording what they receive; and audiences of customers with consent."""

from __future__ import annotations

import email
import json
import socket
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone, translation

from manyi.campaigns.models import ChannelKind, ConsentEvent, ConsentSource
from manyi.customers.models import Customer


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the SMTP server accepted: one entry per message."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"

    def recipients(self) -> list[str]:
        with self.lock:
            return [to for tos in self.envelopes for to in tos]


class SmtpServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp(settings):
    """A local SMTP server, and Django's mail going to it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_SSL = settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "news@manyi.example"
    yield server
    server.stop()


class SmsProvider:
    """The generic HTTP API: POST {to, text, ref, sign} with a bearer token;
    answers {id, status}. Numbers in `refuse` get a 400 with a message."""

    token = "sms-secret"

    def __init__(self):
        self.requests: list[dict] = []
        self.refuse: dict[str, str] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body["authorization"] = self.headers.get("Authorization", "")
                provider.requests.append(body)
                if body["authorization"] != f"Bearer {provider.token}":
                    self._answer(401, {"message": "bad token"})
                elif body["to"] in provider.refuse:
                    self._answer(400, {"message": provider.refuse[body["to"]]})
                else:
                    self._answer(200, {"id": f"sms-{len(provider.requests)}", "status": "accepted"})

            def _answer(self, status, data):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms(settings):
    provider = SmsProvider()
    settings.MANYI_SMS_URL, settings.MANYI_SMS_TOKEN, settings.MANYI_SMS_SIGN = provider.url, provider.token, "满意科技"
    yield provider
    provider.stop()


def make_customers(owner, n: int, *, prefix: str = "客户", consent: str | None = "email", unsubscribed: int = 0, kind: str = "individual") -> list[Customer]:
    """n customers of `owner` with an e-mail and a mobile; the first n−unsubscribed
    consent on `consent`, the last `unsubscribed` consented and then withdrew."""
    rows = [
        Customer(name=f"{prefix}{i}", kind=kind, gender="male" if i % 2 else "female", owner=owner, team=owner.team,
                 email=f"{prefix.lower()}{i}@example.com" if prefix.isascii() else f"c{i}@{owner.username}.example.com",
                 mobile=f"+86138{i:08d}")
        for i in range(n)
    ]  # fmt: skip
    customers = Customer.objects.bulk_create(rows, batch_size=2000)
    if consent:
        earlier = timezone.now() - timezone.timedelta(days=30)
        events = [ConsentEvent(customer=c, channel=consent, granted=True, source=ConsentSource.IMPORT, at=earlier) for c in customers]
        events += [ConsentEvent(customer=c, channel=consent, granted=False, source=ConsentSource.UNSUBSCRIBE_LINK) for c in customers[n - unsubscribed :]]
        ConsentEvent.objects.bulk_create(events, batch_size=2000)
    return customers


EMAIL = ChannelKind.EMAIL
