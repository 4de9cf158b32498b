"""The trained text classifier: polarity and emotion from the words of a text.

A linear model over sparse features, read with numpy alone (no scikit-learn,
no pickle). The features are what a person could point at:

- Chinese: character 1-3-grams inside each run of Chinese characters, and
  the characters a negation (不 没 别 未 无 非 莫 勿) reaches, marked "¬";
- English and other Latin text: lower-cased words and word bigrams, and the
  words a negation (not, no, never, ...n't) reaches up to the next
  punctuation, marked "¬";
- punctuation, emoji and other symbols, one character each.

Digits read as 0 (“等了2小时” and “等了3小时” are one feature). Each text is a
set of features weighted by their idf and scaled to unit length; each head
(polarity, emotion) is a softmax over that vector. The weights are trained by
train.py and shipped in data/model.npz; the functions here must stay the ones
the training used, which is why train.py calls them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
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


def _normal(text: str) -> str:
    """Lower case, digits as 0, the same length as the text (spans stay valid)."""
    low = text.lower()
    if len(low) != len(text):  # a few letters lower to two characters (İ)
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low.translate(_DIGITS)


def _negates(word: str) -> bool:
    return word in _EN_NEGATORS or word.endswith("n't")


def features(text: str) -> list[tuple[str, int, int]]:
    """Every feature of a (prepared) text with its span, in reading order;
    a feature occurring twice appears twice."""
    out: list[tuple[str, int, int]] = []
    add = out.append
    prev: tuple[str, int] | None = None  # the previous English word, for bigrams
    negated = False
    for m in _TOKEN.finditer(_normal(text)):
        run, word, other = m.groups()
        s = m.start()
        if run is not None:
            prev, negated = None, False
            n = len(run)
            for i in range(n):
                add((run[i], s + i, s + i + 1))
                if i + 2 <= n:
                    add((run[i : i + 2], s + i, s + i + 2))
                if i + 3 <= n:
                    add((run[i : i + 3], s + i, s + i + 3))
                if run[i] in _ZH_NEGATORS:
                    for j in range(i + 1, min(i + 1 + _ZH_SCOPE, n)):
                        add((_NEG + run[j], s + j, s + j + 1))
        elif word is not None:
            e = m.end()
            add((word, s, e))
            if negated:
                add((_NEG + word, s, e))
            if prev is not None:
                add((prev[0] + " " + word, prev[1], e))
            prev = (word, s)
            if _negates(word):
                negated = True
        else:
            prev, negated = None, False
            add((other, s, s + 1))
    return out


def grams(text: str) -> list[str]:
    """The features of features(), without their spans (the fast path)."""
    out: list[str] = []
    add = out.append
    extend = out.extend
    prev = None
    negated = False
    for run, word, other in _TOKEN.findall(_normal(text)):
        if run:
            prev, negated = None, False
            n = len(run)
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
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


class Model:
    """Polarity and emotion probabilities for prepared texts (text.prepare(x).text)."""

    version: str

    def __init__(self, vocab: list[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray, meta: dict, digest: str):
        self.vocab = vocab
        self._index = {g: i for i, g in enumerate(vocab)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)  # (features, 2 + 8): polarity then emotion
        self.bias = np.asarray(bias, dtype=np.float32)
        self.meta = meta
        self.version = f"{meta.get('version', BASE_VERSION)}-{digest[:8]}"
        self._columns = {"polarity": slice(0, len(POLARITY)), "emotion": slice(len(POLARITY), len(POLARITY) + len(EMOTIONS))}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Model:
        raw = Path(path if path is not None else DEFAULT_PATH).read_bytes()
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            vocab = str(npz["vocab"][()]).split("\n")
            meta = json.loads(str(npz["meta"][()]))
            return cls(vocab, npz["idf"], npz["weights"], npz["bias"], meta, hashlib.sha256(raw).hexdigest())

    @staticmethod
    def save(path: str | Path, vocab: list[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray, meta: dict) -> None:
        """Write the weights (byte for byte the same for the same arguments)."""
        assert all("\n" not in g for g in vocab)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vocab=np.array("\n".join(vocab)),
            idf=np.asarray(idf, dtype=np.float16),
            weights=np.asarray(weights, dtype=np.float16),
            bias=np.asarray(bias, dtype=np.float32),
            meta=np.array(json.dumps(meta, sort_keys=True, ensure_ascii=False)),
        )
        Path(path).write_bytes(_stable_zip(buffer.getvalue()))

    def _indices(self, text: str) -> list[int]:
        """The vocabulary indices of the text's features, each once, in no order."""
        return [i for i in map(self._index.get, set(grams(text))) if i is not None]

    def scores(self, texts: list[str]) -> np.ndarray:
        """Raw scores (n, 10): polarity then emotion, before the softmax."""
        n = len(texts)
        if n == 1:
            idx = self._indices(texts[0])
            if not idx:
                return self.bias[None, :].copy()
            val = self.idf[idx]
            val /= np.sqrt(val @ val)
            return (val @ self.weights[idx] + self.bias)[None, :]
        rows = [self._indices(t) for t in texts]
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.fromiter((i for row in rows for i in row), dtype=np.int32, count=int(indptr[-1]))
        val = self.idf[indices]
        norms = np.bincount(np.repeat(np.arange(n), lengths), weights=val * val, minlength=n)
        norms[norms == 0] = 1.0
        val /= np.repeat(np.sqrt(norms), lengths).astype(np.float32)
        x = sp.csr_matrix((val, indices, indptr), shape=(n, len(self.vocab)))
        return np.asarray(x @ self.weights) + self.bias

    def predict(self, texts: list[str]) -> dict[str, np.ndarray]:
        z = self.scores(list(texts))
        return {head: _softmax(z[:, cols].astype(np.float64)) for head, cols in self._columns.items()}

    def evidence(self, text: str, head: str, label: str, top: int = 5) -> list[tuple[str, int, int, float]]:
        """The features of the text that pushed most toward `label` on `head`:
        (the words as written, start, end, contribution to the label's score
        over the mean of the head's scores), largest first, positive only."""
        cols = self._columns[head]
        k = HEADS[head].index(label)
        first: dict[int, tuple[int, int]] = {}
        get = self._index.get
        for g, s, e in features(text):
            i = get(g)
            if i is not None and i not in first:
                first[i] = (s, e)
        if not first:
            return []
        idx = list(first)
        val = self.idf[idx]
        val = val / np.sqrt(val @ val)
        w = self.weights[idx, cols]
        contribution = val * (w[:, k] - w.mean(axis=1))
        order = np.argsort(-contribution, kind="stable")
        out = []
        for j in order[:top]:
            c = float(contribution[j])
            if c <= 0:
                break
            s, e = first[idx[j]]
            out.append((text[s:e], s, e, c))
        return out


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
