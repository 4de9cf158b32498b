"""The trained classifier (manyi.emotion.model), as a specification.

Every sentence here is written for the test, none comes from the training data.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from manyi.emotion import model as model_mod
from manyi.emotion.model import (
    EMOTIONS,
    LANGUAGE_FEATURES,
    POLARITY,
    Model,
    grams,
)
from manyi.emotion.text import prepare


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


# ------------------------------------------------------- training, on made-up data

_ZH_GOOD = ("服务很好", "态度热情", "送得很快", "味道不错", "房间干净", "非常满意")
_ZH_BAD = ("服务太差", "态度冷淡", "送得太慢", "味道难吃", "房间很脏", "非常失望")
_ZH_EMOTION = {
    "joy": ("今天真开心", "哈哈太高兴了"),
    "like": ("我好喜欢这只猫", "这首歌真好听"),
    "anger": ("气死我了", "简直欺负人"),
    "sadness": ("心里好难过", "忍不住想哭"),
    "fear": ("我好害怕", "吓得睡不着"),
    "disgust": ("真恶心", "看着就讨厌"),
    "surprise": ("天哪居然是真的", "没想到竟然这样"),
    "neutral": ("明天下午开会", "今天星期三"),
}
_EN_EMOTION = {
    "joy": ("so happy today", "this is great fun"),
    "anger": ("i am furious", "this makes me so mad"),
    "sadness": ("i feel so sad", "that is heartbreaking"),
    "fear": ("i am scared", "that is terrifying"),
    "disgust": ("that is gross", "how disgusting"),
    "surprise": ("wow i did not expect that", "what a surprise"),
    "neutral": ("the meeting is at noon", "it is tuesday"),
}
_SMP_NAMES = {"joy": "happy", "anger": "angry", "sadness": "sad", "fear": "fear", "surprise": "surprise", "neutral": "neutral"}
_EKMAN = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
_ORIGINAL = ["admiration", "anger", "joy", "neutral", "sadness"]  # a short list: the loader reads names by position


def _zh_polarity(n: int, seed: int) -> list[tuple[int, str]]:
    """n labelled sentences (1 positive, 0 negative) made of the phrases above."""
    out = []
    for i in range(n):
        label = (i + seed) % 2
        phrases = _ZH_GOOD if label else _ZH_BAD
        out.append((label, f"第{i}次，{phrases[i % 6]}，{phrases[(i + seed + 1) % 6]}。"))
    return out


def _zh_emotion(n: int, names: dict[str, str] | None = None) -> list[dict]:
    labels = [e for e in EMOTIONS if names is None or e in names]
    out = []
    for i in range(n):
        e = labels[i % len(labels)]
        out.append({"id": i, "content": f"{_ZH_EMOTION[e][i % 2]}，第{i}回", "label": names[e] if names else e})
    return out


def _write_synthetic_data(root: Path) -> Path:
    """Every file load_splits() opens, in its format, with sentences written here."""
    import csv
    import json

    (root / "chnsenticorp").mkdir(parents=True)
    for name, seed in (("train.tsv", 0), ("dev.tsv", 1)):
        lines = ["label\ttext_a"] + [f"{label}\t{t}" for label, t in _zh_polarity(40, seed)]
        (root / "chnsenticorp" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "reviews").mkdir()
    with (root / "reviews" / "waimai_10k.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "review"])
        writer.writerows(_zh_polarity(40, 2))
    (root / "chat").mkdir()
    chat = [f"{('negative', 'positive')[label]},{' '.join(t)}" for label, t in _zh_polarity(40, 3)]  # segmented with spaces
    (root / "chat" / "sentiment_XS_30k.txt").write_text("labels,text\n" + "\n".join(chat) + "\n", encoding="utf-8")
    (root / "smp2020_ewect").mkdir()
    for name, n in (("usual_eval_labeled.txt", 40), ("virus_train.txt", 24), ("virus_eval_labeled.txt", 12)):
        (root / "smp2020_ewect" / name).write_text(json.dumps(_zh_emotion(n, _SMP_NAMES), ensure_ascii=False), encoding="utf-8")
    (root / "clue_emotion").mkdir()
    clue = [json.dumps({**r, "label": "happiness" if r["label"] == "joy" else r["label"]}, ensure_ascii=False) for r in _zh_emotion(42)]
    (root / "clue_emotion" / "valid.txt").write_text("\n".join(r for r in clue if '"neutral"' not in r) + "\n", encoding="utf-8")
    for kind, names in (("ekman", _EKMAN), ("original", _ORIGINAL)):
        folder = root / "goemotions" / kind
        folder.mkdir(parents=True)
        (folder / "labels.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
        for part, n in (("train.tsv", 42), ("dev.tsv", 14)):
            rows = []
            for i in range(n):
                e = [x for x in _EKMAN if x in names][i % len([x for x in _EKMAN if x in names])]
                ids = str(names.index(e)) if i % 7 else f"{names.index(e)},{names.index('neutral')}"  # some multi-label rows
                rows.append(f"{_EN_EMOTION[e][i % 2].capitalize()}, number {i}!\t{ids}\tid{i}")
            (folder / part).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def test_the_synthetic_data_has_every_part_the_loader_reads(tmp_path: Path) -> None:
    from manyi.emotion.train import load_splits

    splits = load_splits(_write_synthetic_data(tmp_path / "data"))
    for name in ("chnsenticorp", "waimai", "chat", "smp_usual", "smp_virus", "clue", "goemotions_ekman", "goemotions_polarity"):
        assert splits[name].train_texts, name
    assert set(splits["chnsenticorp"].train_labels) == set(POLARITY)
    assert splits["chat"].train_texts[0].count(" ") == 0  # the segmentation spaces are gone


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None and not os.environ.get("CI"), reason="training needs scikit-learn")
def test_training_twice_gives_the_same_file_and_a_working_model(tmp_path: Path) -> None:
    from manyi.emotion.train import train

    data = _write_synthetic_data(tmp_path / "data")
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run / "model.npz"
        figures = train(data, out)
        assert {"chnsenticorp", "smp_usual", "goemotions_ekman"} <= set(figures)
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    small = Model.load(out)
    probs = small.predict(POSITIVE + NEGATIVE)
    assert probs["polarity"].shape == (len(POSITIVE) + len(NEGATIVE), 2)
    positive = POLARITY.index("positive")
    good, bad = small.predict(_ready("服务很好，非常满意", "服务太差，非常失望"))["polarity"][:, positive]
    assert good > 0.5 > bad
    # The small model has the language features: the batch reader finds them as grams() does,
    # they weigh 1 whatever the length, and evidence never points at them.
    texts = [*POSITIVE, *NEGATIVE, "服务很好 ok", "ok ok 服务", "!!!", ""]
    rows, idx = small.rows(texts)
    for k, text in enumerate(texts):
        assert set(idx[rows == k].tolist()) == {small.index(g) for g in grams(text)} - {None}
    zh = small.index(LANGUAGE_FEATURES["zh"])
    vectors = small.vectors(texts)
    assert zh is not None and np.all(vectors.val[vectors.idx == zh] == 1.0)
    found = small.evidence_many(texts, vectors, {"polarity": ["positive"] * len(texts)}, {"polarity": 50})
    for per_text in found["polarity"]:
        assert all(words for words, *_ in per_text)


def test_each_text_has_one_language_feature() -> None:
    zh, en = LANGUAGE_FEATURES["zh"], LANGUAGE_FEATURES["en"]
    assert zh in grams("服务很好，用iPhone下单") and en not in grams("服务很好，用iPhone下单")
    assert en in grams("The service was great") and zh not in grams("The service was great")
    assert not set(grams("!!! 123 😊")) & {zh, en}
    assert [g for g in grams("ok 好") if g in (zh, en)] == [zh]
