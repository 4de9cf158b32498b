"""How the pages show what the emotion engine read: labels in the reader's
language, a customer's trend as an inline SVG, and a reading's words with the
spans that drove it marked. Every text from the database is escaped here;
the markup around it is built from numbers and translated labels only."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.emotion.engine import NEUTRAL_BAND
from manyi.emotion.text import prepare
from manyi.interactions.models import EmotionReading, Escalation, Polarity, words_of

EMOTION_LABELS = {
    "joy": gettext_lazy("joy"),
    "like": gettext_lazy("liking"),
    "anger": gettext_lazy("anger"),
    "sadness": gettext_lazy("sadness"),
    "fear": gettext_lazy("fear"),
    "disgust": gettext_lazy("disgust"),
    "surprise": gettext_lazy("surprise"),
    "neutral": gettext_lazy("calm"),
}
TAG_LABELS = {
    "disappointment": gettext_lazy("disappointment"),
    "anxiety": gettext_lazy("anxiety"),
    "impatience": gettext_lazy("impatience"),
    "suspicion": gettext_lazy("suspicion"),
}
CUE_LABELS = {
    "consumer_association": gettext_lazy("going to the consumer association"),
    "regulator": gettext_lazy("going to a regulator"),
    "media": gettext_lazy("going to the media"),
    "legal": gettext_lazy("legal action"),
    "refund": gettext_lazy("a refund"),
    "compensation": gettext_lazy("compensation"),
    "repeat": gettext_lazy("a repeated problem"),
    "cancel": gettext_lazy("cancelling"),
    "competitor": gettext_lazy("going to a competitor"),
}
CAUSE_LABELS = {
    "product/manufacturing": gettext_lazy("product: manufacturing"),
    "product/handling": gettext_lazy("product: retailer's handling"),
    "product/use": gettext_lazy("product: use"),
    "service/attitude": gettext_lazy("service: attitude"),
    "service/manner": gettext_lazy("service: manner"),
    "service/environment": gettext_lazy("service: environment"),
    "service/staff": gettext_lazy("service: staff"),
    "advertising/misleading": gettext_lazy("misleading advertising"),
    "price/overcharge": gettext_lazy("overcharging"),
    "delivery/late": gettext_lazy("late delivery"),
    "quote/dishonest": gettext_lazy("dishonest quote"),
    "promise/broken": gettext_lazy("broken promise"),
    "work/quality": gettext_lazy("poor quality of work"),
    "work/errors": gettext_lazy("errors in execution"),
    "communication/insufficient": gettext_lazy("insufficient communication"),
}
POLARITY_COLOURS = {"positive": "success", "neutral": "secondary", "negative": "danger"}
ESCALATION_COLOURS = {"low": "success", "medium": "warning", "high": "danger"}
# Stroke and fill of the trend's points, by polarity (Bootstrap's colours).
POINT_COLOURS = {"positive": "#198754", "neutral": "#6c757d", "negative": "#dc3545"}


def label(table: dict, value: str | None) -> str:
    return str(table.get(value, value or ""))


def polarity_label(value: str) -> str:
    return str(dict(Polarity.choices).get(value, value))


def escalation_label(value: str) -> str:
    return str(dict(Escalation.choices).get(value, value))


def points_to_label(points_to: str) -> str:
    """What a span drove, in words: "negative", "anger", "escalation:refund", "tag:anxiety", "complaint", "cause:delivery/late"."""
    kind, _sep, detail = points_to.partition(":")
    if kind == "escalation":
        return _("escalation risk: %(cue)s") % {"cue": label(CUE_LABELS, detail)}
    if kind == "tag":
        return label(TAG_LABELS, detail)
    if kind == "cause":
        return _("cause: %(cause)s") % {"cause": label(CAUSE_LABELS, detail)}
    if kind == "complaint":
        return _("complaint")
    if kind in POLARITY_COLOURS:
        return polarity_label(kind)
    return label(EMOTION_LABELS, kind)


def _mark_class(points_to: set[str]) -> str:
    if any(p.startswith(("escalation:", "complaint", "cause:")) for p in points_to):
        return "mark-risk"
    return "mark-positive" if points_to <= {"positive", "joy", "like", "surprise"} else "mark-negative"


def _as_written(words: str, cleaned: str) -> str:
    """The cleaned words in the characters the customer typed (full-width
    ，！？ rather than the ASCII the engine reads) where the two line up
    character for character; the cleaned words otherwise (HTML or spaces
    were removed, so spans index only those)."""
    raw = words.strip()
    if len(raw) == len(cleaned) and all(c == o or unicodedata.normalize("NFKC", c) == o for c, o in zip(raw, cleaned, strict=True)):
        return raw
    return cleaned


def _worth_marking(item: dict) -> bool:
    """Every span a rule found (a cue, a tag, a complaint, a cause); of the
    model's, those a reader can make sense of: not a lone Chinese character
    (a 3-gram's part such as 到 or 请 points to nothing a person would see)."""
    points_to, text = item.get("points_to", ""), item.get("text", "")
    return ":" in points_to or points_to == "complaint" or not (len(text) == 1 and "\u3400" <= text <= "\u9fff")


def highlighted(words: str, evidence: list[dict]) -> SafeString:
    """The words as the engine read them (cleaned, as the customer wrote
    them), each span of evidence in a <mark> whose title says what it
    pointed to. A span that no longer fits the words (read by an older
    version of the engine) is left out rather than put in the wrong place."""
    prepared = prepare(words)
    read = prepared.text
    text = _as_written(words, prepared.original)
    drives: list[set[str]] = [set() for _ in text]
    for item in evidence:
        start, end = item.get("start"), item.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)) or read[start:end] != item.get("text"):
            continue
        if not _worth_marking(item):
            continue
        for i in range(start, end):
            drives[i].add(item.get("points_to", ""))
    out, i = [], 0
    while i < len(text):
        j = i + 1
        while j < len(text) and drives[j] == drives[i]:
            j += 1
        chunk = escape(text[i:j]).replace("\n", "<br>")
        if drives[i]:
            title = _("Read as: %(what)s") % {"what": "、".join(sorted({points_to_label(p) for p in drives[i]}))}
            out.append(f'<mark class="{_mark_class(drives[i])}" title="{escape(title)}">{chunk}</mark>')
        else:
            out.append(chunk)
        i = j
    return mark_safe("".join(out))


