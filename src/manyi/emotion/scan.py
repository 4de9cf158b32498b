"""Finding many alternative words fast.

The engine's rules are large alternations (hundreds of words and phrases).
Python's re tries every alternative at every position of the text, which cost
about 100 µs for a 60-character message per rule set. Most positions cannot
start any match: a Scanner takes from the parsed pattern the literal start of
each alternative ("refund" for \\brefund\\w*, 第 for 第[二三0-9]+次),
finds all of them in one pass with an Aho–Corasick automaton (C speed), and
tries at each place found only the alternatives that start there, in their
order. The matches are the ones finditer would give.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from re import _constants as c
from re import _parser

import ahocorasick

# How many literal prefixes one alternative may expand to (a class of ten
# characters followed by another is a hundred).
_MAX_PREFIXES = 2_000


def _class(items) -> set[str]:
    """The characters of a small class such as [0-9] or [上下] (empty for \\w, [^x] or a wide range)."""
    chars: set[str] = set()
    for kind, value in items:
        if kind is c.LITERAL:
            chars.add(chr(value))
        elif kind is c.RANGE and value[1] - value[0] < 64:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return set()
    return chars


def _prefixes(items) -> tuple[set[str], bool]:
    """The literal strings a match of this sequence must start with, and
    whether they are the whole of it (so what follows may extend them). An
    empty set (or one holding "") means no literal start is known."""
    found, whole = {""}, True
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # zero width: the match checks them
            continue
        if op is c.LITERAL:
            inner, inner_whole = {chr(av)}, True
        elif op is c.IN and (chars := _class(av)):
            inner, inner_whole = chars, True
        elif op is c.SUBPATTERN:
            inner, inner_whole = _prefixes(av[-1])
        elif op is c.BRANCH:
            inner, inner_whole = set(), True
            for alternative in av[1]:
                more, more_whole = _prefixes(alternative)
                inner |= more
                inner_whole = inner_whole and more_whole
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            inner, inner_whole = _prefixes(av[2])[0], False
        else:
            return found, False
        if not inner or "" in inner:
            return found, False
        longer = {start + more for start in found for more in inner}
        if len(longer) > _MAX_PREFIXES:
            return found, False
        found, whole = longer, inner_whole
        if not whole:
            break
    return found, whole


def _split(pattern: str) -> list[str]:
    """The pattern's top-level alternatives (split at | outside groups and classes)."""
    parts, depth, in_class, at, i = [], 0, False, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[at:i])
            at = i + 1
        i += 1
    return [*parts, pattern[at:]]


_NAMED = re.compile(r"\(\?P<(\w+)>(.*)\)", re.DOTALL)


def _pieces(pattern: str) -> list[tuple[str | None, str]]:
    """The alternatives, those of a named group (?P<name>a|b) each as (name, a)."""
    out: list[tuple[str | None, str]] = []
    for alternative in _split(pattern):
        named = _NAMED.fullmatch(alternative)
        if named and len(_split("(" + named.group(2) + ")")) == 1:  # the group spans the whole alternative
            out += [(named.group(1), piece) for piece in _split(named.group(2))]
        else:
            out.append((None, alternative))
    return out


def _joined(pieces: list[tuple[str | None, str]]) -> str:
    """Pieces as one alternation, neighbours of one name in one group again."""
    groups: list[tuple[str | None, list[str]]] = []
    for name, piece in pieces:
        if groups and name is not None and groups[-1][0] == name:
            groups[-1][1].append(piece)
        else:
            groups.append((name, [piece]))
    return "|".join(f"(?P<{name}>{'|'.join(body)})" if name else f"(?:{'|'.join(body)})" for name, body in groups)


class Scanner:
    """finditer for a large alternation: an Aho–Corasick automaton finds, in
    one pass, where some alternative's literal start occurs; only those
    alternatives are tried there, in their order."""

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern = re.compile(pattern, flags)
        self._flags = flags
        self._lower = bool(flags & re.IGNORECASE)  # (RegexFlag arithmetic is slow: once, here)
        self._automaton: ahocorasick.Automaton | None = None
        self._pieces = _pieces(pattern)
        self._subsets: dict[tuple[int, ...], re.Pattern[str]] = {}
        by_prefix: dict[str, list[int]] = {}
        for i, (_name, piece) in enumerate(self._pieces):
            prefixes, _ = _prefixes(_parser.parse(piece, flags))
            if not prefixes or "" in prefixes:
                return  # some alternative has no literal start: plain finditer
            for prefix in prefixes:
                by_prefix.setdefault(prefix.lower() if self._lower else prefix, []).append(i)
        self._automaton = ahocorasick.Automaton()
        for prefix, which in by_prefix.items():
            self._automaton.add_word(prefix, (len(prefix), tuple(which)))
        self._automaton.make_automaton()

    def _subset(self, which: tuple[int, ...]) -> re.Pattern[str]:
        pattern = self._subsets.get(which)
        if pattern is None:
            pattern = self._subsets[which] = re.compile(_joined([self._pieces[i] for i in which]), self._flags)
        return pattern

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        haystack = text.lower() if self._lower else text
        if self._automaton is None or len(haystack) != len(text):
            yield from self.pattern.finditer(text)
            return
        starts: dict[int, set[int]] = {}
        for last, (length, which) in self._automaton.iter(haystack):
            starts.setdefault(last - length + 1, set()).update(which)
        end = 0
        for at in sorted(starts):
            if at < end:
                continue
            found = self._subset(tuple(sorted(starts[at]))).match(text, at)
            if found:
                end = found.end()
                yield found
    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)


# Joins a batch's texts: text.prepare removes control characters, so no
# prepared text holds it, and no rule matches it (nor a word boundary's inside).
SEPARATOR = "\x00"


class Batch:
    """Prepared texts joined into one string, so that a rule set runs over a
    whole batch in one pass (one call, one automaton walk) instead of one
    call a text; each match is handed back to its text with its span there."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.joined = texts[0] if len(texts) == 1 else SEPARATOR.join(texts)
        self.starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))

    def matches(self, pattern: Scanner | re.Pattern[str]) -> list[list[tuple[str | None, str, int, int]]]:
        """For each text, (group name, words, start, end) of every match, in order."""
        out: list[list[tuple[str | None, str, int, int]]] = [[] for _ in self.texts]
        starts = self.starts
        for m in pattern.finditer(self.joined):
            if SEPARATOR in m.group():  # a run of empty texts, not a text's own words
                continue
            start = m.start()
            i = bisect_right(starts, start) - 1
            base = starts[i]
            out[i].append((m.lastgroup, m.group(), start - base, m.end() - base))
        return out

    def counts(self, pattern: Scanner | re.Pattern[str]) -> list[int]:
        out = [0] * len(self.texts)
        starts = self.starts
        for m in pattern.finditer(self.joined):
            if SEPARATOR not in m.group():
                out[bisect_right(starts, m.start()) - 1] += 1
        return out
