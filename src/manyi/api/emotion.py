"""The emotion engine over HTTP: read texts, review a draft reply."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from manyi.api.errors import WRITE_ERRORS
from manyi.api.schemas import (
    MAX_ANALYZE_TEXTS,
    AnalyzeIn,
    AnalyzeOut,
    CheckReplyIn,
    CheckReplyOut,
)
from manyi.core.errors import ValidationFailed
from manyi.emotion.engine import Engine

router = Router(tags=["emotion"])


@router.post("/analyze", response={200: AnalyzeOut, **WRITE_ERRORS})
def analyze(request: HttpRequest, payload: AnalyzeIn) -> dict:
    """Polarity, emotions, intensity, escalation risk, complaint and cause of
    each text, with the words behind them. Send `text` or `texts`."""
    if (payload.text is None) == (payload.texts is None):
        message = _("Send either “text” or “texts” (a list of up to %(count)s).") % {"count": MAX_ANALYZE_TEXTS}
        raise ValidationFailed(message, fields={"text": [message]})
    texts = [payload.text] if payload.texts is None else payload.texts
    return {"readings": [reading.to_dict() for reading in Engine.default().analyze_many(texts)]}


@router.post("/check-reply", response={200: CheckReplyOut, **WRITE_ERRORS})
def check_reply(request: HttpRequest, payload: CheckReplyIn) -> dict:
    """What in a draft reply to avoid (with why and a better wording), and
    what it lacks; with the customer's message as `context`, only what that
    situation needs."""
    engine = Engine.default()
    context = engine.analyze(payload.context) if payload.context else None
    return engine.check_reply(payload.reply, context=context).to_dict()
