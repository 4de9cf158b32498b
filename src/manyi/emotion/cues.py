"""What in a text signals escalation or intensity, with where it is.

Escalation cues (domain §4): threats to go to the consumer association or
12315, to a regulator, to the media or social networks, to a lawyer or court;
demands for a refund or compensation; "the third time"; cancelling or going to
a competitor. Each is found with its span in the prepared text (text.prepare),
so a person can see why a message was judged risky.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from manyi.emotion.scan import Batch, Scanner

# Cues that take a complaint outside the company: any one makes the risk high.
OUTSIDE = frozenset({"consumer_association", "regulator", "media", "legal"})
# Cues that cost the company or the customer: the risk is at least medium,
# high when the problem is a repeated one.
DEMANDS = frozenset({"refund", "compensation", "cancel", "competitor"})

_PATTERNS: dict[str, tuple[str, str]] = {
    # kind: (Chinese, English)
    "consumer_association": (
        r"12315|消协|消费者协会|消保委|消费者权益保护",
        r"\bBBB\b|better business bureau|consumer (?:protection|association|council|rights)",
    ),
    "regulator": (
        r"工商局?|市场监[督管]+(?:管理)?局?|质监局?|物价局|监管部门|银保监|证监会|12345|315晚会|有关部门",
        r"\bFTC\b|\bregulators?\b|trading standards|ombudsman|attorney general",
    ),
    "media": (
        r"媒体|记者|曝光|电视台|报社|上热搜|微博|抖音|小红书|朋友圈|发到网上|网上发帖|让大家都知道",
        r"social media|twitter|facebook|tiktok|instagram|\byelp\b|the press|journalists?|news ?papers?|go public|post (?:this|it) online",
    ),
    "legal": (
        r"律师|法院|起诉|告你们|打官司|法律途径|法律责任|仲裁|报警",
        r"\blawyers?\b|\battorneys?\b|\bsue\b|\bsuing\b|lawsuit|\bcourt\b|legal action|small claims|the police",
    ),
    "refund": (r"退款|退钱|退货|退费|把钱退", r"\brefund\w*|money back|chargeback|return (?:it|this|the)"),
    "compensation": (r"赔偿|赔钱|补偿|索赔|假一赔|赔我", r"compensat\w+|reimburse\w*|damages"),
    "repeat": (
        r"第[二三四五六七八九十两0-9]+次|又一次|再一次|三番五次|屡次|一次又一次|多次|好几次|反复",
        r"\b(?:second|third|fourth|fifth|[0-9]+(?:st|nd|rd|th)) time\b|again and again|yet again|every single time|multiple times",
    ),
    "cancel": (
        r"取消(?:订单|会员|合作|订阅)?|退订|销户|注销|不再(?:用|买|合作)|再也不(?:买|来|用)",
        r"\bcancel\w*|unsubscrib\w*|close my account|never (?:buy|order|use) \w+ again",
    ),
    "competitor": (
        r"换(?:一)?家|换(?:个|掉)?(?:供应商|厂家|品牌|服务商)|别家|其他(?:家|品牌|公司|供应商)|竞争对手|转投|去对面",
        r"competitors?|switch(?:ing)? to|go(?:ing)? elsewhere|another (?:company|provider|supplier)",
    ),
}
# One pass over the text for every kind (a pass per pattern cost 54 µs a message),
# tried only where a cue can start (scan.Scanner):
# where cues of two kinds would overlap, the kind listed first is kept.
_FIND = Scanner("|".join(f"(?P<{kind}>{zh}|{en})" for kind, (zh, en) in _PATTERNS.items()), re.IGNORECASE)


@dataclass(slots=True)
class Cue:
    kind: str  # one of _PATTERNS
    text: str  # the words found
    start: int  # their span in the prepared text (text.prepare)
    end: int


def find_cues(text: str) -> list[Cue]:
    """Every escalation cue in the text, in the order they appear."""
    return find_cues_many(Batch([text]))[0]


def find_cues_many(batch: Batch) -> list[list[Cue]]:
    return [[Cue(*found) for found in text_matches] for text_matches in batch.matches(_FIND)]


def escalation(cues: list[Cue]) -> str:
    """low, medium or high, from the cues alone (the engine also weighs the
    emotion): going outside the company, or a repeated problem with a demand,
    is high; a demand, a repeat or a threat to leave is medium."""
    kinds = {c.kind for c in cues}
    if kinds & OUTSIDE or ("repeat" in kinds and kinds & DEMANDS):
        return "high"
    if kinds & DEMANDS or "repeat" in kinds:
        return "medium"
    return "low"


_QUESTION_RUN = re.compile(r"[?？]{2,}")
_REPEATED = re.compile(r"(.)\1{2,}")  # 啊啊啊, !!!, ...
# Intensifiers and profanity in one pass (no word is both).
_WORDS = Scanner(
    r"(?P<intensifier>非常|特别|太|极其|极度|超级|十分|真的|实在|简直|根本|完全|一点都|到底|究竟"
    r"|\b(?:very|so|extremely|really|totally|absolutely|completely|utterly|ever)\b)"
    r"|(?P<profanity>垃圾|坑人|骗子|骗人|他妈|妈的|tmd|尼玛|sb|傻[逼比]|滚|无耻|恶心|黑心"
    r"|\b(?:fuck\w*|shit\w*|damn|crap|scam\w*|idiots?|stupid|ripoff|rip-off)\b)",
    re.IGNORECASE,
)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")


@dataclass(slots=True)
class Intensity:
    exclamations: int
    question_runs: int
    repeats: int
    intensifiers: int
    profanity: int
    caps_words: int

    @property
    def score(self) -> float:
        """In [0, 1]: 0 for a calm text, near 1 for shouting and swearing.
        Each signal adds less the more of it there is (diminishing returns)."""
        weight = (
            0.35 * math.log1p(self.exclamations)
            + 0.3 * math.log1p(self.question_runs)
            + 0.25 * math.log1p(self.repeats)
            + 0.3 * math.log1p(self.intensifiers)
            + 0.6 * math.log1p(self.profanity)
            + 0.3 * math.log1p(self.caps_words)
        )
        return 1 - math.exp(-weight)


def intensity(text: str) -> Intensity:
    return intensity_many(Batch([text]))[0]


def intensity_many(batch: Batch) -> list[Intensity]:
    words = batch.matches(_WORDS)
    repeats = batch.counts(_REPEATED)
    questions = batch.counts(_QUESTION_RUN) if "?" in batch.joined or "？" in batch.joined else [0] * len(batch.texts)
    caps = batch.counts(_CAPS_WORD) if batch.joined.lower() != batch.joined else [0] * len(batch.texts)
    out = []
    for i, text in enumerate(batch.texts):
        kinds = [kind for kind, *_ in words[i]]
        out.append(
            Intensity(
                exclamations=text.count("!") + text.count("！"),
                question_runs=questions[i],
                repeats=repeats[i],
                intensifiers=kinds.count("intensifier"),
                profanity=kinds.count("profanity"),
                caps_words=caps[i],
            )
        )
    return out
