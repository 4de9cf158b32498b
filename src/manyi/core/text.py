"""Pure helpers for Chinese names and phone numbers (no Django)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from pypinyin import Style, lazy_pinyin

_SPACE_RE = re.compile(r"\s+")


def normalize_text(value: str) -> str:
    """Full-width to half-width (NFKC), collapse spaces, strip."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


@lru_cache(maxsize=65536)
def _syllables(name: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default") if s.strip())


def pinyin_key(name: str) -> str:
    """张三 -> 'zhangsan'; Latin letters and digits are kept, lower-cased, spaces dropped."""
    return re.sub(r"[^0-9a-z]", "", "".join(_syllables(normalize_text(name))))


def initials_key(name: str) -> str:
    """张三 -> 'zs'; for Latin words, the first letter of each word."""
    out = []
    for syl in _syllables(normalize_text(name)):
        for word in re.findall(r"[0-9a-z]+", syl):
            out.append(word[0])
    return "".join(out)


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str, region: str = "CN") -> str:
    """Return E.164 (+8613812345678) for a valid mobile or landline, else raise PhoneError.

    Accepts 138 1234 5678, +86 138-1234-5678, 010-12345678, (0755)87654321, 400 numbers.
    """
    text = normalize_text(raw)
    if not text:
        return ""
    if not re.fullmatch(r"[0-9+()\-\s.转#x]+", text):
        raise PhoneError("contains characters that are not part of a phone number")
    main = re.split(r"[转#x]", text)[0]
    try:
        number = phonenumbers.parse(main, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def format_phone(e164: str) -> str:
    """+8613812345678 -> 138 1234 5678 for Chinese numbers, international format otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_key(query: str) -> str | None:
    """Digits of a query that looks like (part of) a phone number, in the stored form's prefix."""
    digits = re.sub(r"[\s\-()]", "", query)
    if not re.fullmatch(r"\+?\d{3,}", digits):
        return None
    if digits.startswith("+"):
        return digits
    if digits.startswith("0"):
        return "+86" + digits[1:]
    return "+86" + digits
