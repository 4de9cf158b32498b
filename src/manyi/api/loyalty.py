"""The loyalty programme: members (a member is seen by whoever sees its
customer; anyone else gets 404), their balance, tier and ledger, enrolment,
manual adjustments (the team's manager, administrators), redemptions against
the catalogue and reversals. Reads go through loyalty.selectors, writes
through loyalty.services."""

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router, Status

from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.loyalty_schemas import (
    AdjustIn,
    EnrollIn,
    EntryOut,
    LedgerQuery,
    MemberDetailOut,
    MemberOut,
    MemberQuery,
    RedeemIn,
    RedemptionOut,
    ReverseIn,
    RewardOut,
)
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import PathId
from manyi.customers.selectors import customer_get
from manyi.loyalty import selectors, services
from manyi.loyalty.models import Member

router = Router(tags=["loyalty"])
LEDGER_PAGE = 50


def _detail(member: Member, ledger_page: int = 1) -> dict:
    card = selectors.member_card(member=member)
    page = Paginator(selectors.member_entries(member=member), LEDGER_PAGE).get_page(ledger_page)
    return {
        "id": member.pk, "number": member.number, "customer": {"id": member.customer_id, "name": member.customer.name},
        "status": member.status, "balance": card.balance, "tier": card.tier, "joined_at": member.joined_at,
        "earned_last_year": card.earned_last_year, "next_tier": card.next_tier, "expiring_in_90_days": card.expiring,
        "ledger": {"items": list(page), "page": page.number, "has_next": page.has_next()},
    }  # fmt: skip


@router.get("/members", response={200: Page[MemberOut], **ERRORS})
def member_list(request: HttpRequest, paging: Query[PageParams], query: Query[MemberQuery]) -> dict:
    """The members whose customers you may see, newest first unless asked otherwise."""
    filters = selectors.MemberFilters(**query.model_dump())
    return paginate(selectors.member_list(user=request.auth, filters=filters), paging)


@router.get("/members/{member_id}", response={200: MemberDetailOut, **ERRORS})
def member_get(request: HttpRequest, member_id: PathId, query: Query[LedgerQuery]) -> dict:
    """A member's card: balance (the ledger's sum), tier, what lapses soon, and a page of the ledger."""
    return _detail(selectors.member_get(user=request.auth, pk=member_id), query.ledger_page)


@router.post("/members", response={201: MemberDetailOut, **WRITE_ERRORS})
def member_enroll(request: HttpRequest, payload: EnrollIn) -> Status:
    """Enrol a customer you may see; 400 `already_member` if they are one."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    member = services.member_enroll(customer=customer, by=request.auth)
    return Status(201, _detail(selectors.member_get(user=request.auth, pk=member.pk)))


@router.post("/members/{member_id}/adjust", response={201: EntryOut, **WRITE_ERRORS})
def points_adjust(request: HttpRequest, member_id: PathId, payload: AdjustIn) -> Status:
    """Add or take away points by hand, with a reason (the customer's team
    manager, administrators: 403 otherwise); 400 `insufficient_points` if it
    would take the balance below zero."""
    member = selectors.member_get(user=request.auth, pk=member_id)
    entry = services.points_adjust(member=member, points=payload.points, reason=payload.reason, by=request.auth)
    return Status(201, entry)


@router.post("/members/{member_id}/redeem", response={201: RedemptionOut, **WRITE_ERRORS})
def points_redeem(request: HttpRequest, member_id: PathId, payload: RedeemIn) -> Status:
    """Redeem a reward on offer; 400 `insufficient_points`, `out_of_stock`,
    `reward_inactive` or `member_left`, with nothing written."""
    member = selectors.member_get(user=request.auth, pk=member_id)
    with referenced("reward"):
        reward = selectors.reward_get(pk=payload.reward, offered_only=False)
    return Status(201, services.points_redeem(member=member, reward=reward, by=request.auth))


@router.post("/entries/{entry_id}/reverse", response={201: EntryOut, **WRITE_ERRORS})
def points_reverse(request: HttpRequest, entry_id: PathId, payload: ReverseIn) -> Status:
    """Reverse an earning, a redemption (cancelling it) or an adjustment,
    once; 400 `not_reversible`, `already_reversed` or `insufficient_points`."""
    entry = selectors.entry_get(user=request.auth, pk=entry_id)
    return Status(201, services.points_reverse(entry=entry, by=request.auth, reason=payload.reason))


@router.get("/rewards", response={200: list[RewardOut], **ERRORS})
def reward_list(request: HttpRequest) -> list:
    """The rewards on offer, cheapest first."""
    return list(selectors.rewards_offered())
