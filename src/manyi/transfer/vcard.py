"""vCard (.vcf) files: contacts written as vCard 3.0 (RFC 2426), and read as
phones and mail programs export them: vCard 2.1 (Android's, with
quoted-printable UTF-8 or GBK), 3.0 and 4.0 (RFC 6350).

A card is a dict with the keys of CARD_KEYS: the fields of a contact, the
organisation, and the phone numbers and e-mail addresses beyond the first.

Pure Python (no Django). A card that cannot be read comes out as a Problem
whose `code` names the reason; the caller words it in the user's language
(transfer.vcard_import).
"""

from __future__ import annotations

import datetime as dt
import quopri
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

FOLD_OCTETS = 75
CRLF = "\r\n"
CARD_KEYS = ("name", "org", "department", "title", "mobile", "phone", "email", "birthday", "notes", "more_phones", "more_emails")


class Problem(NamedTuple):
    """Why a card was not read: `code` is one of
    - unterminated: BEGIN:VCARD without its END:VCARD;
    - bad_line: a line that is not `NAME;PARAMS:VALUE` (`detail` is its start);
    - charset: quoted-printable text in an unknown or wrong charset (`detail` names it);
    - no_name: neither FN nor N gives a name;
    - outside: text that is not inside any BEGIN:VCARD … END:VCARD."""

    code: str
    detail: str = ""


# Writing


def escape(value: str) -> str:
    """A text value with \\ , ; and line breaks escaped (RFC 2426 §4)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line cut into lines of at most 75 octets, each continued
    after CRLF and a space (which counts toward the next line's 75); the
    bytes of one UTF-8 character are never split."""
    pieces: list[str] = []
    start, size, limit = 0, 0, FOLD_OCTETS
    for i, char in enumerate(line):
        octets = len(char.encode("utf-8", "surrogatepass"))
        if size + octets > limit:
            pieces.append(line[start:i])
            start, size, limit = i, 0, FOLD_OCTETS - 1
        size += octets
    pieces.append(line[start:])
    return (CRLF + " ").join(pieces)


_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _name_parts(name: str) -> tuple[str, str]:
    """(family, given) for N: a Latin name with a space is "Given Family";
    any other name (张三, 欧阳娜娜) is kept whole as the family name, as
    telling a compound surname from a given name needs more than the text."""
    if " " in name and not _HAN_RE.search(name):
        given, family = name.rsplit(" ", 1)
        return family, given
    return name, ""


def _card_lines(card: Mapping[str, Any]) -> list[str]:
    name = str(card.get("name") or "").strip()
    family, given = _name_parts(name)
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{escape(name)}", f"N:{escape(family)};{escape(given)};;;"]
    org, department = card.get("org") or "", card.get("department") or ""
    if org or department:
        lines.append(f"ORG:{escape(org)}" + (f";{escape(department)}" if department else ""))
    if card.get("title"):
        lines.append(f"TITLE:{escape(card['title'])}")
    if card.get("mobile"):
        lines.append(f"TEL;TYPE=CELL:{escape(card['mobile'])}")
    if card.get("phone"):
        lines.append(f"TEL;TYPE=WORK:{escape(card['phone'])}")
    lines += [f"TEL:{escape(number)}" for number in card.get("more_phones") or ()]
    if card.get("email"):
        lines.append(f"EMAIL;TYPE=INTERNET:{escape(card['email'])}")
    lines += [f"EMAIL;TYPE=INTERNET:{escape(address)}" for address in card.get("more_emails") or ()]
    if card.get("birthday"):
        lines.append(f"BDAY:{card['birthday']:%Y-%m-%d}")
    if card.get("notes"):
        lines.append(f"NOTE:{escape(card['notes'])}")
    lines.append("END:VCARD")
    return lines


def to_vcard(cards: Iterable[Mapping[str, Any]]) -> str:
    """The cards as one vCard 3.0 file (CRLF line ends, folded lines)."""
    return "".join(fold(line) + CRLF for card in cards for line in _card_lines(card))


# Reading

_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_CARD_EDGES = ("BEGIN:VCARD", "END:VCARD")
_ESCAPED_RE = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPED = {"n": "\n", "N": "\n", ",": ",", ";": ";", ":": ":", "\\": "\\"}
_MOBILE_TYPES = frozenset({"CELL", "MOBILE", "IPHONE"})
# A Chinese mobile number, however it is written: +86 138-0013-8000, 13800138000.
_CN_MOBILE_RE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-().]")
_DATE_RE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def unescape(value: str) -> str:
    return _ESCAPED_RE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(0)), value)


def _split(value: str, separator: str) -> list[str]:
    """Split at separators that are neither escaped with a backslash nor inside double quotes."""
    parts, current, escaped, quoted = [], [], False, False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


class _Line(NamedTuple):
    name: str  # upper case, without a group prefix (item1.TEL -> TEL)
    types: frozenset[str]  # upper case: TYPE=CELL, TYPE=cell,voice and bare CELL alike
    encoding: str
    charset: str
    value: str


