"""Merge fields of campaign templates: `{{name}}`, `{{honorific}}` ... filled
in by plain string replacement.

Customer data never passes through a template engine: a customer called
"{{ owner_phone }}" or "{% debug %}" is printed as written, and a template can
only name the fields below. Pure: no Django.

Fields:
  name             the customer's name (张三, 北京华为科技有限公司)
  honorific        how a letter addresses them: 王先生 / 王女士 for a person
                   (Mr Wang / Ms Wang in English), the name for a company
  company          the company's name (the customer's own for an enterprise)
  owner_name       the account owner (the sales rep)
  owner_phone      the owner's phone
  unsubscribe_url  the personal unsubscribe link
  points           the loyalty points balance (optional: empty when unknown)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from manyi.core.text import honorific as person_honorific

FIELDS = ("name", "honorific", "company", "owner_name", "owner_phone", "unsubscribe_url", "points")
_FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_BRACES = re.compile(r"\{\{|\}\}")


@dataclass
class MergeError(ValueError):
    """`kind` is "unknown" (field names the unknown field) or "syntax"
    (position is the 1-based character where the stray braces start)."""

    kind: str
    field: str = ""
    position: int = 0

    def __str__(self) -> str:
        if self.kind == "unknown":
            return f"unknown merge field {{{{{self.field}}}}}"
        return f"unbalanced braces at character {self.position}"


def _no_stray_braces(text: str, offset: int) -> None:
    if stray := _BRACES.search(text):
        raise MergeError("syntax", position=offset + stray.start() + 1)


def fields_used(text: str) -> list[str]:
    """The merge fields `text` uses, in order of first use; MergeError for an
    unknown field or braces that do not form a field."""
    used: list[str] = []
    position = 0
    for match in _FIELD.finditer(text):
        _no_stray_braces(text[position : match.start()], position)
        name = match.group(1)
        if name not in FIELDS:
            raise MergeError("unknown", field=name)
        if name not in used:
            used.append(name)
        position = match.end()
    _no_stray_braces(text[position:], position)
    return used


def render(text: str, values: Mapping[str, object]) -> str:
    """`text` with each field replaced by str(values[field]) ("" when missing)."""
    fields_used(text)
    return _FIELD.sub(lambda m: str(values.get(m.group(1), "") or ""), text)


def honorific(*, name: str, person: bool, gender: str, language: str) -> str:
    """王先生 / 王女士 (Mr Wang / Ms Wang) for a person of known gender; otherwise the name."""
    if not person:
        return name.strip()
    return person_honorific(name, gender, chinese=language.startswith("zh"), pinyin=False)
