"""The emotion engine's input and cues: pure Python, any input, spans that point at the words."""

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.emotion.cues import escalation, find_cues, intensity
from manyi.emotion.text import MAX_CHARS, prepare


def test_the_engine_imports_nothing_from_django():
    code = "import sys, manyi.emotion.engine, manyi.emotion.train; assert not any(m.startswith('django') for m in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("raw", "text", "language"),
    [
        ("", "", "other"),
        ("  \n\t ", "", "other"),
        ("😀😀!!", "😀😀!!", "other"),
        ("<p>您好&amp;谢谢</p><br/>再见", "您好&谢谢 再见", "zh"),
        ("ＡＢＣ１２３！", "ABC123!", "en"),
        ("订单\x00号\x1b码\u200b", "订单 号 码", "zh"),
        ("这个order还没到", "这个order还没到", "zh"),
        ("Please call 张三 about the refund, it is late", "Please call 张三 about the refund, it is late", "en"),
        ("這個產品太爛了", "这个产品太烂了", "zh"),  # Traditional Chinese is Chinese, read in Simplified characters
        ("こんにちは、元気", "こんにちは、元気", "other"),
        ("a\r\n\r\n  b", "a\nb", "en"),
    ],
)
def test_input_is_cleaned_and_given_a_language(raw, text, language):
    prepared = prepare(raw)
    assert (prepared.text, prepared.language, prepared.truncated) == (text, language, False)
    assert len(prepared.original) == len(prepared.text)


def test_traditional_chinese_is_read_in_simplified_with_spans_on_what_the_customer_wrote():
    prepared = prepare("第三次了！再不處理，我就去消費者協會投訴，還要賠償")
    assert prepared.text == "第三次了!再不处理,我就去消费者协会投诉,还要赔偿"
    cues = find_cues(prepared.text)
    assert [(c.kind, prepared.original[c.start : c.end]) for c in cues] == [
        ("repeat", "第三次"), ("consumer_association", "消費者協會"), ("compensation", "賠償"),
    ]  # fmt: skip
    assert escalation(cues) == "high"


def test_broken_and_odd_input_gives_valid_text():
    assert prepare("坏\ud83d了").text == "坏\ufffd了"  # a lone surrogate
    assert prepare("\ud83d\ude00").text == "😀"  # a pair, as a broken JSON escape gives it
    assert prepare(None).text == "" and prepare(12315).text == "12315"
    assert prepare("退款".encode("gbk")).text.encode("utf-8")  # bytes that are not UTF-8 still give text


def test_a_huge_text_is_read_from_its_start_and_says_so():
    raw = "我要投诉！" * 200_000  # 1,000,000 characters
    prepared = prepare(raw)
    assert prepared.truncated and len(prepared.text) == MAX_CHARS and prepared.original_length == 1_000_000
    assert prepared.text.startswith("我要投诉!")


@pytest.mark.parametrize(
    ("text", "kinds", "level"),
    [
        ("第三次了！再不退款我就去12315投诉你们", ["repeat", "refund", "consumer_association"], "high"),
        ("再不处理我就找记者曝光，发到网上让大家都知道", ["media", "media", "media", "media"], "high"),
        ("我已经请了律师，准备起诉", ["legal", "legal"], "high"),
        ("请尽快给我退款", ["refund"], "medium"),
        ("我想取消订单，换一家算了", ["cancel", "competitor"], "medium"),
        ("这是我第二次反映这个问题了，要求赔偿", ["repeat", "compensation"], "high"),
        ("This is the THIRD time. Refund me or I will call my lawyer!!!", ["repeat", "refund", "legal"], "high"),
        ("I will cancel and switch to a competitor", ["cancel", "competitor", "competitor"], "medium"),
        ("I'm reporting you to the Better Business Bureau", ["consumer_association"], "high"),
        ("谢谢，东西很好，很满意", [], "low"),
        ("Thanks, it arrived on time", [], "low"),
    ],
)
def test_escalation_cues_are_found_with_their_spans(text, kinds, level):
    prepared = prepare(text)
    cues = find_cues(prepared.text)
    assert [c.kind for c in cues] == kinds
    assert all(prepared.text[c.start : c.end] == c.text for c in cues)
    assert escalation(cues) == level


def test_shouting_and_swearing_read_as_more_intense_than_a_calm_text():
    calm = intensity(prepare("请问订单什么时候到？").text).score
    upset = intensity(prepare("太慢了！！到底什么时候到？？").text).score
    furious = intensity(prepare("垃圾！骗子！！！你们简直太坑人了，我要投诉！！！").text).score
    shouting = intensity(prepare("WHERE IS MY ORDER??? This is a SCAM!!!").text).score
    assert calm == 0 < upset < furious < 1 and 0.5 < shouting < 1


@given(st.text(max_size=300))
def test_any_text_gives_a_valid_reading_of_its_cues(raw):
    prepared = prepare(raw)
    prepared.text.encode("utf-8")
    assert len(prepared.original) == len(prepared.text)
    assert prepared.language in {"zh", "en", "other"} and len(prepared.text) <= MAX_CHARS
    cues = find_cues(prepared.text)
    assert all(prepared.text[c.start : c.end] == c.text for c in cues)
    assert escalation(cues) in {"low", "medium", "high"}
    assert 0 <= intensity(prepared.text).score < 1
