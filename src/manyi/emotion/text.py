"""Any input made into text the engine can read: never an exception.

Customer text arrives as it was typed or pasted: HTML from an e-mail, control
characters from a spreadsheet, a lone surrogate from a broken JSON escape,
full-width letters from a Chinese input method, Traditional characters from
Hong Kong or Taiwan, or a whole document. prepare() cleans it, reads at most
MAX_CHARS of it (saying so), tells its language and gives Chinese in
Simplified characters.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

# A customer message is a few hundred characters; past this, only the start is
# read (the reading says so), so one pasted document cannot stall a batch.
MAX_CHARS = 4_000
# Cleaning itself is bounded too: HTML and spaces may shrink the text, so a
# little more than MAX_CHARS is cleaned before the cut.
_RAW_LIMIT = 4 * MAX_CHARS

_TAG = re.compile(r"<(?:[a-zA-Z/!][^<>]{0,500})>")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SPACES = re.compile(r"[ \t\u3000]+")
_LINES = re.compile(r"\s*\n\s*")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(slots=True)
class Prepared:
    text: str  # what the engine reads (Chinese in Simplified characters); every span the engine reports is in it
    original: str  # the same, as the customer wrote it (Traditional stays Traditional): same length, same spans
    language: str  # zh (Simplified or Traditional), en, or other
    truncated: bool  # the input was longer than MAX_CHARS: only its start was read
    original_length: int


_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=65_536)
def _simplified_char(char: str) -> str:
    converted = _T2S.convert(char)
    return converted if len(converted) == 1 else char


def simplified(text: str) -> str:
    """Traditional characters as Simplified (the engine's lexicons and training
    data are Simplified), character for character, so that a span in one is
    the same span in the other. OpenCC converts whole phrases where it can;
    should that change the length, each character is converted alone."""
    converted = _T2S.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_simplified_char(char) for char in text)


def _valid(raw: str) -> str:
    """Lone surrogates (a broken escape) become U+FFFD; pairs become their character."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return raw


def clean(raw: str) -> str:
    text = _valid(raw)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    # Full-width letters, digits and punctuation (ＡＢＣ１２３！) read as ASCII.
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _LINES.sub("\n", _SPACES.sub(" ", text)).strip()


def language(text: str) -> str:
    """zh when Chinese characters carry the text: at least one for every ten
    Latin letters (an English word in a Chinese message is usual; a Chinese
    name in an English one too), en for Latin letters otherwise, other for
    the rest (Japanese, Korean, emoji or punctuation only, numbers)."""
    cjk = len(_CJK.findall(text))
    if _KANA.search(text) or _HANGUL.search(text):
        return "other"
    latin = len(_LATIN.findall(text))
    if cjk and cjk * 10 >= latin:
        return "zh"
    if latin >= 2:
        return "en"
    return "other"


def prepare(raw: object) -> Prepared:
    if raw is None:
        raw = ""
    elif not isinstance(raw, str):
        raw = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
    text = clean(raw[:_RAW_LIMIT])
    truncated = len(raw) > _RAW_LIMIT or len(text) > MAX_CHARS
    text = text[:MAX_CHARS]
    lang = language(text)
    return Prepared(
        text=simplified(text) if lang == "zh" else text, original=text, language=lang, truncated=truncated, original_length=len(raw)
    )
