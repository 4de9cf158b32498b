"""Inbound e-mail: read unseen messages from an IMAP folder and parse them.

Pure Python (stdlib `imaplib` and `email`), no Django: the service that turns
an `InboundMail` into a complaint lives elsewhere.

    with mailbox_from_url("imap://support%40example.com:secret@mail.example.com/INBOX") as box:
        for mail in box.unseen():
            handle(mail)
            box.mark_seen(mail.uid)

Chinese mail is the common case, not the exception: headers and bodies in
GB2312/GBK/GB18030 (declared or not), RFC 2047 and RFC 2231 encoded names,
raw 8-bit headers, and the reply styles of Gmail, Outlook, Apple Mail and
QQ Mail / Foxmail ("在 … 写道：", "------------------ 原始邮件 ------------------").
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import email
import email.policy
import email.utils
import html
import imaplib
import mimetypes
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from html.parser import HTMLParser
from typing import Self
from urllib.parse import unquote, urlsplit

__all__ = [
    "ImapMailbox",
    "InboundMail",
    "MailAttachment",
    "MailboxError",
    "mailbox_from_url",
    "parse_message",
]


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InboundMail:
    uid: str  # IMAP UID in the folder ("" when parsed from bytes alone)
    message_id: str  # Message-ID without <> ("" if missing)
    in_reply_to: str  # In-Reply-To without <>, else the last References id, else ""
    from_name: str  # decoded display name
    from_address: str  # lower-cased address
    subject: str  # decoded
    text: str  # the new text of the mail: plain text, quoted reply removed
    attachments: tuple[MailAttachment, ...]
    received_at: datetime  # aware: the Date header, else the time of parsing (UTC)


# --- charsets ---------------------------------------------------------------

# Labels a Chinese mailer puts on text that is really GBK or GB18030: decode all
# of them as GB18030, the superset, so a character outside GB2312 under a
# "gb2312" label is not lost.
_GB_ALIASES = frozenset(
    {"gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn",
     "csgb2312", "chinese", "gb18030"}
)
_NO_CHARSET = frozenset({"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "default", "8bit"})


def _codec(charset: str | None) -> str | None:
    """A Python codec for a MIME charset label, or None if unknown/absent."""
    label = (charset or "").strip().strip('"').lower()
    if label in _NO_CHARSET:
        return None
    if label in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, falling back to GB18030, then UTF-8
    with replacement. Without a declared charset (or with us-ascii, which 8-bit
    text contradicts) strict UTF-8 is tried first: GB18030 accepts nearly any
    byte sequence and would turn UTF-8 into mojibake."""
    if data.isascii():
        return data.decode("ascii")
    codec = _codec(charset)
    candidates = [codec] if codec else ["utf-8"]
    candidates += ["gb18030"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _undo_8bit(value: str) -> str:
    """The email package keeps raw 8-bit header bytes as surrogate escapes;
    decode them (Chinese mailers often send GBK or UTF-8 headers unencoded)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("ascii", "surrogateescape"))


# RFC 2047: =?charset[*lang]?B|Q?text?=
_ENCODED_WORD = re.compile(r"=\?([^?*\s]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        with contextlib.suppress(binascii.Error, ValueError):
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return text.encode("ascii", "replace")
    return binascii.a2b_qp(text.replace("_", " ").encode("ascii", "replace"), header=True)


def decode_header(value: str | None) -> str:
    """An unfolded, decoded header value: RFC 2047 encoded words (adjacent
    words in one charset are joined before decoding, since some mailers split
    a multibyte character across two words) and raw 8-bit bytes."""
    if not value:
        return ""
    value = _undo_8bit(_FOLD.sub("", str(value)))
    out: list[str] = []
    pos = 0
    run_charset: str | None = None
    run: bytearray = bytearray()

    def flush() -> None:
        nonlocal run_charset
        if run_charset is not None:
            out.append(decode_bytes(bytes(run), run_charset))
            run.clear()
            run_charset = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        # Whitespace between two encoded words is not part of the text.
        if between and not (run_charset is not None and between.isspace()):
            flush()
            out.append(between)
        charset = match.group(1).lower()
        if run_charset is not None and charset != run_charset:
            flush()
        run_charset = charset
        run += _word_bytes(match.group(2), match.group(3))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def _header(msg: Message, name: str) -> str | None:
    """The raw value of a header (the first one), unprocessed by any policy."""
    name = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return None


# --- addresses, ids, dates --------------------------------------------------

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+", re.UNICODE)


def _message_id(value: str | None) -> str:
    if not value:
        return ""
    value = _FOLD.sub("", value).strip()
    match = _ANGLE_ID.search(value)
    if match:
        return match.group(1)
    return value if value and not any(ch.isspace() for ch in value) else ""


def _reply_target(in_reply_to: str | None, references: str | None) -> str:
    if in_reply_to:
        ids = _ANGLE_ID.findall(_FOLD.sub("", in_reply_to))
        if ids:
            return ids[0]
        bare = _message_id(in_reply_to)
        if "@" in bare:
            return bare
    if references:
        ids = _ANGLE_ID.findall(_FOLD.sub("", references))
        if ids:
            return ids[-1]
    return ""


def _sender(value: str | None) -> tuple[str, str]:
    if not value:
        return "", ""
    value = _undo_8bit(_FOLD.sub("", value))
    name, address = email.utils.parseaddr(value)
    if "@" not in address:
        match = _ADDRESS.search(value)
        address = match.group(0) if match else address
    name = " ".join(decode_header(name).split())
    if name.lower() == address.lower():
        name = ""
    return name, address.strip().lower()


def _date(value: str | None) -> datetime:
    if value:
        try:
            when = email.utils.parsedate_to_datetime(_FOLD.sub("", value).strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.now(UTC)


# --- HTML to text -----------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
     "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
     "section", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)
# Elements whose content is never text to read.
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"})
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside a skipped element
        self.quote = 0  # depth inside <blockquote>: a quoted earlier mail

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in _BLOCK_TAGS and tag not in _VOID_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.quote:
            self.parts.append(data)


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: no tags, scripts, styles or quoted
    <blockquote>s; entities unescaped; runs of spaces made one and runs of
    blank lines made one, the line breaks of block elements kept."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - HTMLParser is lenient
        return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", markup)).split())
    text = "".join(parser.parts).replace("\xa0", " ").replace("\u200b", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# --- quoted replies ---------------------------------------------------------

# "On Mon, 1 Jan 2024 at 10:00, Li Lei <li@example.com> wrote:" (may wrap onto a second line)
_ON_WROTE = re.compile(r"^\s*On\s.*\bwrote\s*:\s*$", re.IGNORECASE)
_ON_START = re.compile(r"^\s*On\s.*\d", re.IGNORECASE)
_WROTE_END = re.compile(r"\bwrote\s*:\s*$", re.IGNORECASE)
# "在 2024年1月1日 周一 10:00，李雷 <li@example.com> 写道：", Apple Mail's "2024年1月1日 10:00，李雷 … 写道："
_ZH_WROTE = re.compile(r"^.*\d.*(写道|寫道)\s*[:：]\s*$")
# "-----Original Message-----", QQ Mail / Foxmail "------------------ 原始邮件 ------------------"
_ORIGINAL = re.compile(r"^\s*-{3,}\s*(original message|原始邮件|原始郵件|原邮件|回复的原邮件)\s*-{3,}\s*$", re.IGNORECASE)
# Outlook's header block: "From: …" then "Sent: …" / "发件人: …" then "发送时间: …"
_OUTLOOK_FROM = re.compile(r"^\s*(\*?from\*?|发件人|寄件者)\s*[:：]", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*(\*?(sent|date|to)\*?|发送时间|时间|日期|收件人|寄件日期)\s*[:：]", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new text of a reply: lines quoted with ">" dropped, and everything
    from the attribution line of the quoted mail on."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            _ON_WROTE.match(line)
            or (_ON_START.match(line) and _WROTE_END.search(following) and not _ON_START.match(following))
            or _ZH_WROTE.match(line)
            or _ORIGINAL.match(line)
            or (_OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(nxt) for nxt in lines[i + 1 : i + 4]))
        ):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()


# --- MIME structure ---------------------------------------------------------


def _param(part: Message, name: str, header: str) -> str:
    value = part.get_param(name, header=header)
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text as latin-1 code points)
        charset, _language, text = value
        return decode_bytes(text.encode("latin-1", "replace"), charset)
    return decode_header(email.utils.unquote(value))


def _filename(part: Message) -> str:
    name = _param(part, "filename", "content-disposition") or _param(part, "name", "content-type")
    # Keep a base name only: a mailer's path is no business of ours.
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _is_attachment(part: Message) -> bool:
    """A leaf part that is not body text: anything but text/plain and
    text/html, and those too when marked as an attachment or named."""
    disposition = (part.get("content-disposition") or "").split(";", 1)[0].strip().lower()
    if disposition == "attachment":
        return True
    if part.get_content_type() in ("text/plain", "text/html"):
        return bool(_filename(part))
    return True


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    return b""


def _part_text(part: Message) -> str:
    return decode_bytes(_payload(part), part.get_content_charset())


def _walk(msg: Message, plain: list[str], htmls: list[str], attachments: list[MailAttachment]) -> None:
    """Collect body texts and attachments, depth first. A forwarded mail
    (message/rfc822, which the parser treats as multipart) is walked too: a
    colleague forwarding a customer's mail files the customer's words."""
    if msg.is_multipart():
        for sub in msg.get_payload():
            if isinstance(sub, Message):
                _walk(sub, plain, htmls, attachments)
        return
    content_type = msg.get_content_type()
    if not _is_attachment(msg):
        (plain if content_type == "text/plain" else htmls).append(_part_text(msg))
        return
    filename = _filename(msg) or f"attachment-{len(attachments) + 1}{mimetypes.guess_extension(content_type) or ''}"
    attachments.append(MailAttachment(filename=filename, content_type=content_type, data=_payload(msg)))


def parse_message(raw: bytes, *, uid: str = "") -> InboundMail:
    """Parse an RFC 5322 message. Never raises on malformed mail: what cannot
    be read is left empty (and the body falls back to replacement characters)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    from_name, from_address = _sender(_header(msg, "from"))
    plain: list[str] = []
    htmls: list[str] = []
    attachments: list[MailAttachment] = []
    _walk(msg, plain, htmls, attachments)
    if any(p.strip() for p in plain):
        body = "\n\n".join(p for p in plain if p.strip())
    else:
        body = "\n\n".join(html_to_text(h) for h in htmls)
    return InboundMail(
        uid=uid,
        message_id=_message_id(_header(msg, "message-id")),
        in_reply_to=_reply_target(_header(msg, "in-reply-to"), _header(msg, "references")),
        from_name=from_name,
        from_address=from_address,
        subject=" ".join(decode_header(_header(msg, "subject")).split()),
        text=strip_quoted(body),
        attachments=tuple(attachments),
        received_at=_date(_header(msg, "date")),
    )


# --- IMAP -------------------------------------------------------------------


class MailboxError(Exception):
    """The mailbox cannot be reached or read: connection, login, or protocol."""


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "投诉" -> "&YpXL4A-"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if " " <= ch <= "~":
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_FETCH_UID = re.compile(rb"\bUID (\d+)\b")


class ImapMailbox:
    """One IMAP folder, logged in for the duration of a `with` block."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: str,
        use_ssl: bool = False,
        folder: str = "INBOX",
        timeout: float = 30,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.use_ssl = use_ssl
        self.folder = folder
        self.timeout = timeout
        self._imap: imaplib.IMAP4 | None = None

    def __repr__(self) -> str:
        scheme = "imaps" if self.use_ssl else "imap"
        return f"<ImapMailbox {scheme}://{self.user}@{self.host}:{self.port}/{self.folder}>"

    @property
    def _where(self) -> str:
        return f"{'imaps' if self.use_ssl else 'imap'} server {self.host}:{self.port}"

    # -- session

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> None:
        if self._imap is not None:
            return
        try:
            if self.use_ssl:
                imap = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=ssl.create_default_context(), timeout=self.timeout
                )
            else:
                imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"cannot connect to the {self._where}: {_reason(exc)}") from exc
        try:
            self._login(imap)
            status, data = imap.select(_quoted(imap_utf7(self.folder)))
            if status != "OK":
                raise MailboxError(
                    f"cannot open folder {self.folder!r} as {self.user} on the {self._where}: {_text(data)}"
                )
        except BaseException:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise
        self._imap = imap

    def _login(self, imap: imaplib.IMAP4) -> None:
        try:
            if self.user.isascii() and self.password.isascii():
                imap.login(self.user, self.password)
            else:
                # imaplib's LOGIN sends ASCII only; AUTHENTICATE PLAIN carries UTF-8.
                credentials = f"\0{self.user}\0{self.password}".encode()
                imap.authenticate("PLAIN", lambda _challenge: credentials)
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"login as {self.user} failed on the {self._where}: {_reason(exc)}") from exc
        except OSError as exc:
            raise MailboxError(f"the {self._where} dropped the connection at login: {_reason(exc)}") from exc

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            with contextlib.suppress(Exception):
                imap.shutdown()

    # -- commands

    def _command(self, what: str, *args: str) -> list:
        if self._imap is None:
            raise MailboxError(f"not connected to the {self._where}: use the mailbox in a `with` block")
        try:
            status, data = self._imap.uid(*args)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{what} failed on the {self._where}: {_reason(exc)}") from exc
        if status != "OK":
            raise MailboxError(f"{what} failed on the {self._where}: {_text(data)}")
        return data

    def unseen(self, *, limit: int = 100) -> list[InboundMail]:
        """Up to `limit` unseen messages of the folder, oldest first. They are
        fetched with BODY.PEEK[], so they stay unseen until `mark_seen`."""
        data = self._command(f"UID SEARCH UNSEEN in {self.folder!r}", "SEARCH", "UNSEEN")
        uids = sorted({int(u) for chunk in data if chunk for u in chunk.split()})[: max(0, limit)]
        if not uids:
            return []
        data = self._command(
            f"UID FETCH of {len(uids)} messages in {self.folder!r}",
            "FETCH",
            ",".join(map(str, uids)),
            "(UID BODY.PEEK[])",
        )
        raws: dict[int, bytes] = {}
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2:
                match = _FETCH_UID.search(item[0])
                if match and int(match.group(1)) in uids:
                    raws[int(match.group(1))] = item[1]
        return [parse_message(raws[uid], uid=str(uid)) for uid in uids if uid in raws]

    def mark_seen(self, uid: str) -> None:
        """Set \\Seen on one message (UID STORE +FLAGS)."""
        uid = str(uid).strip()
        if not uid.isdigit():
            raise ValueError(f"not an IMAP UID: {uid!r}")
        self._command(f"UID STORE {uid} +FLAGS (\\Seen) in {self.folder!r}", "STORE", uid, "+FLAGS", "(\\Seen)")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    arg = exc.args[0] if len(exc.args) == 1 else None
    if isinstance(arg, bytes):
        return arg.decode("utf-8", "replace")
    return str(exc) or type(exc).__name__


def _text(data) -> str:
    parts = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data or () if d]
    return " ".join(parts) or "no reason given"


# --- configuration ----------------------------------------------------------

_DEFAULT_PORTS = {"imap": 143, "imaps": 993}


def mailbox_from_url(url: str, *, timeout: float = 30) -> ImapMailbox:
    """An `ImapMailbox` from `imap://user:password@host[:port]/FOLDER` or
    `imaps://…` (TLS). User and password are percent-decoded (an "@" in the
    user is `%40`); the folder defaults to INBOX. The password never appears
    in an error message."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise ValueError(f"not a mailbox URL ({exc}): expected imap://user:password@host:port/INBOX") from exc
    shown = _redacted(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(
            f"unsupported mailbox URL {shown}: the scheme must be imap:// or imaps:// "
            "(imap://user:password@host:port/INBOX)"
        )
    if not parts.hostname:
        raise ValueError(f"mailbox URL {shown} names no host")
    if parts.username is None or parts.password is None:
        raise ValueError(f"mailbox URL {shown} needs a user and a password: {scheme}://user:password@host/INBOX")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ValueError(f"mailbox URL {shown} has a bad port: {exc}") from exc
    if parts.query or parts.fragment:
        raise ValueError(f"mailbox URL {shown} may not carry a query or fragment")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    user = unquote(parts.username)
    if not user:
        raise ValueError(f"mailbox URL {shown} has an empty user")
    return ImapMailbox(
        host=parts.hostname,
        port=port,
        user=user,
        password=unquote(parts.password),
        use_ssl=scheme == "imaps",
        folder=folder,
        timeout=timeout,
    )


def _redacted(url: str) -> str:
    """The URL with its password replaced by ***."""
    return re.sub(r"^([a-zA-Z][\w+.-]*://[^:/?#]*:)[^/?#]*(@[^@/?#]*)", r"\1***\2", url.strip())
