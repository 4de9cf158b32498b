"""The engine reads a customer's text as a whole: polarity, the eight emotions,
finer tags, intensity, escalation with its cues, whether it is a complaint and
why, and the evidence a person can check; for any input, without an exception."""

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.emotion.engine import LEVELS, Engine, Reading
from manyi.emotion.model import EMOTIONS
from manyi.emotion.text import MAX_CHARS


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def assert_valid(reading: Reading) -> None:
    assert reading.language in ("zh", "en", "other")
    assert reading.polarity in ("positive", "neutral", "negative")
    assert -1.0 <= reading.polarity_score <= 1.0
    assert set(reading.emotions) == set(EMOTIONS)
    assert math.isclose(sum(reading.emotions.values()), 1.0, abs_tol=1e-6)
    assert all(0.0 <= p <= 1.0 for p in reading.emotions.values())
    assert reading.primary == max(reading.emotions, key=reading.emotions.get)
    assert 0.0 <= reading.intensity < 1.0
    assert reading.escalation in LEVELS
    assert reading.cause is None or reading.complaint
    for item in (*reading.evidence, *reading.cues):
        assert reading.text[item.start : item.end] == item.text
    json.dumps(reading.to_dict(), ensure_ascii=False)


def test_the_issues_example_is_an_angry_high_risk_complaint(engine):
    r = engine.analyze("第三次了！再不退款我就去12315投诉你们")
    assert_valid(r)
    assert (r.language, r.polarity, r.primary, r.escalation, r.complaint) == ("zh", "negative", "anger", "high", True)
    assert {c.kind for c in r.cues} == {"repeat", "refund", "consumer_association"}
    assert {e.points_to for e in r.evidence} >= {"escalation:repeat", "escalation:refund", "escalation:consumer_association"}


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("服务很好，快递也快，非常满意，下次还来买！", "positive"),
        ("质量太差了，用了两天就坏了，非常失望", "negative"),
        ("客服态度很好，问题很快就解决了，谢谢你们", "positive"),
        ("等了一个星期还没发货，客服也不回消息", "negative"),
        ("Great service, the parcel came early and everything works. Thank you!", "positive"),
        ("This is the worst support I have ever had. Nobody answers and my order is still missing.", "negative"),
    ],
)
def test_polarity_of_plain_customer_messages(engine, text, polarity):
    r = engine.analyze(text)
    assert_valid(r)
    assert r.polarity == polarity
    assert (r.polarity_score > 0) == (polarity == "positive")


def test_negation_turns_the_reading(engine):
    assert engine.analyze("我对这次的服务很满意").polarity_score > 0 > engine.analyze("我对这次的服务很不满意").polarity_score
    assert engine.analyze("The product is good").polarity_score > 0 > engine.analyze("The product is not good at all").polarity_score


def test_traditional_chinese_reads_like_simplified(engine):
    traditional = engine.analyze("東西壞了，客服態度很差，我要退貨！")
    simplified = engine.analyze("东西坏了，客服态度很差，我要退货！")
    assert traditional.language == "zh" and traditional.polarity == simplified.polarity == "negative"
    assert traditional.primary == simplified.primary and traditional.escalation == simplified.escalation


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("本以为质量会好一点，真是太失望了", "disappointment"),
        ("明天就要用了，现在还没到，急死我了怎么办", "anxiety"),
        ("已经催了三次了，到底什么时候发货？", "impatience"),
        ("这个活动是不是骗人的，真的假的？", "suspicion"),
        ("I'm really worried, I need it for an urgent meeting tomorrow", "anxiety"),
    ],
)
def test_finer_tags_are_found_with_evidence(engine, text, tag):
    r = engine.analyze(text)
    assert tag in r.tags
    assert any(e.points_to == f"tag:{tag}" for e in r.evidence)


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("快递送了一个星期还没到，太慢了，我要投诉", "delivery/late"),
        ("你们的客服态度太差了，对我爱答不理", "service/attitude"),
        ("买回来才发现跟宣传的完全不一样，虚假宣传", "advertising/misleading"),
        ("刚买的洗衣机用了三天就坏了，漏水严重", "product/manufacturing"),
        ("说好的周五上门，结果没人来，说话不算数", "promise/broken"),
        ("The item arrived two weeks late and the tracking never updated. Unacceptable.", "delivery/late"),
    ],
)
def test_a_complaint_names_its_likely_cause(engine, text, cause):
    r = engine.analyze(text)
    assert r.complaint and r.polarity == "negative"
    assert r.cause == cause
    assert any(e.points_to == f"cause:{cause}" for e in r.evidence)


