"""The reply checker: an agent's draft answer to an upset customer, reviewed
against domain §4 before it is sent.

It flags what must never be said (the material's five phrases and the
mistakes behind them: denying, excusing the quality by the price, blaming the
customer, hiding behind company policy, belittling, arguing, passing the
buck), each with its span and a better wording, and notes what a good answer
has and this one lacks: an apology or acknowledgement, thanks, a concrete next
step and a time. Messages are in the reply's language (Chinese or English).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from manyi.emotion.cues import Cue
from manyi.emotion.scan import Scanner
from manyi.emotion.text import prepare

# kind: (Chinese pattern, English pattern, why (zh, en), better wording (zh, en))
_FORBIDDEN: dict[str, tuple[str, str, tuple[str, str], tuple[str, str]]] = {
    "impossible": (
        r"不可能|绝对不会|从来没有(?:出现|发生)过|不会有这种事",
        r"\bimpossible\b|that (?:can'?t|cannot|could ?n[o']t) (?:happen|be)|never happens",
        ("否认客户的遭遇，只会让客户更愤怒。", "Denying what the customer went through makes them angrier."),
        ("非常抱歉给您带来困扰，我马上核实具体情况。", "I'm sorry this happened. I'll check what went wrong right away."),
    ),
    "price_excuse": (
        r"一分钱一分货|便宜没好货|这个价(?:格|钱)?(?:就|只能)(?:这样|是这样)",
        r"you get what you pay for",
        ("拿价格为质量开脱，等于说客户买错了。", "Excusing the quality by the price tells the customer they chose wrong."),
        ("我理解您对质量的期待，我们来看看怎么帮您解决。", "I understand you expected better. Let's see how we can put it right."),
    ),
    "denial": (
        r"我(?:绝对|从来)?没(?:有)?说(?:过)?(?:那|这)(?:种|样的?)话|我(?:绝对|从来)?没(?:有)?说过|不是我说的",
        r"\bI (?:never|didn'?t|did not) say\b",
        ("与客户争辩说过什么，只会把问题变成争吵。", "Arguing about who said what turns the problem into a quarrel."),
        ("可能是我没有解释清楚，我再为您说明一下。", "I may not have explained it clearly; let me go over it again."),
    ),
    "belittling": (
        r"(?:这|这个|这种)(?:问题|事)?(?:太|很|那么|这么)?简单(?:了)?|这(?:都|也)不会",
        r"\b(?:it'?s|this is|that'?s) (?:so |very |really )?(?:simple|easy|trivial)\b|even a child",
        ("说问题简单，等于说客户笨。", "Calling the problem simple calls the customer slow."),
        ("我来一步步帮您处理。", "Let me walk you through it step by step."),
    ),
    "policy": (
        r"(?:公司|我们的?)(?:的)?(?:规定|制度|政策)|按规定|规定就是这样",
        r"company policy|\b(?:it'?s|that'?s|this is) (?:our )?policy\b|rules are rules",
        ("“这是公司规定”把客户挡在门外，却没有解决问题。", "\"Company policy\" shuts the customer out without solving anything."),
        ("我理解这给您带来不便，我看看在规定之内能为您做些什么。", "I understand this is inconvenient; let me see what I can do for you."),
    ),
    "blame": (
        r"是你(?:自己)?的(?:问题|错|原因)|你(?:自己)?(?:没|不)(?:看|注意|按)|谁让你|你(?:应该|早该)(?:先)?(?:看|注意|检查|按|问)|怪你",
        r"\byour (?:own )?fault\b|\byou should(?: have|'ve) (?:read|checked|followed|asked|known)|\byou didn'?t (?:read|follow|check)|user error",
        ("把责任推给客户，是投诉处理的大忌。", "Blaming the customer is the first thing never to do with a complaint."),
        ("我们一起看看发生了什么，我来帮您处理。", "Let's look at what happened together; I'll take care of it."),
    ),
    "arguing": (
        r"无理取闹|你听我说|不是这样的|你(?:根本)?不懂",
        r"\bcalm down\b|\byou(?:'re| are) wrong\b|\blisten to me\b",
        ("和客户争辩，赢了道理也输了客户。", "Win the argument and lose the customer."),
        ("您说得对，这件事确实让人着急，我来处理。", "You're right to be upset; I'll deal with it."),
    ),
    "passing_the_buck": (
        r"不归我(?:们)?管|不是我(?:们)?(?:部门|负责)的?|你(?:去)?找(?:别人|别的部门|厂家|快递)|我(?:也)?没(?:有)?办法|爱买不买|随便你",
        r"not my (?:job|department|problem)|nothing (?:I|we) can do|contact the (?:manufacturer|courier)|take it or leave it",
        ("推诿让客户觉得被甩开。", "Passing the customer on makes them feel brushed off."),
        ("我来帮您联系负责的同事，并跟进到底。", "I'll get the right colleague on it and follow it through myself."),
    ),
}

# What a good answer has: (Chinese, English, what is missing (zh, en)).
_EXPECTED: dict[str, tuple[str, str, tuple[str, str]]] = {
    "apology": (
        r"抱歉|对不起|不好意思|歉意|理解您|给您带来(?:了)?(?:不便|困扰|麻烦)",
        r"\bsorry\b|apologi[sz]e|\bunderstand (?:how|your|that)",
        ("没有道歉或对客户感受的认同。", "No apology or acknowledgement of how the customer feels."),
    ),
    "thanks": (r"感谢|谢谢|多谢", r"\bthank", ("没有感谢客户反映问题。", "No thanks for raising the problem.")),
    "next_step": (
        r"我们?(?:会|将|马上|立即|这就|现在|已经)|为您(?:安排|处理|办理|补发|退款|更换|申请)|帮您",
        r"\bI(?:'ll| will| have| am going to)\b|\bwe(?:'ll| will| have)\b|\blet me\b",
        ("没有说明接下来具体做什么。", "No concrete next step."),
    ),
    "time": (
        r"[0-9]+\s*(?:分钟|小时|天|个?工作日)|今天|明天|今晚|本周|[上下]午|[0-9]+\s*点",
        r"\bwithin [0-9]+|\bby (?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|[0-9])|\btoday\b|\btomorrow\b|[0-9]+ ?(?:hours?|days?|minutes?)",
        ("没有给出时间承诺。", "No time commitment."),
    ),
}

_FIND_FORBIDDEN = [(kind, Scanner(zh), Scanner(en, re.IGNORECASE), why, better) for kind, (zh, en, why, better) in _FORBIDDEN.items()]
_FIND_EXPECTED = [(kind, Scanner(zh), Scanner(en, re.IGNORECASE), missing) for kind, (zh, en, missing) in _EXPECTED.items()]


@dataclass(slots=True)
class Finding(Cue):
    """A forbidden phrase (kind: one of _FORBIDDEN) and its span in the reviewed text."""

    why: str
    better: str  # a better wording to start from


@dataclass(slots=True)
class Missing:
    kind: str  # apology, thanks, next_step or time
    message: str


@dataclass(slots=True)
class ReplyReview:
    text: str  # the reply as reviewed (text.prepare): spans point into it
    findings: list[Finding]
    missing: list[Missing]

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def check_reply(reply: object, *, expect: frozenset[str] | None = None) -> ReplyReview:
    """Review a reply; expect names what it should have (apology, thanks, next_step, time; None: all four)."""
    prepared = prepare(reply)
    text, lang = prepared.text, 1 if prepared.language == "en" else 0
    findings = sorted(
        (
            Finding(kind, m.group(), m.start(), m.end(), why[lang], better[lang])
            for kind, zh, en, why, better in _FIND_FORBIDDEN
            for pattern in (zh, en)
            for m in pattern.finditer(text)
        ),
        key=lambda f: (f.start, f.end),
    )
    missing = [
        Missing(kind, message[lang]) for kind, zh, en, message in _FIND_EXPECTED
        if (expect is None or kind in expect) and text and not (zh.search(text) or en.search(text))
    ]
    return ReplyReview(text=text, findings=findings, missing=missing)