def _is_quoted_printable(text: str) -> bool:
    head = text.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first file line, content line): folded lines joined (a line that starts
    with a space or a tab continues the one before), and quoted-printable
    values continued after a soft line break (a line that ends in "=")."""
    current: list[str] = []
    start = 0
    quoted_printable = False
    for number, line in enumerate(_LINE_BREAK_RE.split(text), 1):
        if current and quoted_printable and current[-1].endswith("=") and line.strip().upper() not in _CARD_EDGES:
            current[-1] = current[-1][:-1]
            current.append(line)
            continue
        if current and line[:1] in (" ", "\t"):
            current.append(line[1:])
            continue
        if current:
            yield start, "".join(current)
        current, start = ([line], number) if line.strip() else ([], number)
        quoted_printable = bool(current) and _is_quoted_printable(line)
    if current:
        yield start, "".join(current)


def _parse_line(text: str) -> _Line | Problem:
    head_and_value = _split(text, ":")
    if len(head_and_value) < 2:
        return Problem("bad_line", text[:40])
    head, value = head_and_value[0], ":".join(head_and_value[1:])
    name, *params = _split(head, ";")
    name = name.strip().rsplit(".", 1)[-1].upper()
    if not name:
        return Problem("bad_line", text[:40])
    types: set[str] = set()
    encoding = charset = ""
    for param in params:
        key, has_value, param_value = param.partition("=")
        key = key.strip().upper()
        if not has_value:  # vCard 2.1: TEL;CELL, NOTE;QUOTED-PRINTABLE
            if key in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT"):
                encoding = key
            else:
                types.add(key)
            continue
        param_value = param_value.strip().strip('"')
        if key == "TYPE":
            types.update(v.strip().upper() for v in param_value.split(","))
        elif key == "ENCODING":
            encoding = param_value.upper()
        elif key == "CHARSET":
            charset = param_value
    return _Line(name, frozenset(types), encoding, charset, value)


def _decoded(line: _Line) -> str | Problem:
    if line.encoding != "QUOTED-PRINTABLE":
        return line.value
    raw = quopri.decodestring(line.value.encode("utf-8"))
    charset = line.charset or "utf-8"
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return Problem("charset", charset)


def _birthday(value: str) -> dt.date | None:
    """BDAY as 1990-05-01, 19900501 or 1990-05-01T00:00:00Z; None without a
    year (--0501) or for a day that is not in the calendar."""
    match = _DATE_RE.match(value.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _name_from_n(value: str) -> str:
    """N is family;given;additional;prefix;suffix: 张;三 is 张三, Smith;John is John Smith."""
    family, given, additional, prefix, suffix = ([unescape(part).strip() for part in _split(value, ";")] + [""] * 5)[:5]
    if _HAN_RE.search(family + given):
        return family + given
    return " ".join(part for part in (prefix, given, additional, family, suffix) if part)


def _is_mobile(line: _Line, number: str) -> bool:
    return bool(line.types & _MOBILE_TYPES) or bool(_CN_MOBILE_RE.fullmatch(_PHONE_SEPARATORS_RE.sub("", number)))


class _Card:
    def __init__(self, number: int):
        self.number = number
        self.fn = self.n = ""
        self.data: dict[str, Any] = {key: "" for key in CARD_KEYS} | {"birthday": None, "more_phones": [], "more_emails": []}
        self.problem: tuple[int, Problem] | None = None

    def add(self, line: _Line, value: str) -> None:
        data = self.data
        if line.name == "FN":
            self.fn = self.fn or unescape(value).strip()
        elif line.name == "N":
            self.n = self.n or _name_from_n(value)
        elif line.name == "ORG":
            org, department, *_units = [unescape(part).strip() for part in _split(value, ";")] + [""]
            data["org"], data["department"] = data["org"] or org, data["department"] or department
        elif line.name == "TITLE":
            data["title"] = data["title"] or unescape(value).strip()
        elif line.name == "NOTE":
            data["notes"] = "\n".join(filter(None, [data["notes"], unescape(value).strip()]))
        elif line.name == "BDAY":
            data["birthday"] = data["birthday"] or _birthday(value)
        elif line.name == "TEL":
            self._phone(line, unescape(value).strip().removeprefix("tel:"))
        elif line.name == "EMAIL":
            address = unescape(value).strip().removeprefix("mailto:")
            if address and data["email"]:
                data["more_emails"].append(address)
            elif address:
                data["email"] = address

    def _phone(self, line: _Line, number: str) -> None:
        data = self.data
        if not number:
            return
        if "FAX" not in line.types and not data["mobile"] and _is_mobile(line, number):
            data["mobile"] = number
        elif "FAX" not in line.types and not data["phone"]:
            data["phone"] = number
        else:
            data["more_phones"].append(number)

    def result(self) -> dict[str, Any] | Problem:
        name = self.fn or self.n
        if not name:
            return Problem("no_name")
        return self.data | {"name": name}


def parse_vcards(text: str) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """Each card of a .vcf file's text as (the file line of its BEGIN:VCARD, its
    dict), or (the line at fault, a Problem) for a card that cannot be read:
    the cards after it are still read. Properties that are not contact
    fields (PHOTO, X-…) are passed over."""
    card: _Card | None = None
    outside_reported = False
    for number, text_line in _logical_lines(text.lstrip("\ufeff")):
        upper = text_line.strip().upper()
        if upper == "BEGIN:VCARD":
            if card is not None:
                yield card.number, Problem("unterminated")
            card, outside_reported = _Card(number), False
            continue
        if card is None:
            if not outside_reported:
                yield number, Problem("outside", text_line[:40])
                outside_reported = True
            continue
        if upper == "END:VCARD":
            yield card.problem or (card.number, card.result())
            card = None
            continue
        if card.problem:
            continue
        line = _parse_line(text_line)
        if isinstance(line, Problem):
            card.problem = (number, line)
            continue
        value = _decoded(line)
        if isinstance(value, Problem):
            card.problem = (number, value)
            continue
        card.add(line, value)
    if card is not None:
        yield card.number, Problem("unterminated")
