"""The reply checker flags what domain §4 says never to say, with its span and a better wording,
and notes what a good answer to an upset customer lacks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.emotion.replies import check_reply


@pytest.mark.parametrize(
    ("reply", "kinds"),
    [
        # the material's five phrases
        ("不可能，绝对不会有这种事发生的", ["impossible", "impossible"]),
        ("我们的商品是一分钱一分货", ["price_excuse"]),
        ("我绝对没有说那种话", ["denial"]),
        ("这个问题太简单了", ["belittling"]),
        ("这是我们公司的规定", ["policy"]),
        # variants and the mistakes behind them
        ("这是你自己的问题，你没看说明书吗", ["blame", "blame"]),
        ("这不归我们管，你去找快递", ["passing_the_buck", "passing_the_buck"]),
        ("你听我说，不是这样的", ["arguing", "arguing"]),
        ("That's company policy, nothing I can do.", ["policy", "passing_the_buck"]),
        ("That's impossible. You should have read the manual.", ["impossible", "blame"]),
        ("Honestly, you get what you pay for.", ["price_excuse"]),
    ],
)
def test_forbidden_phrases_are_flagged_with_span_and_better_wording(reply, kinds):
    review = check_reply(reply)
    assert [f.kind for f in review.findings] == kinds and not review.ok
    for f in review.findings:
        assert review.text[f.start : f.end] == f.text and f.why and f.better


def test_messages_are_in_the_replys_language():
    zh, en = check_reply("这是公司规定").findings[0], check_reply("It's company policy").findings[0]
    assert "规定" in zh.why and "我" in zh.better
    assert "policy" in en.why.lower() and en.better.startswith("I ")


def test_a_good_answer_passes_and_lacks_nothing():
    for reply in (
        "非常抱歉给您带来不便，感谢您的反馈。我马上为您安排补发，今天下午5点前发出。",
        "Sorry for the trouble, and thank you for telling us. I will send a replacement within 24 hours.",
    ):
        review = check_reply(reply)
        assert review.ok and review.missing == []


def test_what_a_curt_answer_lacks_is_noted():
    review = check_reply("已收到。")
    assert review.ok and [m.kind for m in review.missing] == ["apology", "thanks", "next_step", "time"]
    review = check_reply("抱歉，我们会处理。")
    assert [m.kind for m in review.missing] == ["thanks", "time"]


def test_helpful_words_are_not_mistaken_for_blame():
    assert check_reply("您应该已经收到短信了，我再帮您查一下。").ok
    assert check_reply("You should have received an e-mail; let me check.").ok


@given(st.text(max_size=300))
def test_any_reply_gets_a_review(reply):
    review = check_reply(reply)
    assert all(review.text[f.start : f.end] == f.text for f in review.findings)
    assert {m.kind for m in review.missing} <= {"apology", "thanks", "next_step", "time"}
