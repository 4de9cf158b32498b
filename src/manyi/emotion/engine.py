"""The engine: one reading per text, from the trained model, the cues and the
lexicons together.

    engine = Engine.default()
    reading = engine.analyze("第三次了！再不退款我就去12315投诉你们")
    readings = engine.analyze_many(texts)   # batched: the fast path

How the parts combine:
- the model (model.py) gives the probabilities of negative/positive and of
  the eight emotions, and the n-grams behind them;
- escalation starts from the cues (cues.py) and is weighed by the emotion: a
  pleased customer mentioning a refund is a step less risky, an angry one
  shouting with no cue a step more;
- cues, profanity and the finer tags (lexicon.py) lean the emotions: a threat
  to go to 12315 is anger even when the words are calm;
- a text is a complaint when it is negative and names a problem, a demand or
  a threat, or when its risk is high; then its likely cause is named.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from manyi.emotion import cues as cue_finder
from manyi.emotion import guidance as guide
from manyi.emotion import lexicon, replies
from manyi.emotion.model import EMOTIONS, Model
from manyi.emotion.scan import Batch
from manyi.emotion.text import Prepared, prepare

LEVELS = ("low", "medium", "high")
# How far the polarity score must lean to call a text positive or negative.
NEUTRAL_BAND = 0.2
# How far each word naming a problem or a demand (at most two) leans the polarity score.
PROBLEM_LEAN = 0.2
# How much each signal leans the emotions (multiplies the model's probability).
_LEAN = {"anger": 3.0, "profanity": 2.0, "disappointment": 1.6, "anxiety": 1.6, "impatience": 1.4, "suspicion": 1.4}
_TAG_EMOTION = {"disappointment": "sadness", "anxiety": "fear", "impatience": "anger", "suspicion": "disgust"}
_DEMANDS_OR_THREATS = cue_finder.OUTSIDE | cue_finder.DEMANDS | {"repeat"}


@dataclass(slots=True)
class Evidence:
    text: str  # the words, as in Reading.text
    start: int
    end: int
    points_to: str  # what they drove: "negative", "anger", "escalation:refund", "tag:impatience", "complaint", "cause:delivery/late"
    weight: float  # the model's contribution, or 1.0 for a rule


@dataclass(slots=True)
class Reading:
    text: str  # what was read (text.prepare): every span points into it
    language: str  # zh, en or other
    truncated: bool  # only the first text.MAX_CHARS characters were read
    length: int  # the length of the input
    polarity: str  # positive, neutral or negative
    polarity_score: float  # in [-1, 1]
    emotions: dict[str, float]  # a probability for each of EMOTIONS, summing to 1
    primary: str  # the most probable emotion
    tags: list[str]  # finer emotions evident in the words: disappointment, anxiety, impatience, suspicion
    intensity: float  # in [0, 1)
    escalation: str  # low, medium or high
    cues: list[cue_finder.Cue]  # the escalation cues found
    complaint: bool
    cause: str | None  # "cause/detail" from the domain §4 taxonomy, when a complaint names one
    evidence: list[Evidence] = field(default_factory=list)
    model_version: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["emotions"] = {name: round(p, 4) for name, p in self.emotions.items()}
        data["polarity_score"] = round(self.polarity_score, 4)
        data["intensity"] = round(self.intensity, 4)
        for item in data["evidence"]:
            item["weight"] = round(item["weight"], 4)
        return data


class Engine:
    def __init__(self, model: Model):
        self.model = model

    @classmethod
    @functools.cache
    def default(cls) -> Engine:
        """The engine with the shipped model, loaded once per process."""
        return cls(Model.load())

    @property
    def version(self) -> str:
        return self.model.version

    def analyze(self, text: object) -> Reading:
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Iterable[object]) -> list[Reading]:
        prepared = [prepare(text) for text in texts]
        if not prepared:
            return []
        rules = _rules(Batch([p.text for p in prepared]))
        readable = [i for i, p in enumerate(prepared) if p.language != "other" or _has_words(p.text)]
        if not readable:
            return [self._read(p, None, None, found) for p, found in zip(prepared, rules, strict=True)]
        model_texts = [prepared[i].text for i in readable]
        vectors = self.model.vectors(model_texts)
        probs = self.model.predict(model_texts, vectors)
        row = {i: j for j, i in enumerate(readable)}
        polarity, emotion = probs["polarity"].tolist(), probs["emotion"].tolist()
        readings = [
            self._read(p, polarity[row[i]], emotion[row[i]], rules[i]) if i in row else self._read(p, None, None, rules[i])
            for i, p in enumerate(prepared)
        ]
        # The words behind the polarity and the primary emotion, for the whole batch at once.
        found = self.model.evidence_many(
            model_texts,
            vectors,
            {
                "polarity": [readings[i].polarity if readings[i].polarity != "neutral" else None for i in readable],
                "emotion": [readings[i].primary if readings[i].primary != "neutral" else None for i in readable],
            },
            {"polarity": 5, "emotion": 3},
            _EVIDENCE_SHARE,
        )
        for j, i in enumerate(readable):
            r = readings[i]
            # (the reading is still being built: its evidence list is extended in place)
            r.evidence.extend(_phrases(r.text, found["polarity"][j], r.polarity) + _phrases(r.text, found["emotion"][j], r.primary))
            r.evidence.sort(key=_place)
        return readings

    def check_reply(self, reply: object, *, context: Reading | None = None) -> replies.ReplyReview:
        """The reply checker (replies.py). With the customer's reading as context,
        only what this situation needs is noted as missing: thanks for praise,
        a next step for a calm question, everything for an upset customer."""
        if context is None or context.polarity == "negative" or context.complaint or context.escalation != "low":
            expect = None
        elif context.polarity == "positive":
            expect = frozenset({"thanks"})
        else:
            expect = frozenset({"next_step"})
        return replies.check_reply(reply, expect=expect)

    def guidance(self, reading: Reading, *, style: str | None = None, temperament: str | None = None, language: str | None = None):
        return guide.guidance(reading, style=style, temperament=temperament, language=language)

    def _read(self, p: Prepared, polarity: list[float] | None, emotion: list[float] | None, rules: _Rules) -> Reading:
        """The reading from the model's probabilities (None: nothing to read)
        and what the rules found; the model's own evidence is added by analyze_many."""
        text = p.text
        found, signals, tag_matches, named = rules.cues, rules.intensity, rules.tags, rules.complaint_words
        tags = list(dict.fromkeys(m.kind for m in tag_matches)) if tag_matches else []
        level = LEVELS.index(cue_finder.escalation(found))
        if polarity is None:
            emotions = dict.fromkeys(EMOTIONS, 0.0)
            emotions["neutral"] = 1.0
            score = 0.0
        else:
            emotions = _lean(emotion, level, signals.profanity, tags)
            score = (polarity[1] - polarity[0]) * (1.0 - 0.5 * emotions["neutral"])
            # Words that name a problem or a demand lean the polarity whatever the model learned.
            problems = {(m.start, m.end) for m in named} | {(c.start, c.end) for c in found if c.kind in _DEMANDS_OR_THREATS}
            score -= PROBLEM_LEAN * min(len(problems), 2)
        label = "positive" if score >= NEUTRAL_BAND else "negative" if score <= -NEUTRAL_BAND else "neutral"
        primary = max(emotions, key=emotions.__getitem__)
        if label == "positive" and level and not {c.kind for c in found} & cue_finder.OUTSIDE:
            level -= 1
        elif label == "negative" and not level and primary == "anger" and signals.score >= 0.6:
            level = 1
        evidence = [Evidence(c.text, c.start, c.end, f"escalation:{c.kind}", 1.0) for c in found]
        evidence += [Evidence(m.text, m.start, m.end, f"tag:{m.kind}", 1.0) for m in tag_matches]
        complaint, cause = False, None
        if label == "negative" or level == 2:  # only then can it be a complaint
            cause, cause_words = lexicon.likely_cause(rules.cause_words)
            complaint = level == 2 or bool(named or {c.kind for c in found} & _DEMANDS_OR_THREATS or cause)
            if complaint:
                evidence += [Evidence(m.text, m.start, m.end, "complaint", 1.0) for m in named]
                evidence += [Evidence(m.text, m.start, m.end, f"cause:{m.kind}", 1.0) for m in cause_words]
        evidence.sort(key=_place)
        return Reading(
            text=text,
            language=p.language,
            truncated=p.truncated,
            length=p.original_length,
            polarity=label,
            polarity_score=max(-1.0, min(1.0, score)),
            emotions=emotions,
            primary=primary,
            tags=tags,
            intensity=signals.score,
            escalation=LEVELS[level],
            cues=found,
            complaint=complaint,
            cause=cause if complaint else None,
            evidence=evidence,
            model_version=self.model.version,
        )