def test_praise_is_not_a_complaint_and_a_thank_you_for_a_refund_is_not_risky(engine):
    r = engine.analyze("非常感谢，退款已经收到了，你们的服务真贴心！")
    assert r.polarity == "positive" and not r.complaint and r.cause is None
    assert r.escalation == "low"  # the refund cue, a step less risky from a pleased customer
    assert [c.kind for c in r.cues] == ["refund"]


def test_the_evidence_shows_which_words_drove_the_polarity(engine):
    r = engine.analyze("这家酒店太脏了，服务员态度恶劣，再也不来了")
    driving = [e for e in r.evidence if e.points_to == "negative"]
    assert driving and all(e.weight > 0 for e in driving)
    assert any(word in "".join(e.text for e in driving) for word in ("脏", "恶劣"))


def test_shouting_reads_as_more_intense(engine):
    calm = engine.analyze("订单还没到，请帮我查一下")
    loud = engine.analyze("订单到底什么时候到？？？等了十天了！！！垃圾！！！")
    assert loud.intensity > calm.intensity + 0.3


@pytest.mark.parametrize("raw", ["", "   \n\t ", "😡😡😡", "！！！？？？", "2026-11-27 10:00", None, 42, b"\xff\xfe", "<p>&nbsp;</p>", "\x00\x01\x02", "\ud800abc"])
def test_empty_and_odd_input_gives_a_neutral_valid_reading(engine, raw):
    r = engine.analyze(raw)
    assert_valid(r)
    assert r.polarity == "neutral" and r.escalation == "low" and not r.complaint


def test_a_megabyte_is_read_on_a_bounded_prefix_and_says_so(engine):
    r = engine.analyze("差评！" * 350_000)
    assert_valid(r)
    assert r.truncated and len(r.text) <= MAX_CHARS and r.length == 1_050_000
    assert r.polarity == "negative"


def test_mixed_chinese_and_english_and_html(engine):
    r = engine.analyze("<div>这个 APP 太烂了，login 一直 fail，<b>我要退款</b>&amp;投诉</div>")
    assert_valid(r)
    assert r.language == "zh" and r.polarity == "negative" and r.complaint
    assert "<" not in r.text and "&" in r.text


def test_analyze_many_reads_each_text_as_analyze_does(engine):
    texts = ["太棒了，谢谢！", "", "   ", "\x00", "我要投诉你们！！！", "Thanks a lot!", None, "What a terrible experience", "第三次了"]
    # the same figures, up to the last bits a batched sum may round differently
    assert [r.to_dict() for r in engine.analyze_many(texts)] == [engine.analyze(t).to_dict() for t in texts]
    assert engine.analyze_many([]) == []


def test_every_reading_carries_the_model_version(engine):
    assert engine.version and engine.analyze("好").model_version == engine.version


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.lists(st.sampled_from(["不", "太", "差", "好", "退款", "12315", "!", "？", " ", "not", "great"]), max_size=40).map("".join))
def test_any_text_gives_a_valid_reading(engine, raw):
    assert_valid(engine.analyze(raw))


def test_the_reply_checker_takes_the_customers_reading_as_context(engine):
    upset = engine.analyze("第三次了！再不退款我就去12315投诉你们")
    pleased = engine.analyze("你们的服务太好了，谢谢！")
    reply = "好的。"
    assert {m.kind for m in engine.check_reply(reply, context=upset).missing} == {"apology", "thanks", "next_step", "time"}
    assert {m.kind for m in engine.check_reply(reply, context=pleased).missing} == {"thanks"}
    assert engine.check_reply("不可能，这是公司规定", context=upset).findings


def test_guidance_for_an_angry_repeat_complaint_starts_by_calming_and_escalating(engine):
    r = engine.analyze("第三次了！再不退款我就去12315投诉你们")
    steps = engine.guidance(r, style="analytical", temperament="combative")
    keys = [s.key for s in steps]
    assert keys[:2] == ["vent", "urgent"]
    assert {"apologise", "repeat", "demand", "cause", "recheck"} <= set(keys)
    assert keys[-2:] == ["style", "temperament"]
    assert all(s.text for s in steps) and "让客户" in steps[0].text


def test_guidance_speaks_english_for_english_and_is_calm_for_praise(engine):
    steps = engine.guidance(engine.analyze("Thank you so much, you have been wonderful!"))
    assert [s.key for s in steps] == ["positive"] and steps[0].text.startswith("The customer is pleased")
    assert engine.guidance(engine.analyze(""))[0].key == "neutral"
    calm = engine.analyze("请问明天几点开门？")
    assert engine.guidance(calm, style="nonsense", temperament="unknown") == engine.guidance(calm)
