"""The trained classifier (manyi.emotion.model), as a specification.

Every sentence here is written for the test, none comes from the training data.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from manyi.emotion import model as model_mod
from manyi.emotion.model import EMOTIONS, POLARITY, Model, features, grams
from manyi.emotion.text import prepare

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "emotion"


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.load()


def _ready(*raw: str) -> list[str]:
    return [prepare(r).text for r in raw]


POSITIVE = _ready(
    "这次的客服太棒了，问题很快就解决了，非常满意！",
    "东西质量很好，包装也很用心，下次还会再来买。",
    "Thank you so much, the support team was wonderful and fixed it fast!",
    "I love this app, it works great and the staff are really helpful.",
)
NEGATIVE = _ready(
    "等了三天还没发货，客服也不回消息，太失望了。",
    "质量太差了，用了一天就坏了，完全是垃圾。",
    "This is terrible, the order arrived broken and nobody answers my emails.",
    "Worst service ever. I am very disappointed and I want my money back.",
)


def test_probabilities_have_one_row_per_text_and_sum_to_one(model: Model) -> None:
    texts = [*POSITIVE, *NEGATIVE, "", "!!!", "12345", "😊"]
    out = model.predict(texts)
    assert set(out) == {"polarity", "emotion"}
    assert out["polarity"].shape == (len(texts), len(POLARITY))
    assert out["emotion"].shape == (len(texts), len(EMOTIONS))
    for probs in out.values():
        assert np.all(probs >= 0)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)


def test_one_text_reads_the_same_alone_as_in_a_batch(model: Model) -> None:
    batch = model.predict(POSITIVE + NEGATIVE)
    for i, text in enumerate(POSITIVE + NEGATIVE):
        alone = model.predict([text])
        np.testing.assert_allclose(alone["polarity"][0], batch["polarity"][i], atol=1e-5)
        np.testing.assert_allclose(alone["emotion"][0], batch["emotion"][i], atol=1e-5)


def test_an_empty_batch_gives_empty_arrays(model: Model) -> None:
    out = model.predict([])
    assert out["polarity"].shape == (0, 2) and out["emotion"].shape == (0, 8)


def test_obvious_praise_is_positive_and_obvious_complaints_negative(model: Model) -> None:
    positive = POLARITY.index("positive")
    assert np.all(model.predict(POSITIVE)["polarity"][:, positive] > 0.5)
    assert np.all(model.predict(NEGATIVE)["polarity"][:, positive] < 0.5)


def test_negation_turns_praise_around(model: Model) -> None:
    positive = POLARITY.index("positive")
    good, not_good = model.predict(_ready("这个服务很好用", "这个服务一点都不好用"))["polarity"][:, positive]
    assert good > 0.5 > not_good


def test_angry_and_happy_texts_read_as_anger_and_joy(model: Model) -> None:
    angry = _ready("气死我了！你们这什么破服务，简直欺负人！", "I am so angry, this is outrageous and I'm furious with you!")
    happy = _ready("太开心了，终于收到了，哈哈哈！", "Yay, I'm so happy and excited, this made my day!")
    anger, joy = EMOTIONS.index("anger"), EMOTIONS.index("joy")
    for probs in model.predict(angry)["emotion"]:
        assert probs[anger] > probs[joy]
    for probs in model.predict(happy)["emotion"]:
        assert probs[joy] > probs[anger]
        assert probs.argmax() in (joy, EMOTIONS.index("like"))


def test_evidence_points_at_words_of_the_text(model: Model) -> None:
    text = _ready("快递太慢了，客服态度也很差，非常失望")[0]
    found = model.evidence(text, "polarity", "negative", top=4)
    assert 0 < len(found) <= 4
    contributions = [c for *_, c in found]
    assert contributions == sorted(contributions, reverse=True) and all(c > 0 for c in contributions)
    for words, start, end, _ in found:
        assert text[start:end] == words and words
    assert any(w in "".join(f[0] for f in found) for w in ("差", "失望", "慢"))


def test_evidence_for_english_words_keeps_their_case_and_place(model: Model) -> None:
    text = "The delivery was Awful and the driver was rude."
    found = model.evidence(text, "polarity", "negative")
    assert found
    for words, start, end, _ in found:
        assert text[start:end] == words
    assert any("Awful" in w or "rude" in w for w, *_ in found)


def test_evidence_of_a_text_with_nothing_known_is_empty(model: Model) -> None:
    assert model.evidence("", "emotion", "joy") == []


def test_the_batch_reader_finds_exactly_the_features_of_the_reference(model: Model) -> None:
    texts = [
        *POSITIVE,
        *NEGATIVE,
        "I don't think it's good, not at all... 但是还行吧 2024年3月",
        "İstanbul ŞEHİR 'quoted' words, no  more   spaces!! 不不不",
        "",
        "x",
    ]
    rows, idx = model.rows(texts)
    found: list[set[int]] = [set() for _ in texts]
    for r, i in zip(rows.tolist(), idx.tolist(), strict=True):
        found[r].add(i)
    for k, text in enumerate(texts):
        reference = {model.index(g) for g in grams(text)} - {None}
        assert found[k] == reference
        assert reference == {model.index(g) for g, _, _ in features(text)} - {None}


def test_loads_from_a_path_and_has_a_version(tmp_path: Path, model: Model) -> None:
    copy = tmp_path / "copy.npz"
    copy.write_bytes(model_mod.DEFAULT_PATH.read_bytes())
    again = Model.load(str(copy))
    assert again.version == model.version and again.version.startswith("2026.")
    np.testing.assert_allclose(again.predict(POSITIVE)["polarity"], model.predict(POSITIVE)["polarity"])


def test_the_shipped_file_needs_no_pickle() -> None:
    with np.load(model_mod.DEFAULT_PATH, allow_pickle=False) as npz:
        for name in npz.files:
            assert npz[name].dtype != object


def test_the_model_does_not_import_django() -> None:
    source = Path(model_mod.__file__).read_text(encoding="utf-8")
    assert "django" not in source.lower()


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="training needs scikit-learn")
@pytest.mark.skipif(not DATA.is_dir(), reason="the training data is not on this machine")
def test_training_twice_gives_the_same_file_and_a_working_model(tmp_path: Path) -> None:
    from manyi.emotion.train import train

    digests = []
    for run in ("a", "b"):
        out = tmp_path / run / "model.npz"
        figures = train(DATA, out, limit=300)
        assert "chnsenticorp" in figures
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    small = Model.load(out)
    probs = small.predict(POSITIVE)
    assert probs["polarity"].shape == (len(POSITIVE), 2)
