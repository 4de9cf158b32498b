"""Request and response shapes of deals, stages, the forecast and win rates.
Money travels as a decimal string, as everywhere in the API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from manyi.api.schemas import (
    BodyId,
    InputSchema,
    IsoDate,
    Money,
    RecordId,
    Ref,
    max_length,
)
from manyi.sales.models import Deal, DealEventKind, DealStatus, Heat, LostReason
from manyi.sales.selectors.deals import FLAGS, GROUPS, SORTS


def _d(name: str) -> int:
    return max_length(Deal, name)


class StageOut(Schema):
    key: str
    name: str = Field(description="In the language of the request.")
    position: int
    probability: int
    inside_wall: bool = Field(description="A customer stage (inside the wall 围墙) rather than a prospect stage.")
    stuck_after_days: int

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.label


class DealPatch(InputSchema):
    title: str = Field(None, min_length=1, max_length=_d("title"))
    amount: Money | None = None
    expected_close: IsoDate | None = None
    probability: int | None = Field(None, ge=0, le=100)
    heat: Heat | None = None
    heat_reason: str = Field(None, max_length=_d("heat_reason"))
    next_step: str = Field(None, max_length=_d("next_step"))
    next_step_on: IsoDate | None = None
    competitors: str = Field(None, max_length=_d("competitors"))


class DealIn(DealPatch):
    customer: BodyId
    title: str = Field(min_length=1, max_length=_d("title"))
    stage: str | None = Field(None, max_length=32, description="A stage key of the owner's pipeline; the first stage by default.")


class DealQuery(InputSchema):
    q: str = Field("", max_length=100)
    status: Literal["open", "won", "lost", "all"] = "open"
    stage: str = Field("", max_length=32)
    owner: RecordId | None = None
    customer: RecordId | None = None
    heat: Heat | Literal[""] = ""
    flag: Literal[("", *FLAGS)] = Field("", description="attention: no next step, an overdue one, or stuck in the stage.")
    sort: Literal[tuple(SORTS)] = "updated"


class DealOut(Schema):
    id: int
    title: str
    customer: Ref
    owner: Ref
    stage: StageOut
    status: DealStatus
    amount: Decimal
    weighted: Decimal = Field(description="amount × probability")
    probability: int
    expected_close: date | None
    heat: Heat
    heat_reason: str
    next_step: str
    next_step_on: date | None
    competitors: str
    lost_reason: LostReason | Literal[""]
    lost_note: str
    closed_on: date | None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj) -> dict:
        return {"id": obj.customer_id, "name": obj.customer.name}

    @staticmethod
    def resolve_owner(obj) -> dict:
        return {"id": obj.owner_id, "name": str(obj.owner)}


class MoveIn(InputSchema):
    stage: str = Field(min_length=1, max_length=32)
    note: str = Field("", max_length=300)


class NoteIn(InputSchema):
    note: str = Field("", max_length=300)


class LoseIn(InputSchema):
    reason: LostReason
    note: str = Field("", max_length=300)


class ReopenIn(InputSchema):
    note: str = Field(min_length=1, max_length=300)


class DealEventOut(Schema):
    id: int
    kind: DealEventKind
    at: datetime
    by: Ref | None
    from_stage: str | None
    to_stage: str | None
    changes: dict
    note: str

    @staticmethod
    def resolve_by(obj) -> dict | None:
        return {"id": obj.by_id, "name": str(obj.by)} if obj.by_id else None

    @staticmethod
    def resolve_from_stage(obj) -> str | None:
        return obj.from_stage.key if obj.from_stage_id else None

    @staticmethod
    def resolve_to_stage(obj) -> str | None:
        return obj.to_stage.key if obj.to_stage_id else None


class ForecastOut(Schema):
    bucket: Literal["overdue", "month", "later", "undated"]
    month: date | None = Field(description="The first day of the month; for `later` the first month counted there.")
    deals: int
    amount: Decimal
    weighted: Decimal


class ForecastQuery(InputSchema):
    owner: RecordId | None = None
    months: int = Field(6, ge=1, le=24)


class WinLossQuery(InputSchema):
    start: IsoDate | None = None
    end: IsoDate | None = None
    group: Literal[GROUPS] = "owner"


class WinRateOut(Schema):
    group: str
    won: int
    lost: int
    rate: float | None
    won_amount: Decimal
    lost_amount: Decimal
    lost_reasons: dict[str, int]
