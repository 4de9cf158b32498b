"""Handling steps for one customer's message (domain §2–§4): what to do first,
given the emotion read, the risk, the customer's social style and temperament.

Steps come in the order a handler takes them: calm the outburst, own the
problem, meet the demand, then lead the emotion somewhere better (the five
guidance modes: reasoning, action, benefit, feeling, prospect). Each text is
written in Chinese and English; the wording is Manyi's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manyi.emotion.engine import Reading

# key: (Chinese, English)
_STEPS: dict[str, tuple[str, str]] = {
    "vent": (
        "先让客户把话说完，不打断、不辩解；听清事实，也听出感受，复述给客户确认。",
        "Let the customer finish without interrupting or defending; hear the facts and the feelings, and repeat them back.",
    ),
    "apologise": (
        "真诚道歉并认同客户的感受（“给您添麻烦了，换作我也会着急”），再谈解决办法。",
        "Apologise sincerely and acknowledge the feeling (\"I'd be upset too\") before talking about solutions.",
    ),
    "urgent": (
        "风险高：今天就告知主管并记录每一步；24 小时内给客户明确答复，不承诺做不到的事。",
        "High risk: tell your manager today and record every step; give the customer a clear answer within 24 hours, and promise nothing you cannot keep.",
    ),
    "repeat": (
        "这不是第一次了：承认之前没解决好，由你本人负责到底，留下直接联系方式。",
        "This is not the first time: admit it was not solved before, take it on yourself to the end, and leave your direct contact.",
    ),
    "demand": (
        "确认客户想要的结果（退款、补偿、更换），在权限内提出方案；超出权限立即上报，并告诉客户何时答复。",
        "Confirm the outcome the customer wants (refund, compensation, replacement) and offer what your authority allows; beyond it, escalate now and say when they will hear back.",
    ),
    "leaving": (
        "客户想走：先解决问题，再用利益和前景引导——说明留下能得到什么，以及以后会怎样改进。",
        "The customer may leave: solve the problem first, then lead by benefit and prospect — what staying gives them and what will be better.",
    ),
    "cause": (
        "查明原因和责任（{cause}），处理后把改进意见反馈给相关部门，避免再次发生。",
        "Find the cause and who is responsible ({cause}); afterwards feed it back to the department concerned so it does not happen again.",
    ),
    "recheck": (
        "方案落实后回访客户，确认问题真正解决、客户满意。",
        "After the fix, call back to check it was really done and the customer is satisfied.",
    ),
    "anger": (
        "对方在气头上：语气放缓、保持冷静，不争辩、不讲道理，先处理情绪再处理事情。",
        "They are angry: slow down and stay calm; do not argue or reason yet — handle the feeling before the facts.",
    ),
    "disappointment": (
        "客户失望：以情感引导，承认期望落空，说明你会怎样弥补。",
        "The customer is disappointed: lead by feeling — admit the expectation was let down and say how you will make it up.",
    ),
    "anxiety": (
        "客户着急或担心：以说理引导，讲清楚接下来会发生什么、由谁负责、什么时候完成。",
        "The customer is worried: lead by reasoning — explain what happens next, who does it and by when.",
    ),
    "impatience": (
        "客户等不及了：给出具体时间并按时兑现，在客户追问之前主动告知进展。",
        "The customer is tired of waiting: give a concrete time, keep it, and report progress before they have to ask.",
    ),
    "suspicion": (
        "客户有疑虑：以行为引导，拿出凭证和事实，把承诺写下来。",
        "The customer doubts you: lead by action — show records and facts, and put commitments in writing.",
    ),
    "sadness": (
        "客户情绪低落：多体谅、语气温和，关注细节，让客户感到被重视。",
        "The customer is low: be considerate and gentle, attend to details, make them feel they matter.",
    ),
    "fear": (
        "客户有顾虑：耐心说明风险和保障，给客户安心的理由。",
        "The customer is afraid: explain the risks and safeguards patiently, and give them reasons to feel safe.",
    ),
    "positive": (
        "客户心情不错：及时感谢并强化这份好感，选好时机请客户推荐或评价。",
        "The customer is pleased: thank them in time and build on it; pick the moment to ask for a referral or review.",
    ),
    "neutral": (
        "客户情绪平稳：注意细节，保持分寸，选择合适的时机推进。",
        "The customer is calm: attend to details, keep measure, and pick the right moment to move things on.",
    ),
}

_STYLES: dict[str, tuple[str, str]] = {
    "driver": ("实际型：直奔主题，给事实和最快的解决方案，别绕弯子。", "Practical: get to the point with facts and the fastest solution."),
    "expressive": (
        "表现型：热情回应，让他多说，把约定的方案写下来，免得事后反悔。",
        "Expressive: respond warmly, let them talk, and write the agreed solution down so it holds later.",
    ),
    "amiable": (
        "亲切型：不施加压力，多给保证，主动替他考虑，他不好意思说“不”。",
        "Amiable: no pressure, plenty of reassurance; think for them, as they find it hard to say no.",
    ),
    "analytical": (
        "分析型：准备完整的细节和数据，书面说明原因和方案，给他时间考虑。",
        "Analytical: bring full details and figures, explain cause and solution in writing, give them time.",
    ),
}

_TEMPERAMENTS: dict[str, tuple[str, str]] = {
    "firm": ("刚强型：尊重他的判断，说话干脆，答应的事一定做到。", "Firm: respect their judgement, speak plainly, and do what you promise."),
    "neurotic": ("神经质型：格外耐心，措辞谨慎，避免任何刺激性的话。", "Over-sensitive: be extra patient and careful with words; avoid anything that provokes."),
    "introverted": ("内向型：多问少说，给他表达的空间，不催促。", "Introverted: ask more, talk less, give them room, do not rush them."),
    "easygoing": ("随和型：友好坦诚，但要把方案和时间说清楚。", "Easy-going: be friendly and open, but make the solution and times clear."),
    "vain": ("虚荣型：给足面子，肯定他的见识，私下解决问题。", "Vain: let them save face, acknowledge their knowledge, solve it privately."),
    "combative": ("好斗型：不接招、不争辩，冷静地回到事实和方案。", "Combative: do not take the bait or argue; calmly return to facts and the solution."),
    "stubborn": ("顽固型：不正面反驳，给出几个选择让他自己决定。", "Stubborn: do not contradict head-on; offer choices and let them decide."),
    "suspicious": ("怀疑型：用证据说话，承诺书面化，每一步都让他看得见。", "Suspicious: let evidence speak, put promises in writing, make every step visible."),
    "silent": ("沉默型：多用开放式提问引出真实想法，注意非语言信号。", "Silent: use open questions to draw out what they think; watch for unspoken signals."),
}

_CAUSE_NAMES: dict[str, tuple[str, str]] = {
    "product": ("产品", "product"),
    "service": ("服务", "service"),
    "advertising": ("宣传", "advertising"),
    "price": ("价格", "price"),
    "delivery": ("交付", "delivery"),
    "quote": ("报价", "quote"),
    "promise": ("承诺", "promises"),
    "work": ("工作质量", "quality of work"),
    "communication": ("沟通", "communication"),
}

@dataclass(frozen=True, slots=True)
class Step:
    key: str  # what the step answers: vent, urgent, demand, anger, style, temperament ...
    text: str


def guidance(reading: Reading, *, style: str | None = None, temperament: str | None = None, language: str | None = None) -> list[Step]:
    """The steps for this reading, most urgent first. style is a social style
    (driver, expressive, amiable, analytical), temperament one of the nine
    temperaments; unknown or missing ones add nothing. language is zh or en
    (default: the reading's, Chinese unless it is English)."""
    lang = 1 if (language or reading.language) == "en" else 0
    kinds = {cue.kind for cue in reading.cues}
    keys: list[str] = []
    upset = reading.polarity == "negative" or reading.complaint
    if upset and (reading.intensity >= 0.5 or reading.primary == "anger"):
        keys.append("vent")
    if reading.escalation == "high":
        keys.append("urgent")
    if upset:
        keys.append("apologise")
    if "repeat" in kinds:
        keys.append("repeat")
    if kinds & {"refund", "compensation"}:
        keys.append("demand")
    if kinds & {"cancel", "competitor"}:
        keys.append("leaving")
    for tag in ("disappointment", "anxiety", "impatience", "suspicion"):
        if tag in reading.tags:
            keys.append(tag)
    if reading.primary in ("anger", "sadness", "fear") and reading.primary not in keys:
        keys.append(reading.primary)
    elif reading.primary in ("joy", "like") and not upset:
        keys.append("positive")
    steps = [Step(key, _STEPS[key][lang]) for key in dict.fromkeys(keys)]
    if reading.complaint:
        name = _CAUSE_NAMES[reading.cause.split("/")[0]][lang] if reading.cause else ("待查" if lang == 0 else "to be found")
        steps.append(Step("cause", _STEPS["cause"][lang].format(cause=name)))
        steps.append(Step("recheck", _STEPS["recheck"][lang]))
    if not steps:
        steps.append(Step("neutral", _STEPS["neutral"][lang]))
    if style in _STYLES:
        steps.append(Step("style", _STYLES[style][lang]))
    if temperament in _TEMPERAMENTS:
        steps.append(Step("temperament", _TEMPERAMENTS[temperament][lang]))
    return steps
