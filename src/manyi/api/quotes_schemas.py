"""Request and response shapes of quotes (报价): a quote with its versions,
each with its lines grouped by part, its workload, market reference price,
difficulty, quality, discount and condition, and the quote's events.

Money travels as a decimal string, as everywhere in the API; quantities and
days as decimals. Errors in a line or a workload row are named
`lines.<n>.<field>` and `workload.<n>.<field>`, counted from 1 as the quote
service names them."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictInt, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from manyi.api.schemas import BodyId, InputSchema, IsoDate, Money, RecordId, Ref
from manyi.sales.models import (
    Difficulty,
    Quote,
    QuoteEventKind,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from manyi.sales.selectors.quotes import DEFAULT_SORT, SORTS
from manyi.sales.services.quote_content import (
    MAX_DAYS,
    MAX_LINES,
    MAX_NOTE,
    MAX_PEOPLE,
    MAX_QUANTITY,
    MAX_WORKLOAD,
)

CENT = Decimal("0.01")
Language = Literal["zh-hans", "en"]
StatusFilter = Literal[("open", *QuoteStatus.values)]


def _row_field(loc: tuple) -> tuple:
    """("lines", 1, "quantity") -> ("lines.2.quantity",)."""
    if len(loc) > 1 and loc[0] in ("lines", "workload") and isinstance(loc[1], int):
        return (".".join(str(part) for part in (loc[0], loc[1] + 1, *loc[2:])),)
    return loc


# --- in -------------------------------------------------------------------------------


class QuoteLineIn(InputSchema):
    part: str = Field("", max_length=100, description="The part of the quote the line belongs to (设备, 安装, 培训…); lines are grouped by it.")
    description: str = Field("", max_length=300, description="What the line is; the product's name when left out on a product line.")
    product: BodyId | None = Field(None, description="A product on sale, or none (work, a service). Only product lines become order lines when the quote is accepted.")
    quantity: Decimal = Field(gt=0, le=MAX_QUANTITY, decimal_places=3, description="Up to three decimals.")
    unit: str = Field("", max_length=16, examples=["台"])
    unit_price: Money | None = Field(None, description="Required without a product; the product's list price when left out.")


class WorkloadIn(InputSchema):
    role: str = Field(min_length=1, max_length=60, examples=["安装工程师"])
    people: StrictInt = Field(ge=1, le=MAX_PEOPLE)
    days: Decimal = Field(gt=0, le=MAX_DAYS, decimal_places=2)


class VersionIn(InputSchema):
    """The whole content of a version: a revision sends all of it again."""

    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    workload: list[WorkloadIn] = Field([], max_length=MAX_WORKLOAD, description="Who does the work and for how long.")
    market_reference: Money | None = Field(None, description="What the market charges for the same, CNY.")
    market_reference_note: str = Field("", max_length=300, description="Where the reference price comes from.")
    difficulty: Difficulty = Difficulty.MEDIUM
    difficulty_note: str = Field("", max_length=500)
    quality_note: str = Field("", max_length=MAX_NOTE, description="What the quality buys.")
    notes: str = Field("", max_length=MAX_NOTE)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, decimal_places=2, description="Above the team's limit, a manager must approve the version.")
    discount_condition: str = Field("", max_length=300, description="What the customer gives in return: required with a discount.")
    valid_until: IsoDate | None = Field(None, description="Not a day that has passed.")
    language: Language = Field("zh-hans", description="The language of the printout and the PDF.")

    @model_validator(mode="wrap")
    @classmethod
    def _name_row_fields(cls, value, handler):
        """An error in a line or a workload row names it (`lines.2.quantity`)."""
        try:
            return handler(value)
        except ValidationError as exc:
            details = [
                InitErrorDetails(type=PydanticCustomError(error["type"], error["msg"]), loc=_row_field(error["loc"]), input=error["input"])
                for error in exc.errors()
            ]
            raise ValidationError.from_exception_data(exc.title, details) from None

    def service_data(self) -> dict:
        """The content as quote_create and quote_revise take it."""
        return self.model_dump(exclude={"customer", "deal"})


class QuoteIn(VersionIn):
    customer: BodyId = Field(description="Customer id; a customer you may see.")
    deal: BodyId | None = Field(None, description="Deal id, of that customer; won when the quote is accepted.")


class QuoteQuery(InputSchema):
    status: StatusFilter | None = Field(None, description="open (not yet accepted or rejected), or one status.")
    customer: RecordId = Field(None, description="Only this customer's quotes (404 for a customer you may not see).")
    deal: RecordId = Field(None, description="Only the quotes of this deal.")
    q: str = Field("", max_length=100, description="Number or customer name contains.")
    sort: Literal[tuple(SORTS)] = Field(DEFAULT_SORT, description="-date (newest first, the default), date, updated (last changed first), total or -total (the current version's).")


class ApproveIn(InputSchema):
    note: str = Field("", max_length=300, description="Why the discount is right.")


class DeclineIn(InputSchema):
    reason: str = Field(min_length=1, max_length=300, description="Why the discount is not approved.")


class AcceptIn(InputSchema):
    create_order: bool = Field(True, description="Write an order of the current version's product lines, at the quoted prices less the discount.")


class RejectIn(InputSchema):
    reason: str = Field(min_length=1, max_length=300, description="Why the customer said no.")


class VersionQuery(InputSchema):
    version: int | None = Field(None, ge=1, le=32767, description="The version; the current one when left out.")


# --- out ------------------------------------------------------------------------------


class ProductRef(Ref):
    sku: str


class QuoteLineOut(Schema):
    position: int
    part: str
    description: str
    product: ProductRef | None
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal = Field(description="quantity × unit price, to the fen.")


class WorkloadOut(Schema):
    role: str
    people: int
    days: Decimal
    person_days: Decimal


class VersionOut(Schema):
    number: int
    created_at: datetime
    created_by: Ref | None
    language: Language
    valid_until: date | None
    lines: list[QuoteLineOut]
    workload: list[WorkloadOut]
    market_reference: Decimal | None
    market_reference_note: str
    difficulty: Difficulty
    difficulty_note: str
    quality_note: str
    notes: str
    subtotal: Decimal
    discount_percent: Decimal
    discount_condition: str
    total: Decimal = Field(description="subtotal × (1 − discount %), to the fen.")
    needs_approval: bool = Field(description="The discount is above the team's limit.")
    approved_by: Ref | None
    approved_at: datetime | None
    approval_note: str

    @staticmethod
    def resolve_lines(obj: QuoteVersion) -> list[QuoteLine]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_workload(obj: QuoteVersion) -> list[dict]:
        rows = []
        for row in obj.workload or []:
            days = Decimal(str(row["days"]))
            rows.append({"role": row["role"], "people": row["people"], "days": days, "person_days": days * row["people"]})
        return rows


class EventOut(Schema):
    kind: QuoteEventKind
    at: datetime
    by: Ref | None
    version: int | None
    note: str

    @staticmethod
    def resolve_version(obj) -> int | None:
        return obj.version.number if obj.version_id else None


class DealRef(Schema):
    id: int
    title: str


class OrderRef(Schema):
    id: int
    number: str


class QuoteListItem(Schema):
    id: int
    number: str = Field(description="BJ<yyyymmdd>-<nnnnn>.")
    customer: Ref
    deal: DealRef | None
    owner: Ref
    status: QuoteStatus
    version: int = Field(description="The current version's number.")
    total: Decimal = Field(description="The current version's total, CNY.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_version(obj: Quote) -> int:
        return obj.current_number

    @staticmethod
    def resolve_total(obj: Quote) -> Decimal:
        return Decimal(obj.current_total).quantize(CENT)


class QuoteOut(QuoteListItem):
    order: OrderRef | None = Field(description="The order written when the quote was accepted.")
    actions: list[str] = Field(description="What you may do now: revise, submit, approve, send, accept, reject.")
    versions: list[VersionOut] = Field(description="Oldest first; the last is the current one.")
    events: list[EventOut] = Field(description="Oldest first.")

    # The route reads these through the selectors and sets them on the quote.
    @staticmethod
    def resolve_actions(obj: Quote) -> list[str]:
        return sorted(obj.allowed_actions)

    @staticmethod
    def resolve_versions(obj: Quote) -> list[QuoteVersion]:
        return obj.version_list

    @staticmethod
    def resolve_events(obj: Quote) -> list:
        return obj.event_list
