"""How messages leave: e-mail over SMTP and SMS through a provider's HTTP API,
behind one small interface. A channel is opened once per batch (one SMTP
connection for the batch), sends message by message and says for each what
happened; it never touches the database."""

from __future__ import annotations

import json
import smtplib
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection


@dataclass(frozen=True)
class Outgoing:
    ref: str  # our reference: the recipient's id
    to: str
    text: str
    subject: str = ""
    message_id: str = ""
    unsubscribe_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    provider_id: str = ""
    error: str = ""
    transient: bool = False  # worth another try later (connection lost, 4xx, provider busy)


class Channel(Protocol):
    def open(self) -> None: ...

    def send(self, message: Outgoing) -> Outcome: ...

    def close(self) -> None: ...


class EmailChannel:
    """SMTP through Django's mail connection (MANYI_SMTP_URL), one connection per batch.

    Each message carries its deterministic Message-ID and List-Unsubscribe
    (the one-click https link, RFC 2369 / RFC 8058: a mailto would reach
    no one who reads unsubscribe requests)."""

    def __init__(self, *, from_email: str | None = None):
        self.from_email = from_email or settings.DEFAULT_FROM_EMAIL
        self.connection = None

    def open(self) -> None:
        self.connection = get_connection(fail_silently=False)
        # Opened here, the connection stays open across messages (an
        # EmailMessage opening it itself would close it after each one).
        self._connect()

    def _connect(self) -> None:
        try:
            self.connection.open()
            # smtplib writes a message's end apart from its body: without
            # this, Nagle's algorithm holds it back for the server's delayed
            # ACK on a connection kept open (measured: 4-6 ms a message).
            # (Only the SMTP backend has a socket; the file backend the demo uses has none.)
            if sock := getattr(getattr(self.connection, "connection", None), "sock", None):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (smtplib.SMTPException, OSError):
            # Unreachable now: each message tries again and reports the error.
            self.connection.close()

    def send(self, message: Outgoing) -> Outcome:
        headers = {"Message-ID": message.message_id, **message.headers}
        if message.unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMessage(message.subject, message.text, self.from_email, [message.to], headers=headers, connection=self.connection)
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return Outcome(False, error=_smtp_text(code, reply), transient=400 <= code < 500)
        except smtplib.SMTPResponseException as exc:
            self._drop()
            return Outcome(False, error=_smtp_text(exc.smtp_code, exc.smtp_error), transient=400 <= exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, dropped or timed out: try again in a later run.
            self._drop()
            return Outcome(False, error=f"{type(exc).__name__}: {exc}", transient=True)
        return Outcome(True)

    def _drop(self) -> None:
        """Forget a connection in an unknown state; the next message opens a new one."""
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail in any way
                pass
            self._connect()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _smtp_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"SMTP {code}: {text}"


class SmsProvider(Protocol):
    def send(self, *, to: str, text: str, ref: str) -> Outcome: ...


class GenericHttpSmsProvider:
    """POST {to, text, ref, sign} as JSON with `Authorization: Bearer <token>`;
    the answer is {id, status}. A 4xx answer is a refusal (failed, with the
    provider's message); 5xx, 429 and network errors are transient."""

    def __init__(self, *, url: str, token: str, sign: str = "", timeout: float = 10.0):
        self.url, self.token, self.sign, self.timeout = url, token, sign, timeout

    def send(self, *, to: str, text: str, ref: str) -> Outcome:
        if not self.url:
            return Outcome(False, error="MANYI_SMS_URL is not set: no SMS provider to send through.")
        body = json.dumps({"to": to, "text": text, "ref": ref, "sign": self.sign}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the configured provider
                answer = _json(response.read())
        except urllib.error.HTTPError as exc:
            answer = _json(exc.read())
            message = str(answer.get("message") or answer.get("error") or exc.reason)
            return Outcome(False, error=f"HTTP {exc.code}: {message}", transient=exc.code >= 500 or exc.code == 429)
        except (urllib.error.URLError, socket.timeout, OSError) as exc:
            return Outcome(False, error=f"{type(exc).__name__}: {exc}", transient=True)
        status = str(answer.get("status", "")).lower()
        if status in ("failed", "rejected", "error"):
            return Outcome(False, provider_id=str(answer.get("id", "")), error=str(answer.get("message") or status))
        return Outcome(True, provider_id=str(answer.get("id", "")))


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {}


class SmsChannel:
    def __init__(self, provider: SmsProvider):
        self.provider = provider

    def open(self) -> None:
        pass

    def send(self, message: Outgoing) -> Outcome:
        return self.provider.send(to=message.to, text=message.text, ref=message.ref)

    def close(self) -> None:
        pass


def sms_provider() -> SmsProvider:
    return GenericHttpSmsProvider(url=settings.MANYI_SMS_URL, token=settings.MANYI_SMS_TOKEN, sign=settings.MANYI_SMS_SIGN)


def channel_for(kind: str) -> Channel:
    return SmsChannel(sms_provider()) if kind == "sms" else EmailChannel()
