"""Pure helpers for Chinese names and phone numbers (no Django)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import opencc
import phonenumbers
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

_SPACE_RE = re.compile(r"\s+")


def normalize_text(value: str) -> str:
    """Full-width to half-width (NFKC), collapse spaces, strip."""
    if value and value.isascii() and value.isprintable() and "  " not in value and value[0] != " " and value[-1] != " ":
        return value  # already normal: NFKC leaves printable ASCII alone
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


def _toneless(syllable: str) -> str:
    """'lǜ' -> 'lv', 'zhāng' -> 'zhang' (pypinyin's NORMAL style)."""
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _char_reading(char: str) -> str:
    return _toneless(PINYIN_DICT[ord(char)].split(",", 1)[0])


@cache
def _phrase_reading(phrase: str) -> tuple[str, ...]:
    return tuple(_toneless(r[0]) for r in PHRASES_DICT[phrase])


_LONGEST_PHRASE = 4
# The first two characters of every phrase: most positions in a name start
# none, and one set lookup tells so.
_PHRASE_STARTS = frozenset(p[:2] for p in PHRASES_DICT if len(p) >= 2)


def _syllables(name: str) -> tuple[str, ...]:
    """Pinyin syllables by greedy longest match on pypinyin's phrase list (for
    readings that depend on the word: 重庆 chongqing, 银行 yinhang), else each
    character's first reading; runs of other characters stay one piece.
    Twenty times faster than lazy_pinyin's segmenter, which an import of a
    million names cannot afford, and the same on names (tests/core/test_text.py)."""
    out: list[str] = []
    i, n = 0, len(name)
    while i < n:
        if ord(name[i]) not in PINYIN_DICT:
            j = i + 1
            while j < n and ord(name[j]) not in PINYIN_DICT:
                j += 1
            if name[i:j].strip():
                out.append(name[i:j].lower())
            i = j
            continue
        if name[i : i + 2] not in _PHRASE_STARTS:
            out.append(_char_reading(name[i]))
            i += 1
            continue
        for size in range(min(_LONGEST_PHRASE, n - i), 1, -1):
            phrase = name[i : i + size]
            if phrase in PHRASES_DICT:
                out.extend(_phrase_reading(phrase))
                i += size
                break
        else:
            out.append(_char_reading(name[i]))
            i += 1
    return tuple(out)


_NOT_KEY_RE = re.compile(r"[^0-9a-z]")
_WORD_RE = re.compile(r"[0-9a-z]+")


def name_keys(name: str) -> tuple[str, str]:
    """Both search keys of a name at once: 张三 -> ('zhangsan', 'zs')."""
    syllables = _syllables(normalize_text(name))
    initials = []
    for syl in syllables:
        if syl.isalpha() and syl.isascii():
            initials.append(syl[0])
        else:
            initials.extend(word[0] for word in _WORD_RE.findall(syl))
    return _NOT_KEY_RE.sub("", "".join(syllables)), "".join(initials)


def pinyin_key(name: str) -> str:
    """张三 -> 'zhangsan'; Latin letters and digits are kept, lower-cased, spaces dropped."""
    return name_keys(name)[0]


def initials_key(name: str) -> str:
    """张三 -> 'zs'; for Latin words, the first letter of each word."""
    return name_keys(name)[1]


_T2S = opencc.OpenCC("t2s")
# Legal forms that say nothing about who the company is, longest first.
_CN_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")
_EN_SUFFIXES = frozenset({"co", "company", "ltd", "limited", "inc", "incorporated", "llc", "corp", "corporation", "plc", "gmbh"})
_LATIN_WORD_RE = re.compile(r"[0-9a-z]+")
_KEEP_RE = re.compile(r"[^0-9a-z\u3400-\u9fff]")


def name_key(name: str) -> str:
    """A name reduced to what tells two customers apart, for finding duplicates:
    full/half width, case, spaces and punctuation, Traditional characters and
    legal forms (有限公司, 有限责任公司, Co., Ltd., Inc.) do not count.
    ＡＢＣ貿易有限公司, ABC贸易有限责任公司 and "abc 贸易" give one key."""
    text = _T2S.convert(normalize_text(name).lower())
    words = _LATIN_WORD_RE.findall(text)
    # English legal forms are whole words at the end ("Disco Co., Ltd." keeps "disco").
    while words and words[-1] in _EN_SUFFIXES and text.rstrip(" .,)").endswith(words[-1]):
        text = text.rstrip(" .,)")[: -len(words.pop())]
    key = _KEEP_RE.sub("", text)
    stripped = True
    while stripped:
        stripped = False
        for suffix in _CN_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
                break
    return key or _KEEP_RE.sub("", text) or normalize_text(name).lower()


def address_key(address: str) -> str:
    """An address without width, case, spaces, punctuation or Traditional forms."""
    return _KEEP_RE.sub("", _T2S.convert(normalize_text(address).lower()))


class PhoneError(ValueError):
    pass


_CN = phonenumbers.PhoneMetadata.metadata_for_region("CN")
_CN_MOBILE = re.compile(_CN.mobile.national_number_pattern)
_CN_FIXED = re.compile(_CN.fixed_line.national_number_pattern)
_CN_DIALLED = re.compile(r"(?:\+?86)?(1\d{10})|0(\d{9,11})")
_SEPARATORS = str.maketrans("", "", " -().")


def _chinese_e164(main: str) -> str | None:
    """The common Chinese forms (a mobile, with or without +86; a landline
    dialled with its 0 area code) checked against phonenumbers' own patterns,
    without its parser: the same answer in a tenth of the time. None sends
    the number to phonenumbers."""
    match = _CN_DIALLED.fullmatch(main.translate(_SEPARATORS))
    if not match:
        return None
    mobile, fixed = match.groups()
    if mobile and _CN_MOBILE.fullmatch(mobile):
        return "+86" + mobile
    if fixed and _CN_FIXED.fullmatch(fixed):
        return "+86" + fixed
    return None


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
    if region == "CN" and (fast := _chinese_e164(main)):
        return fast
    try:
        number = phonenumbers.parse(main, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """+8613812345678 -> 138 1234 5678 for Chinese numbers, international format otherwise.
    A Chinese mobile (most numbers) is laid out directly: phonenumbers'
    formatter takes about 0.1 ms a number, minutes for a million exported."""
    if len(e164) == 14 and e164.startswith("+86") and _CN_MOBILE.fullmatch(e164[3:]):
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    return _formatted(e164)


@lru_cache(maxsize=4096)
def _formatted(e164: str) -> str:
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


COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕",
    "令狐", "钟离", "端木", "南宫", "西门", "澹台", "公冶", "申屠", "太史", "呼延",
)  # fmt: skip
_CJK_START = re.compile(r"[\u3400-\u9fff]")


def surname(name: str) -> str:
    """A Chinese name's surname comes first (欧阳 of 欧阳娜娜); a name written with spaces ends with it (John Smith)."""
    if _CJK_START.match(name):
        return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return name.split()[-1]


def honorific(name: str, gender: str, *, chinese: bool, pinyin: bool = True) -> str:
    """王先生 / 王女士, or Mr Wang / Ms Wang (Mr 王 without `pinyin`), for a
    person of known gender; the name otherwise."""
    name = (name or "").strip()
    if not name or gender not in ("male", "female"):
        return name
    family = surname(name)
    if chinese:
        return family + ("先生" if gender == "male" else "女士")
    if pinyin and _CJK_START.match(family):
        family = "".join(lazy_pinyin(family)).capitalize()
    return ("Mr " if gender == "male" else "Ms ") + family