# Words that carry no feeling of their own: the model may lean on them (a
# particle that often ends a complaint), but a person reading why gains nothing.
_FUNCTION_WORDS = frozenset(
    "了的你我他她它们是在再就也都很还又吗呢吧啊呀着过把被给和与及或这那个一不"
) | frozenset({"the", "a", "an", "i", "you", "we", "it", "is", "are", "was", "to", "of", "and", "or", "my", "your", "this", "that", "for", "on", "in"})
# Evidence a person should read: the strongest contributions, down to this share of the strongest.
_EVIDENCE_SHARE = 0.25


def _phrases(text: str, found: list[tuple[str, int, int, float]], points_to: str) -> list[Evidence]:
    """The model's strongest features (model.evidence_many keeps those of at
    least _EVIDENCE_SHARE of the strongest) as phrases a person can read:
    function words dropped, overlapping or touching ones joined
    (退 + 退款 → 退款; not + good → not good) with their weights added."""
    spans = sorted(
        (start, end, weight)
        for words, start, end, weight in found
        if words.lower() not in _FUNCTION_WORDS and (len(words) > 1 or words.isalnum())  # no lone symbol
    )
    merged: list[list] = []
    for start, end, weight in spans:
        if merged and (start <= merged[-1][1] or text[merged[-1][1] : start] == " "):
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += weight
        else:
            merged.append([start, end, weight])
    return [Evidence(text[start:end], start, end, points_to, weight) for start, end, weight in merged]


