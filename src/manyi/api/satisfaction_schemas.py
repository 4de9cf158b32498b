"""Request and response shapes of surveys: links, responses and results."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from manyi.api.schemas import BodyId, InputSchema, IsoDate, RecordId, Ref, max_length
from manyi.satisfaction.drivers import Driver
from manyi.satisfaction.models import (
    SurveyInvitation,
    SurveyKind,
    SurveyLanguage,
    SurveyTrigger,
    Verdict,
)
from manyi.satisfaction.selectors import SORTS
from manyi.satisfaction.services import MAX_COMMENT, MAX_EXPIRY_DAYS


def _ref(user) -> dict | None:
    return {"id": user.pk, "name": str(user)} if user else None


class InvitationIn(InputSchema):
    customer: BodyId
    kind: SurveyKind
    trigger: SurveyTrigger = SurveyTrigger.MANUAL
    source: str = Field("", max_length=max_length(SurveyInvitation, "source"), description='What the survey is about: "complaint:12", "order:5", "visit:9". One link per trigger and source.')
    language: SurveyLanguage = SurveyLanguage.ZH
    expires_in_days: int = Field(14, ge=1, le=MAX_EXPIRY_DAYS)


class InvitationOut(Schema):
    id: int
    customer: Ref
    kind: SurveyKind
    trigger: SurveyTrigger
    source: str
    language: SurveyLanguage
    expires_at: datetime
    token: str = Field(description="Shown only now: only its SHA-256 is kept.")
    url: str = Field(description="The customer's personal link.")


class AnswerIn(InputSchema):
    driver: Driver
    expectation: int = Field(ge=1, le=5)
    perception: int = Field(ge=1, le=5)


class ResponseIn(InputSchema):
    customer: BodyId
    kind: SurveyKind
    score: int | None = Field(None, ge=0, le=10, description="CSAT 1–5, NPS 0–10; none for expectation vs. perception.")
    answers: list[AnswerIn] = Field([], max_length=len(Driver.values), description="Expectation vs. perception: one per driver asked.")
    comment: str = Field("", max_length=MAX_COMMENT)


class AnswerOut(Schema):
    driver: Driver
    expectation: int
    perception: int
    gap: int


class EmotionOut(Schema):
    polarity: str
    score: float
    primary: str
    escalation: str
    cause: str
    tags: list[str]


class ResponseOut(Schema):
    id: int
    customer: Ref
    kind: SurveyKind
    trigger: SurveyTrigger
    language: SurveyLanguage
    answered_at: datetime
    score: int | None
    mean_gap: float | None
    verdict: Verdict
    comment: str
    emotion: EmotionOut | None
    owner: Ref | None = Field(description="The customer's owner when it was answered.")
    team: Ref | None
    product: Ref | None
    entered_by: Ref | None = Field(description="Staff who typed it in; null when answered through the link.")
    follow_up_id: int | None
    complaint_id: int | None
    answers: list[AnswerOut]

    @staticmethod
    def resolve_customer(obj) -> dict:
        return {"id": obj.customer_id, "name": obj.customer.name}

    @staticmethod
    def resolve_owner(obj) -> dict | None:
        return _ref(obj.owner)

    @staticmethod
    def resolve_entered_by(obj) -> dict | None:
        return _ref(obj.entered_by)

    @staticmethod
    def resolve_team(obj) -> dict | None:
        return {"id": obj.team_id, "name": obj.team.name} if obj.team_id else None

    @staticmethod
    def resolve_product(obj) -> dict | None:
        return {"id": obj.product_id, "name": obj.product.name} if obj.product_id else None

    @staticmethod
    def resolve_emotion(obj) -> dict | None:
        if not obj.emotion_polarity:
            return None
        return {"polarity": obj.emotion_polarity, "score": obj.emotion_score, "primary": obj.emotion_primary,
                "escalation": obj.emotion_escalation, "cause": obj.emotion_cause, "tags": obj.emotion_tags}  # fmt: skip

    @staticmethod
    def resolve_answers(obj) -> list:
        return [{"driver": a.driver, "expectation": a.expectation, "perception": a.perception, "gap": a.gap} for a in obj.answers.all()]


class ResponseQuery(InputSchema):
    kind: SurveyKind | Literal[""] = ""
    verdict: Verdict | Literal[""] = ""
    start: IsoDate | None = None
    end: IsoDate | None = None
    team: RecordId | None = None
    owner: RecordId | None = None
    customer: RecordId | None = None
    sort: Literal[tuple(SORTS)] = "-answered"


class ResultsQuery(InputSchema):
    kind: SurveyKind | Literal[""] = ""
    start: IsoDate | None = None
    end: IsoDate | None = None
    team: RecordId | None = None
    owner: RecordId | None = None


class ScoreOut(Schema):
    key: str
    label: str
    count: int
    csat: float | None = Field(description="% of CSAT answers at 4–5.")
    nps: float | None = Field(description="% promoters − % detractors.")
    mean_gap: float | None = Field(description="Mean perception − expectation of the expectation-vs-perception answers.")
    dissatisfied: int

    @staticmethod
    def resolve_key(obj) -> str:
        return str(obj.key)


class DriverGapOut(Schema):
    driver: Driver
    count: int
    expectation: float
    perception: float
    gap: float


class ResultsOut(Schema):
    total: int
    overall: ScoreOut
    months: list[ScoreOut]
    teams: list[ScoreOut]
    reps: list[ScoreOut]
    products: list[ScoreOut]
    drivers: list[DriverGapOut]
    largest_gaps: list[DriverGapOut]