@dataclass
class ReadingView:
    reading: EmotionReading
    text: SafeString
    polarity: str
    polarity_colour: str
    score: str
    primary: str
    escalation: str
    escalation_colour: str
    tags: list[str]
    cause: str


@dataclass
class EmotionPanel:
    count: int
    trend: SafeString  # the inline SVG, or "" without readings
    summary: str
    latest: list[ReadingView] = field(default_factory=list)


# The trend averages by week past this many readings.
WEEKLY_FROM = 20
LATEST_SHOWN = 3


def emotion_panel(readings: list[EmotionReading], *, latest: int = LATEST_SHOWN) -> EmotionPanel:
    """The 360° page's emotion card from a customer's newest readings (newest first)."""
    if not readings:
        return EmotionPanel(count=0, trend=mark_safe(""), summary="")
    points, weekly = trend_points(readings)
    return EmotionPanel(
        count=len(readings),
        trend=trend_svg(points, weekly=weekly),
        summary=trend_summary(readings, weekly=weekly),
        latest=[_reading_view(r) for r in readings[:latest]],
    )


def _reading_view(r: EmotionReading) -> ReadingView:
    return ReadingView(
        reading=r,
        text=highlighted(words_of(getattr(r, "source_subject", "") or "", getattr(r, "source_text", "") or ""), r.evidence or []),
        polarity=polarity_label(r.polarity),
        polarity_colour=POLARITY_COLOURS.get(r.polarity, "secondary"),
        score=f"{r.polarity_score:+.2f}",
        primary=label(EMOTION_LABELS, r.primary),
        escalation=escalation_label(r.escalation),
        escalation_colour=ESCALATION_COLOURS.get(r.escalation, "secondary"),
        tags=[label(TAG_LABELS, t) for t in r.tags or ()],
        cause=label(CAUSE_LABELS, r.cause) if r.cause else "",
    )


@dataclass
class TrendPoint:
    at: datetime
    score: float
    polarity: str
    count: int = 1


