"""Request and response shapes of the loyalty programme: members with their
balance and tier, ledger entries, rewards, enrolment, adjustments,
redemptions and reversals."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from manyi.api.schemas import BodyId, InputSchema, Ref
from manyi.loyalty.models import EntryKind, MemberStatus, RedemptionStatus
from manyi.loyalty.selectors import SORTS
from manyi.loyalty.services import MAX_POINTS


class TierOut(Schema):
    id: int
    name: str = Field(description="In the language of the request.")
    threshold: int = Field(description="Points earned in 12 months to reach this tier.")
    multiplier: Decimal
    benefits: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.label


class MemberOut(Schema):
    id: int
    number: str = Field(description="The member number on the card, e.g. M000123.")
    customer: Ref
    status: MemberStatus
    balance: int = Field(description="The sum of the member's ledger.")
    tier: TierOut | None
    joined_at: datetime

    @staticmethod
    def resolve_customer(obj) -> dict:
        """A Member, or the member card's dict (api.loyalty) that has it already."""
        if isinstance(obj, dict):
            return obj["customer"]
        return {"id": obj.customer_id, "name": obj.customer.name}


class EntryOut(Schema):
    id: int
    kind: EntryKind
    points: int = Field(description="Positive: earned or added; negative: redeemed, expired or taken away.")
    reason: str
    description: str = Field(description="What the entry was for, in the language of the request.")
    source: str
    reverses: int | None = Field(description="The id of the entry this one reverses.")
    reversed_by: int | None = Field(description="The id of the entry that reversed this one.")
    expires_on: date | None
    at: datetime
    by: Ref | None

    @staticmethod
    def resolve_reverses(obj) -> int | None:
        return obj.reverses_id

    @staticmethod
    def resolve_reversed_by(obj) -> int | None:
        from manyi.loyalty.selectors import is_reversed

        return obj.reversed_by.pk if is_reversed(obj) else None

    @staticmethod
    def resolve_description(obj) -> str:
        from manyi.loyalty.selectors import describe

        return describe(obj)

    @staticmethod
    def resolve_by(obj) -> dict | None:
        return {"id": obj.by_id, "name": str(obj.by)} if obj.by_id else None


class EntryPage(Schema):
    items: list[EntryOut]
    page: int
    has_next: bool


class MemberDetailOut(MemberOut):
    earned_last_year: int = Field(description="Points earned in the 12 months to today: what the tier is judged on.")
    next_tier: TierOut | None
    expiring_in_90_days: int = Field(description="Points that lapse within 90 days unless redeemed.")
    ledger: EntryPage = Field(description="The ledger, newest first, a page at a time (?ledger_page=).")


class MemberQuery(InputSchema):
    q: str = Field("", max_length=100, description="Customer name, or a member number (M000123).")
    tier: int | None = Field(None, ge=1, le=2**63 - 1)
    status: MemberStatus | Literal[""] = ""
    sort: Literal[tuple(SORTS)] = "-joined"


class LedgerQuery(InputSchema):
    ledger_page: int = Field(1, ge=1, le=1_000_000)


class EnrollIn(InputSchema):
    customer: BodyId


class AdjustIn(InputSchema):
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="Not zero; negative takes points away.")
    reason: str = Field(min_length=1, max_length=200)


class RedeemIn(InputSchema):
    reward: BodyId


class ReverseIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


class RewardOut(Schema):
    id: int
    name: str
    description: str
    cost: int
    stock: int | None = Field(description="Null: no limit.")


class RedemptionOut(Schema):
    id: int
    member: int
    reward: RewardOut
    entry: EntryOut
    status: RedemptionStatus
    at: datetime

    @staticmethod
    def resolve_member(obj) -> int:
        return obj.member_id