@dataclass(slots=True)
class _Rules:
    """What the rules found in one text."""

    cues: list[cue_finder.Cue]
    intensity: cue_finder.Intensity
    tags: list[lexicon.Match]
    complaint_words: list[lexicon.Match]
    cause_words: list[lexicon.Match]


def _rules(batch: Batch) -> list[_Rules]:
    """Every rule set over the whole batch, one pass each."""
    return [
        _Rules(*found)
        for found in zip(
            cue_finder.find_cues_many(batch),
            cue_finder.intensity_many(batch),
            lexicon.tags_many(batch),
            lexicon.complaint_words_many(batch),
            lexicon.cause_words_many(batch),
            strict=True,
        )
    ]


def _place(item: Evidence) -> tuple[int, int]:
    return item.start, item.end


def _has_words(text: str) -> bool:
    return any(char.isalpha() for char in text)


def _lean(probs: list[float], level: int, profanity: int, tags: list[str]) -> dict[str, float]:
    """The model's emotion probabilities leaned by what the rules saw."""
    leaned = dict(zip(EMOTIONS, probs, strict=True))
    if not (level or profanity or tags):
        return leaned
    if level:
        leaned["anger"] *= _LEAN["anger"] ** (level / 2)
    if profanity:
        leaned["anger"] *= _LEAN["profanity"]
        leaned["disgust"] *= _LEAN["profanity"]
    for tag in tags:
        leaned[_TAG_EMOTION[tag]] *= _LEAN[tag]
    total = sum(leaned.values()) or 1.0
    return {name: p / total for name, p in leaned.items()}
