"""The trained text classifier: polarity and emotion from the words of a text.

A linear model over sparse features, read with numpy alone (no scikit-learn,
no pickle). The features are what a person could point at:

- Chinese: character 1-3-grams inside each run of Chinese characters, and
  the characters a negation (不 没 别 未 无 非 莫 勿) reaches, marked "¬";
- English and other Latin text: lower-cased words and word bigrams, and the
  words a negation (not, no, never, ...n't) reaches up to the next
  punctuation, marked "¬";
- punctuation, emoji and other symbols, one character each;
- one language feature per text, "zh" when Chinese characters carry it (at
  least one for every ten Latin letters), "en" for Latin text (two letters or
  more), none otherwise: it gives each language its own bias. It is worth 1
  whatever the text's length (outside the idf and the unit length) and has no
  span in the text.

Digits read as 0 (“等了2小时” and “等了3小时” are one feature). Each text is a
set of features weighted by their idf and scaled to unit length; each head
(polarity, emotion) is a softmax over that vector. The weights are trained by
train.py and shipped in data/model.npz; the functions here must stay the ones
the training used, which is why train.py calls them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

POLARITY = ("negative", "positive")
EMOTIONS = ("joy", "like", "anger", "sadness", "fear", "disgust", "surprise", "neutral")
HEADS = {"polarity": POLARITY, "emotion": EMOTIONS}
BASE_VERSION = "2026.11-1"
DEFAULT_PATH = Path(__file__).parent / "data" / "model.npz"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"([{_CJK}]+)|([a-z0-9]+(?:'[a-z]+)*)|(\S)")
_DIGITS = str.maketrans("123456789", "000000000")
_ZH_NEGATORS = frozenset("不没别未无非莫勿")
_ZH_SCOPE = 3  # characters a Chinese negation reaches
_EN_NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot", "without", "hardly"})
_NEG = "¬"
# The language features: a private-use character (never a feature of a
# prepared text: symbols are single characters) and two letters, so that
# key() tells them apart from every text feature.
_LANG_MARK = "\ue000"
LANGUAGE_FEATURES = {"zh": _LANG_MARK + "zh", "en": _LANG_MARK + "en"}
_LATIN_LETTER = re.compile("[a-z]")


def _language_feature(normal: str, n_cjk: int) -> str | None:
    """The language feature of a normalised text with n_cjk Chinese characters."""
    latin = len(_LATIN_LETTER.findall(normal))
    if n_cjk and n_cjk * 10 >= latin:
        return LANGUAGE_FEATURES["zh"]
    return LANGUAGE_FEATURES["en"] if latin >= 2 else None


def _lower(text: str) -> str:
    """Lower case, the same length as the text (spans stay valid)."""
    low = text.lower()
    if len(low) != len(text):  # a few letters lower to two characters (İ)
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low


def _normal(text: str) -> str:
    """Lower case, digits as 0, the same length as the text."""
    return _lower(text).translate(_DIGITS)


def _negates(word: str) -> bool:
    return word in _EN_NEGATORS or word.endswith("n't")


def grams(text: str) -> list[str]:
    """Every feature of a (prepared) text, in reading order; a feature occurring
    twice appears twice. Training reads texts with it; rows() finds the same for a batch."""
    out: list[str] = []
    add = out.append
    extend = out.extend
    prev = None
    negated = False
    normal = _normal(text)
    n_cjk = 0
    for run, word, other in _TOKEN.findall(normal):
        if run:
            prev, negated = None, False
            n = len(run)
            n_cjk += n
            extend(run)
            if n > 1:
                extend([run[i : i + 2] for i in range(n - 1)])
                if n > 2:
                    extend([run[i : i + 3] for i in range(n - 2)])
                if not _ZH_NEGATORS.isdisjoint(run):
                    for i, c in enumerate(run):
                        if c in _ZH_NEGATORS:
                            extend([_NEG + d for d in run[i + 1 : i + 1 + _ZH_SCOPE]])
        elif word:
            add(word)
            if negated:
                add(_NEG + word)
            if prev is not None:
                add(prev + " " + word)
            prev = word
            if not negated and _negates(word):
                negated = True
        else:
            prev, negated = None, False
            add(other)
    language = _language_feature(normal, n_cjk)
    if language is not None:
        add(language)
    return out


_SHIFT = 21  # bits of a code point
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
# Look-up tables by code point (a table beats np.isin tenfold on one text).
_SPACE_TABLE = np.array([chr(c).isspace() for c in range(0x3001)] + [False])  # no space past U+3000
_NEGATOR_TABLE = np.zeros(0x10000, dtype=bool)  # Chinese characters are all below U+10000
_NEGATOR_TABLE[[ord(c) for c in _ZH_NEGATORS]] = True


def is_word_feature(feature: str) -> bool:
    """Words and word bigrams are looked up by their text; every other feature
    (at most three characters) by the number key() makes of it."""
    head = feature[1:2] if feature.startswith(_NEG) else feature[:1]
    return head.isascii() and head.isalnum()


def key(feature: str) -> int:
    k = 0
    for c in feature:
        k = (k << _SHIFT) | ord(c)
    return k


@dataclass(frozen=True)
class Vectors:
    """A batch of texts as sparse vectors: entry j is feature idx[j] of text row[j], worth val[j]."""

    n: int
    row: np.ndarray
    idx: np.ndarray
    val: np.ndarray


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


class Model:
    """Polarity and emotion probabilities for prepared texts (text.prepare(x).text).

    The vocabulary is in two parts: the character features, sorted by key(),
    then the word features, sorted; a feature's row in the weights is its
    place in that order."""

    version: str

    def __init__(
        self, vocab: list[str], keys: np.ndarray, idf: np.ndarray, weights: np.ndarray, bias: np.ndarray, meta: dict, digest: str
    ):
        # A numpy array, not a list: the collector walks every list on each
        # full pass, and 300,000 entries made analysing a batch 40 % slower.
        self.vocab = np.array(vocab)
        self._keys = np.asarray(keys, dtype=np.uint64)  # key() of the character features, sorted
        self.idf = np.asarray(idf, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)  # (features, 2 + 8): polarity then emotion
        self.bias = np.asarray(bias, dtype=np.float32)
        self.meta = meta
        self.version = f"{meta.get('version', BASE_VERSION)}-{digest[:8]}"
        self._columns = {"polarity": slice(0, len(POLARITY)), "emotion": slice(len(POLARITY), len(POLARITY) + len(EMOTIONS))}
        # Each feature's weight for a class over its mean for the head: what it adds to
        # that class's score against the others (the evidence), ready to gather.
        self._centred = {}
        for head, cols in self._columns.items():
            w = self.weights[:, cols]
            self._centred[head] = w - w.mean(axis=1, keepdims=True)
        n_chars = len(self._keys)
        self._words = {g: n_chars + i for i, g in enumerate(vocab[n_chars:])}
        # The language features (worth 1, outside the idf and the unit length):
        # (zh, en) rows, -1 when the vocabulary has none.
        found = [self.index(f) for f in (LANGUAGE_FEATURES["zh"], LANGUAGE_FEATURES["en"])]
        self._language_rows = np.array([-1 if i is None else i for i in found], dtype=np.int64)
        self._is_language = np.zeros(len(vocab), dtype=bool)  # by row: a table beats np.isin on a few features
        self._is_language[[i for i in found if i is not None]] = True

    @classmethod
    def load(cls, path: str | Path | None = None) -> Model:
        raw = Path(path if path is not None else DEFAULT_PATH).read_bytes()
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            vocab = str(npz["vocab"][()]).split("\n")
            meta = json.loads(str(npz["meta"][()]))
            return cls(vocab, npz["keys"], npz["idf"], npz["weights"], npz["bias"], meta, hashlib.sha256(raw).hexdigest())

    @staticmethod
    def order(vocab: list[str]) -> list[str]:
        """The vocabulary in the order the weights use."""
        chars = sorted((g for g in vocab if not is_word_feature(g)), key=key)
        return chars + sorted(g for g in vocab if is_word_feature(g))

    @staticmethod
    def save(path: str | Path, vocab: list[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray, meta: dict) -> None:
        """Write the weights (byte for byte the same for the same arguments);
        vocab must be in order()."""
        assert all("\n" not in g for g in vocab) and vocab == Model.order(vocab)
        n_chars = sum(1 for g in vocab if not is_word_feature(g))
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vocab=np.array("\n".join(vocab)),
            keys=np.array([key(g) for g in vocab[:n_chars]], dtype=np.uint64),
            idf=np.asarray(idf, dtype=np.float16),
            weights=np.asarray(weights, dtype=np.float16),
            bias=np.asarray(bias, dtype=np.float32),
            meta=np.array(json.dumps({**meta, "character_features": n_chars}, sort_keys=True, ensure_ascii=False)),
        )
        Path(path).write_bytes(_stable_zip(buffer.getvalue()))

    def index(self, feature: str) -> int | None:
        """The feature's row in the weights, None when it is not in the vocabulary."""
        if is_word_feature(feature):
            return self._words.get(feature)
        k = key(feature)
        i = int(np.searchsorted(self._keys, np.uint64(k)))
        return i if i < len(self._keys) and int(self._keys[i]) == k else None

    def rows(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text number, feature row) of every feature of the texts, each once,
        sorted: the features of grams(), found for the whole batch at once."""
        n = len(texts)
        joined = "\n".join(texts)
        norm = _lower(joined)  # digits become 0 below, in the code points and in each word
        cp = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
        cp[(cp >= 0x31) & (cp <= 0x39)] = 0x30
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n) + 1
        row_at = np.repeat(np.arange(n, dtype=np.int64), lengths)[: len(cp)]
        cjk = ((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0xF900) & (cp <= 0xFAFF))
        c = cp.astype(np.uint64)
        keys = [c[cjk]]
        where = [row_at[cjk]]
        pair = cjk[:-1] & cjk[1:]
        keys.append((c[:-1][pair] << _SHIFT) | c[1:][pair])
        where.append(row_at[:-1][pair])
        triple = pair[:-1] & cjk[2:]
        keys.append((c[:-2][triple] << 2 * _SHIFT) | (c[1:-1][triple] << _SHIFT) | c[2:][triple])
        where.append(row_at[:-2][triple])
        negator = cjk & _NEGATOR_TABLE[cp & 0xFFFF]
        if negator.any():
            reach = np.ones(len(cp), dtype=bool)
            neg = np.uint64(ord(_NEG)) << np.uint64(_SHIFT)
            for d in range(1, _ZH_SCOPE + 1):
                if d >= len(cp):
                    break
                reach = reach[:-1] & cjk[d:]
                hit = negator[:-d] & reach
                keys.append(neg | c[d:][hit])
                where.append(row_at[:-d][hit])
        # Words, with the symbols between them.
        other = ~cjk & ~_SPACE_TABLE[np.minimum(cp, 0x3001)]
        word_rows: list[int] = []
        word_idx: list[int] = []
        if other.any():
            get = self._words.get
            prev = None
            prev_end = 0
            prev_row = -1
            negated = False
            for m in _WORD.finditer(norm):
                s, e = m.span()
                other[s:e] = False
                r = int(row_at[s])
                if r != prev_row or not norm[prev_end:s].isspace():
                    prev, negated = None, False
                word = m.group().translate(_DIGITS)
                found = [get(word)]
                if negated:
                    found.append(get(_NEG + word))
                if prev is not None:
                    found.append(get(prev + " " + word))
                for i in found:
                    if i is not None:
                        word_rows.append(r)
                        word_idx.append(i)
                prev, prev_end, prev_row = word, e, r
                if not negated and _negates(word):
                    negated = True
            keys.append(c[other])
            where.append(row_at[other])
        if (self._language_rows >= 0).any():
            n_cjk = np.bincount(row_at[cjk], minlength=n)
            latin = np.bincount(row_at[(cp >= 0x61) & (cp <= 0x7A)], minlength=n)
            zh = (n_cjk > 0) & (n_cjk * 10 >= latin)
            en = ~zh & (latin >= 2)
            for mask, i in ((zh, self._language_rows[0]), (en, self._language_rows[1])):
                if i >= 0 and mask.any():
                    word_rows.extend(np.flatnonzero(mask).tolist())
                    word_idx.extend([int(i)] * int(mask.sum()))
        q = np.concatenate(keys)
        at = np.concatenate(where)
        pos = np.searchsorted(self._keys, q)
        pos[pos == len(self._keys)] = 0
        hit = self._keys[pos] == q
        v = len(self.vocab)
        combined = at[hit] * v + pos[hit]
        if word_rows:
            combined = np.concatenate([combined, np.array(word_rows, dtype=np.int64) * v + np.array(word_idx, dtype=np.int64)])
        combined.sort()
        if len(combined) > 1:
            combined = combined[np.concatenate(([True], combined[1:] != combined[:-1]))]
        return combined // v, combined % v

    def vectors(self, texts: list[str]) -> Vectors:
        """The texts as idf-weighted feature vectors of unit length."""
        n = len(texts)
        row, idx = self.rows(texts)
        val = self.idf[idx]
        language = self._is_language[idx]
        val[language] = 0.0
        norms = np.bincount(row, weights=val * val, minlength=n)
        norms[norms == 0] = 1.0
        val /= np.sqrt(norms)[row].astype(np.float32)
        val[language] = 1.0
        return Vectors(n, row, idx, val)

    def scores(self, texts: list[str], vectors: Vectors | None = None) -> np.ndarray:
        """Raw scores (n, 10): polarity then emotion, before the softmax."""
        v = vectors or self.vectors(texts)
        if v.n == 1:
            return (v.val @ self.weights[v.idx] + self.bias)[None, :]
        indptr = np.zeros(v.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(v.row, minlength=v.n), out=indptr[1:])
        x = sp.csr_matrix((v.val, v.idx, indptr), shape=(v.n, len(self.vocab)))
        return np.asarray(x @ self.weights) + self.bias

    def predict(self, texts: list[str], vectors: Vectors | None = None) -> dict[str, np.ndarray]:
        z = self.scores(list(texts), vectors)
        return {head: _softmax(z[:, cols].astype(np.float64)) for head, cols in self._columns.items()}

    def evidence_many(
        self, texts: list[str], vectors: Vectors, labels: dict[str, list[str | None]], top: dict[str, int], share: float = 0.0
    ) -> dict[str, list[list[tuple[str, int, int, float]]]]:
        """evidence() for a batch and several heads at once, from the vectors
        predict() read: for each head and text, the features that pushed most
        toward the text's label on that head (None: no evidence wanted), with
        their first span in the text; at most top[head], each at least `share`
        of the strongest. One sort for everything; a feature's span is looked
        for once per text."""
        n = vectors.n
        out = {head: [[] for _ in texts] for head in labels}
        groups, entries, contributions = [], [], []
        for h, (head, wanted_labels) in enumerate(labels.items()):
            classes = HEADS[head]
            wanted = np.array([classes.index(label) if label is not None else -1 for label in wanted_labels], dtype=np.int64)
            k = wanted[vectors.row]
            keep = np.flatnonzero(k >= 0)
            contributions.append(vectors.val[keep] * self._centred[head][vectors.idx[keep], k[keep]])
            groups.append(h * n + vectors.row[keep])
            entries.append(keep)
        group, entry, contribution = np.concatenate(groups), np.concatenate(entries), np.concatenate(contributions)
        if not len(group):
            return out
        # The groups come sorted (rows are): keep only what is within `share`
        # of its group's strongest, then sort that little by strength.
        starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
        strongest = np.maximum.reduceat(contribution, starts)
        of_group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(group))))
        keep = np.flatnonzero((contribution > 0) & (contribution >= share * strongest[of_group]))
        group, entry, contribution = group[keep], entry[keep], contribution[keep]
        order = np.lexsort((-contribution, group))
        group, entry, contribution = group[order], entry[order], contribution[order]
        first = np.searchsorted(group, group)  # where each group's entries start
        limit = np.array([top[head] for head in labels])[group // n]
        chosen = (np.arange(len(group)) - first) < limit
        heads = list(labels)
        normal: dict[int, str] = {}
        spans: dict[tuple[int, int], tuple[int, int] | None] = {}
        features = vectors.idx[entry[chosen]]
        for g, i, feature, c in zip(
            group[chosen].tolist(), features.tolist(), self.vocab[features].tolist(), contribution[chosen].tolist(), strict=True
        ):
            h, r = divmod(g, n)
            span = spans.get((r, i), False)
            if span is False:
                if r not in normal:
                    normal[r] = _normal(texts[r])
                span = spans[r, i] = _span(normal[r], feature)
            if span is not None:
                out[heads[h]][r].append((texts[r][span[0] : span[1]], span[0], span[1], c))
        return out

    def evidence(self, text: str, head: str, label: str, top: int = 5) -> list[tuple[str, int, int, float]]:
        """The features of the text that pushed most toward `label` on `head`:
        (the words as written, start, end, contribution to the label's score
        over the mean of the head's scores), largest first, positive only."""
        return self.evidence_many([text], self.vectors([text]), {head: [label]}, {head: top})[head][0]


_EN_NEGATION = "|".join(sorted(_EN_NEGATORS)) + r"|[a-z]+n't"


def _word_char(char: str) -> bool:
    return char == "'" or (char.isascii() and char.isalnum())


@functools.lru_cache(maxsize=4096)
def _negated_word(word: str) -> re.Pattern[str]:
    """A negation, then the word later in the same clause."""
    return re.compile(rf"(?<![a-z0-9'])(?:{_EN_NEGATION})(?![a-z0-9'])[^.,;!?\n]*?(?<![a-z0-9']){re.escape(word)}(?![a-z0-9'])")


def _span(normal: str, feature: str) -> tuple[int, int] | None:
    """Where a feature first occurs in a normalised text: a word as a whole
    word; a negated one (¬x) from its negation to x, as a person reads it."""
    if feature.startswith(_LANG_MARK):
        return None  # a language feature: the whole text, no words
    negated = feature.startswith(_NEG)
    target = feature[1:] if negated else feature
    if is_word_feature(feature):
        if negated:
            found = _negated_word(target).search(normal)
            return found.span() if found else None
        at = normal.find(target)
        while at >= 0:
            end = at + len(target)
            if not (at and _word_char(normal[at - 1])) and not (end < len(normal) and _word_char(normal[end])):
                return at, end
            at = normal.find(target, at + 1)
        return None
    if not negated:
        at = normal.find(target)
        return (at, at + len(target)) if at >= 0 else None
    at = normal.find(target)
    while at >= 0:
        for back in range(1, _ZH_SCOPE + 1):
            if at - back >= 0 and normal[at - back] in _ZH_NEGATORS:
                return at - back, at + 1
        at = normal.find(target, at + 1)
    return None


def _stable_zip(data: bytes) -> bytes:
    """The npz with fixed member dates, so the same weights give the same bytes."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename), compresslevel=9)
    return out.getvalue()
