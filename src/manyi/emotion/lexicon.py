"""Words that name what the model's classes cannot: the finer emotions a
complaint handler cares about, whether a text is a complaint, and its likely
cause in the two-level taxonomy of domain §4.

Each is found with its span in the prepared text, so it is also evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from manyi.emotion.scan import Batch, Scanner

# Finer tags under the DUTIR classes (domain §3): disappointment and suspicion
# under sadness/disgust; anxiety under fear; impatience under anger.
_TAGS: dict[str, tuple[str, str]] = {
    "disappointment": (
        r"失望|太差劲|白期待|寒心|心寒|不过如此|大失所望|没想到你们|还以为|本以为|后悔(?:买|选)",
        r"disappoint\w*|let ?down|expected (?:better|more)|what a shame|regret (?:buying|ordering)",
    ),
    "anxiety": (
        r"着急|焦虑|担心|急死|急用|怎么办|慌|不安|害怕|万一",
        r"\bworr(?:y|ied|ying)\b|\banxious\b|\burgent\w*|\bnervous\b|what (?:do|should) I do|\bscared\b",
    ),
    "impatience": (
        r"催了|快点|赶紧|到底(?:什么时候|要等|还要)|还要等多久|等了(?:[一二两三四五六七八九十几半0-9]+)(?:个)?(?:天|小时|星期|周|月)|迟迟|一直没(?:有)?(?:人|回|到|处理)",
        r"still waiting|how (?:much )?long|hurry up|\bASAP\b|been waiting|no one (?:has )?(?:replied|answered|called)",
    ),
    "suspicion": (
        r"怀疑|是不是骗|骗人的吧|真的假的|靠谱吗|不可信|忽悠|套路|猫腻|坑人",
        r"\bsuspicious\b|\bdoubt\w*|\bscam\w*|too good to be true|\bfishy\b|don'?t trust|\bshady\b",
    ),
}

# Words that make a text a complaint about something, beyond a negative mood.
_COMPLAINT = (
    (
        r"投诉|举报|差评|维权|讨个说法|给个说法|不满|太差|很差|坏了|没用|不能用|用不了|有问题|出问题|质量问题|故障|"
        r"退款|退货|赔偿|欺骗|骗子|坑人|垃圾|还没(?:到|收到|发货|处理|解决)|没人(?:管|理|回)|不回复|乱收费|闪退|崩溃|卡死|打不开"
    ),
    (
        r"\bcomplain\w*|\bcrash\w*|\bbroken\b|doesn'?t work|\bdefective\b|\bfaulty\b|\brefund\w*|\bnever arrived\b|\bstill (?:not|hasn'?t|haven'?t)\b"
        r"|\bunacceptable\b|\bripped off\b|\bscam\w*|\bterrible\b|\bawful\b|\bworst\b|\bovercharg\w*"
    ),
)

# The causes of dissatisfaction (domain §4), cause: detail: (Chinese, English).
CAUSES: dict[str, dict[str, tuple[str, str]]] = {
    "product": {
        "manufacturing": (
            r"质量|做工|坏了|故障|停机|损坏|瑕疵|次品|假货|不能用|用不了|漏水|漏电|异味|异物|变质|过期|开裂|掉色|死机|发霉|虫",
            r"\bquality\b|\bbroken\b|\bdefect\w*|\bfaulty\b|doesn'?t work|stopped working|\bfake\b|\bexpired\b|\bspoiled\b|\bleak\w*|\bcrack\w*",
        ),
        "handling": (
            r"发错|漏发|少发|包装|破损|压坏|摔坏|拆封|二手|旧的",
            r"wrong (?:item|size|colou?r|product)|\bmissing (?:item|part)s?\b|\bdamaged\b|\bpackag\w*|\bused one\b|\bsecond-?hand\b",
        ),
        "use": (r"不会用|怎么用|使用方法|说明书|操作不了|安装不上", r"how (?:do I|to) use|\bmanual\b|instructions|can'?t (?:install|set up)"),
    },
    "service": {
        "attitude": (
            r"态度|不耐烦|凶|骂人|爱答不理|冷漠|不礼貌|脸色|嘲笑",
            r"\battitude\b|\brude\w*|\bimpolite\b|\bdismissive\b|\bcondescending\b|yelled|\barrogant\b",
        ),
        "manner": (
            r"敷衍|推诿|踢皮球|推来推去|没人管|不处理|拖着|一问三不知|不专业",
            r"\bbrushed off\b|\bpassed (?:me )?around\b|\bignored\b|\bunprofessional\b|\bclueless\b|runaround",
        ),
        "environment": (r"环境|卫生|太脏|很脏|嘈杂|太吵|排队|停车", r"\bdirty\b|\bfilthy\b|\bnoisy\b|\bqueue\b|\bparking\b|\bline was\b"),
        "staff": (
            r"客服|服务员|工作人员|店员|业务员|师傅|经理|员工|销售",
            r"\bstaff\b|\bagent\b|\bemployee\b|\bwaiter\b|\bsales ?(?:person|man|rep)\b|\bcustomer service\b|\bmanager\b",
        ),
    },
    "advertising": {
        "misleading": (
            r"虚假宣传|宣传|广告|与描述不符|描述不符|货不对板|图片不符|和图片不一样|夸大|误导|名不副实",
            r"\bmisleading\b|\bfalse advertis\w*|not as (?:described|advertised)|\badvertis\w*|\bpictures?\b|\bclaims?\b",
        ),
    },
    "price": {
        "overcharge": (
            r"乱收费|多收|多扣|扣费|扣钱|收费|价格|太贵|差价|降价|涨价|隐形消费|额外费用",
            r"\bovercharg\w*|\bprice\w*|\bexpensive\b|\bhidden (?:fee|charge|cost)s?\b|\bfees?\b|\bcharged\b|\bbilling\b",
        ),
    },
    "delivery": {
        "late": (
            r"快递|物流|送货|配送|发货|到货|送达|骑手|外卖|超时|迟到|延误|慢死|太慢|还没到|没送到|送错",
            r"\bdeliver\w*|\bshipp\w*|\bcourier\b|\bparcel\b|\bpackage\b|\barriv\w*|\blate\b|\bdelay\w*|\btracking\b",
        ),
    },
    "quote": {
        "dishonest": (r"报价|加价|坐地起价|临时加钱|价格不透明", r"\bquotes?\b|\bquotation\b|\bestimate\b|bait and switch"),
    },
    "promise": {
        "broken": (
            r"答应|承诺|说好的|说好了|保证过|说话不算数|言而无信|出尔反尔|食言",
            r"\bpromis\w*|\bguarantee\w*|you said|\bassured\b|went back on",
        ),
    },
    "work": {
        "quality": (r"施工|安装质量|返工|做得很差|活干得|装修|维修(?:后|了)?还", r"\bworkmanship\b|\binstallation\b|\brepair\w*|\bredo\b|\bsloppy\b"),
        "errors": (r"出错|搞错|弄错|错误|算错|填错|漏掉", r"\bmistakes?\b|\berrors?\b|\bwrong\b|\bmixed up\b|\bmessed up\b"),
    },
    "communication": {
        "insufficient": (
            r"不回复|不回消息|联系不上|打不通|没人接|没人通知|没有通知|不告诉|没说清楚|也不说一声|杳无音信",
            r"no (?:reply|response|one called)|never (?:called|replied|told)|can'?t reach|didn'?t (?:tell|inform|notify)|not informed|unreachable",
        ),
    },
}


@dataclass(slots=True)
class Match:
    kind: str  # a tag, "complaint", or a cause as "cause/detail"
    text: str
    start: int
    end: int


def _alternation(patterns: dict[str, tuple[str, str]]) -> Scanner:
    return Scanner("|".join(f"(?P<{name}>{zh}|{en})" for name, (zh, en) in patterns.items()), re.IGNORECASE)


_FIND_TAGS = _alternation(_TAGS)
_FIND_COMPLAINT = Scanner(f"{_COMPLAINT[0]}|{_COMPLAINT[1]}", re.IGNORECASE)
# Group names cannot hold "/", so a cause's group is cause__detail.
_FIND_CAUSES = _alternation({f"{cause}__{detail}": words for cause, details in CAUSES.items() for detail, words in details.items()})
# A complaint about the staff is about how they served: "staff" words alone
# point at a person, so they count for service only beside another cause word.
_WEAK = frozenset({"service/staff"})


def tags_many(batch: Batch) -> list[list[Match]]:
    return [[Match(*found) for found in text_matches] for text_matches in batch.matches(_FIND_TAGS)]


def complaint_words_many(batch: Batch) -> list[list[Match]]:
    return [[Match("complaint", words, start, end) for _, words, start, end in text_matches] for text_matches in batch.matches(_FIND_COMPLAINT)]


def cause_words_many(batch: Batch) -> list[list[Match]]:
    """Every word in each text that names a cause, as "cause/detail"."""
    return [[Match(kind.replace("__", "/"), words, start, end) for kind, words, start, end in text_matches] for text_matches in batch.matches(_FIND_CAUSES)]


def likely_cause(found: list[Match]) -> tuple[str | None, list[Match]]:
    """The likely cause as "cause/detail" (e.g. "delivery/late"), and the words
    that point at it, from a text's cause words; (None, []) when nothing does.
    The cause named by the most words wins; on a tie, the one named first."""
    counts: dict[str, int] = {}
    for match in found:
        counts[match.kind] = counts.get(match.kind, 0) + (0 if match.kind in _WEAK else 2)
    strong = {kind: n for kind, n in counts.items() if n}
    if not strong:
        if not found:
            return None, []
        strong = {"service/staff": 1}
    best = max(strong, key=lambda kind: (strong[kind], -next(m.start for m in found if m.kind == kind)))
    top = best.split("/")[0]
    return best, [m for m in found if m.kind == best or (top == "service" and m.kind in _WEAK)]
