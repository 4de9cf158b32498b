"""Cell parsers for imported rows: what Chinese and English spreadsheets put in
a cell, turned into the value Manyi stores, or a FieldError that says why not.

Pure Python (no Django): the import runs these a million times, so each is a
few string operations, and messages are built by the caller from the error's
code and the cell, in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from manyi.core.text import PhoneError, normalize_phone, normalize_text


class FieldError(ValueError):
    """A cell that cannot be stored. `code` names the reason (see
    transfer.engine.MESSAGES); `limit` carries a length or a choice list."""

    def __init__(self, code: str, limit: Any = None):
        super().__init__(code)
        self.code = code
        self.limit = limit


Parser = Callable[[Any], Any]

_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATETIME_TAIL_RE = re.compile(r"[\sT]*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})秒?)?\s*分?$")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_EMAIL_RE = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")
_URL_RE = re.compile(r"(https?://)?[^\s/$.?#][^\s]*\.[^\s]{2,}", re.IGNORECASE)
_TAG_SPLIT_RE = re.compile(r"[,，;；、|/]")
TRUE_WORDS = frozenset({"是", "对", "有", "y", "yes", "true", "1", "√", "✓", "key", "关键"})
# What a spreadsheet runs as a formula when a cell starts with it: exports
# put an apostrophe before such a cell, and imports take it off again.
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
FALSE_WORDS = frozenset({"否", "不是", "无", "n", "no", "false", "0", "×", "✗"})


def text(value: Any) -> str:
    """A cell as one line of text: full-width to half-width, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13812345678.0 from a spreadsheet's number cell
    out = normalize_text(str(value))
    if out[:1] == "'" and out[1:2] in RISKY_STARTS and out[1:2] != "":
        out = out[1:]  # the apostrophe an export puts before a cell Excel would run as a formula
    return out


def line(max_length: int) -> Parser:
    def parse(value: Any) -> str:
        out = text(value)
        if len(out) > max_length:
            raise FieldError("too_long", max_length)
        return out

    return parse


def free_text(max_length: int | None = None) -> Parser:
    """Notes keep their line breaks; only the ends are trimmed."""

    def parse(value: Any) -> str:
        out = "" if value is None else str(value).replace("\r\n", "\n").strip()
        if out[:1] == "'" and out[1:2] in RISKY_STARTS and out[1:2] != "":
            out = out[1:]
        if max_length is not None and len(out) > max_length:
            raise FieldError("too_long", max_length)
        return out

    return parse


def choice(options: dict[str, str]) -> Parser:
    """A closed list: `options` maps every accepted spelling (value, Chinese
    and English label, lower-cased, without spaces) to the stored value."""

    def parse(value: Any) -> str:
        out = text(value)
        if not out:
            return ""
        key = out.lower().replace(" ", "")
        if key in options:
            return options[key]
        raise FieldError("choice", sorted(set(options.values())))

    return parse


def spellings(choices: Iterable[tuple[str, Any]], labels: dict[str, Iterable[str]], extra: dict[str, str] | None = None) -> dict[str, str]:
    """The options for choice(): each value, its labels in every language, and extra aliases."""
    out: dict[str, str] = {}
    for value, _label in choices:
        out[str(value).lower()] = value
        for label in labels.get(value, ()):
            out[normalize_text(str(label)).lower().replace(" ", "")] = value
    for alias, value in (extra or {}).items():
        out[alias.lower().replace(" ", "")] = value
    return out


def phone(value: Any) -> str:
    raw = text(value)
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except PhoneError:
        raise FieldError("phone") from None


def email(value: Any) -> str:
    out = text(value).lower()
    if not out:
        return ""
    if len(out) > 254 or not _EMAIL_RE.fullmatch(out):
        raise FieldError("email")
    return out


def url(value: Any) -> str:
    out = text(value)
    if not out:
        return ""
    if len(out) > 200 or not _URL_RE.fullmatch(out):
        raise FieldError("url")
    return out if "://" in out else "https://" + out


def date(value: Any) -> dt.date | None:
    """2024年3月5日, 2024/3/5, 2024-03-05, 2024.3.5, 20240305, a spreadsheet's
    date cell or its serial number."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value)
    raw = text(value)
    if not raw:
        return None
    match = _DATE_RE.fullmatch(raw) or _COMPACT_DATE_RE.fullmatch(raw)
    if not match:
        head = _DATE_RE.match(raw)
        if head and _DATETIME_TAIL_RE.fullmatch(raw[head.end() :]):
            match = head
    if not match:
        if raw.isdigit() and len(raw) <= 5:
            return _serial(int(raw))
        raise FieldError("date")
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError("no_such_date") from None


def _serial(number: float) -> dt.date:
    if not 1 <= number < 2958466:  # up to 9999-12-31
        raise FieldError("date")
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


def datetime(value: Any) -> dt.datetime | None:
    """A date, optionally with a time: 2024-03-05 14:30, 2024年3月5日 14时30分."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    raw = text(value)
    head = _DATE_RE.match(raw)
    if head and raw[head.end() :].strip():
        tail = _DATETIME_TAIL_RE.fullmatch(raw[head.end() :])
        if not tail:
            raise FieldError("datetime")
        day = date(head.group(0))
        hour, minute, second = int(tail.group(1)), int(tail.group(2)), int(tail.group(3) or 0)
        try:
            return dt.datetime(day.year, day.month, day.day, hour, minute, second)
        except ValueError:
            raise FieldError("datetime") from None
    day = date(value)
    return dt.datetime(day.year, day.month, day.day) if day else None


def decimal(max_digits: int, places: int, *, minimum: Decimal | None = Decimal(0)) -> Parser:
    """1,234.50 / １２３４.５ / ￥1234 / 1 234; at most the column's digits."""
    limit = Decimal(10) ** (max_digits - places)

    def parse(value: Any) -> Decimal | None:
        if value is None or value == "":
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raw = repr(value)
        else:
            raw = text(value).replace(",", "").replace(" ", "").lstrip("¥￥$")
        if not raw:
            return None
        if not _NUMBER_RE.fullmatch(raw):
            raise FieldError("number")
        try:
            number = Decimal(raw).quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:
            raise FieldError("number") from None
        if abs(number) >= limit:
            raise FieldError("too_big", limit)
        if minimum is not None and number < minimum:
            raise FieldError("negative")
        return number

    return parse


def whole(maximum: int = 2**31 - 1) -> Parser:
    def parse(value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        raw = text(value).replace(",", "")
        if not raw:
            return None
        if not raw.isdigit():
            raise FieldError("whole")
        number = int(raw)
        if number > maximum:
            raise FieldError("too_big", maximum)
        return number

    return parse


def boolean(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if not raw:
        return None
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise FieldError("boolean")


def tags(value: Any) -> list[str]:
    """标签 cells: 重点, VIP、华东 (commas, Chinese commas, 、 ; | /)."""
    out: list[str] = []
    for part in _TAG_SPLIT_RE.split(text(value)):
        name = part.strip()
        if not name:
            continue
        if len(name) > 40:
            raise FieldError("tag_too_long", 40)
        if name not in out:
            out.append(name)
    if len(out) > 20:
        raise FieldError("too_many_tags", 20)
    return out


def credit_code(value: Any) -> str:
    out = text(value).upper().replace(" ", "")
    if out and (len(out) != 18 or not out.isalnum() or not out.isascii()):
        raise FieldError("credit_code")
    return out