def trend_points(readings: list[EmotionReading]) -> tuple[list[TrendPoint], bool]:
    """Oldest first: one point a reading, or past WEEKLY_FROM readings one a
    week (the average of its readings, at its first day)."""
    ordered = sorted(readings, key=lambda r: r.occurred_at)
    if len(ordered) <= WEEKLY_FROM:
        return [TrendPoint(r.occurred_at, r.polarity_score, r.polarity) for r in ordered], False
    weeks: dict[tuple[int, int], list[EmotionReading]] = defaultdict(list)
    for r in ordered:
        year, week, _day = timezone.localtime(r.occurred_at).isocalendar()
        weeks[(year, week)].append(r)
    points = []
    for group in weeks.values():
        mean = sum(r.polarity_score for r in group) / len(group)
        polarity = "positive" if mean >= NEUTRAL_BAND else "negative" if mean <= -NEUTRAL_BAND else "neutral"
        first = timezone.localtime(group[0].occurred_at)
        points.append(TrendPoint(first.replace(hour=0, minute=0, second=0, microsecond=0), mean, polarity, len(group)))
    return points, True


# The SVG's drawing area, in its own units (it scales to the card's width).
WIDTH, HEIGHT = 640, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 10, 24


def _day(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d")


def trend_svg(points: list[TrendPoint], *, weekly: bool) -> SafeString:
    """polarity_score over time: a line through the points, a dashed line at 0,
    each point with a <title> (its date and score) for a mouse or a screen reader."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = points[0].at.timestamp(), points[-1].at.timestamp()
    span = last - first

    def x(p: TrendPoint) -> float:
        return LEFT + (inner_w / 2 if span <= 0 else (p.at.timestamp() - first) / span * inner_w)

    def y(score: float) -> float:
        return TOP + (1 - max(-1.0, min(1.0, score))) / 2 * inner_h

    title = _("Emotion trend, weekly average") if weekly else _("Emotion trend")
    parts = [
        f'<svg class="emotion-trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="emotion-trend-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="emotion-trend-title">{escape(title)}</title>',
    ]
    for score, text in ((1, polarity_label("positive")), (0, "0"), (-1, polarity_label("negative"))):
        dash = ' stroke-dasharray="4 4"' if score == 0 else ""
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(score):.1f}" y2="{y(score):.1f}" stroke="#dee2e6"{dash}/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(score) + 4:.1f}" text-anchor="end" font-size="11" fill="#6c757d">{escape(text)}</text>')
    if len(points) > 1:
        line = " ".join(f"{x(p):.1f},{y(p.score):.1f}" for p in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#c2410c" stroke-width="2" stroke-linejoin="round"/>')
    for p in points:
        colour = POINT_COLOURS.get(p.polarity, "#6c757d")
        if weekly:
            tip = _("Week of %(day)s: %(score)+.2f (%(count)s readings)") % {"day": _day(p.at), "score": p.score, "count": p.count}
        else:
            tip = f"{_day(p.at)}: {p.score:+.2f} ({polarity_label(p.polarity)})"
        parts.append(f'<circle cx="{x(p):.1f}" cy="{y(p.score):.1f}" r="4" fill="{colour}"><title>{escape(tip)}</title></circle>')
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="11" fill="#6c757d">{_day(points[0].at)}</text>')
    if span > 0:
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" font-size="11" fill="#6c757d">{_day(points[-1].at)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def trend_summary(readings: list[EmotionReading], *, weekly: bool) -> str:
    """The trend in words, for everyone who does not see the chart."""
    counts = {p: sum(1 for r in readings if r.polarity == p) for p in ("positive", "neutral", "negative")}
    mean = sum(r.polarity_score for r in readings) / len(readings)
    newest, oldest = readings[0], readings[-1]
    text = _(
        "%(count)s readings from %(first)s to %(last)s: %(positive)s positive, %(neutral)s neutral, %(negative)s negative; "
        "average %(mean)+.2f. The newest is %(newest)s."
    ) % {
        "count": len(readings),
        "first": _day(oldest.occurred_at),
        "last": _day(newest.occurred_at),
        "positive": counts["positive"],
        "neutral": counts["neutral"],
        "negative": counts["negative"],
        "mean": mean,
        "newest": polarity_label(newest.polarity).lower(),
    }
    if weekly:
        text += " " + _("The chart shows the average of each week.")
    return text
