"""Sales work: deals (商机) and the pipeline — the stages with the wall,
opening, editing and moving deals, winning and losing them, their events, the
weighted forecast and win rates. Reads go through sales.selectors.deals (a rep
sees only their own deals; anyone else gets 404), writes through
sales.services.deals."""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from manyi.api.deals_schemas import (
    DealEventOut,
    DealIn,
    DealOut,
    DealPatch,
    DealQuery,
    ForecastOut,
    ForecastQuery,
    LoseIn,
    MoveIn,
    NoteIn,
    ReopenIn,
    StageOut,
    WinLossQuery,
    WinRateOut,
)
from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import PathId
from manyi.customers.selectors import customer_get
from manyi.sales.config import stages_for
from manyi.sales.models import Deal
from manyi.sales.selectors import deals as selectors
from manyi.sales.services import deals as services

router = Router(tags=["deals"])


def _deal(request: HttpRequest, deal_id: int) -> Deal:
    return selectors.deal_get(user=request.auth, pk=deal_id)


@router.get("/stages", response={200: list[StageOut], **ERRORS})
def stage_list(request: HttpRequest) -> list:
    """Your team's pipeline, in board order (the company's defaults when the team has none)."""
    return stages_for(request.auth.team_id)


@router.get("/forecast", response={200: list[ForecastOut], **ERRORS})
def forecast(request: HttpRequest, query: Query[ForecastQuery]) -> list:
    """The weighted forecast of the open deals you may see, by expected close month."""
    return selectors.forecast(user=request.auth, owner=query.owner, months=query.months)


@router.get("/win-rates", response={200: list[WinRateOut], **ERRORS})
def win_rates(request: HttpRequest, query: Query[WinLossQuery]) -> list:
    """Won and lost deals closed in the period (the last 90 days by default), by rep, stage or month."""
    end = query.end or timezone.localdate()
    start = query.start or end - dt.timedelta(days=89)
    rows = selectors.win_loss(user=request.auth, start=min(start, end), end=max(start, end), group=query.group)
    return [
        {"group": str(r.group[1] if query.group == "stage" else r.group), "won": r.won, "lost": r.lost, "rate": r.rate,
         "won_amount": r.won_amount, "lost_amount": r.lost_amount, "lost_reasons": dict(r.reasons)}
        for r in rows
    ]  # fmt: skip


@router.get("/deals", response={200: Page[DealOut], **ERRORS})
def deal_list(request: HttpRequest, paging: Query[PageParams], query: Query[DealQuery]) -> dict:
    """The deals you may see: open ones, most recently changed first, unless asked otherwise."""
    data = query.model_dump()
    data["status"] = "" if data["status"] == "all" else data["status"]
    return paginate(selectors.deal_list(user=request.auth, filters=selectors.DealFilters(**data)), paging)


@router.post("/deals", response={201: DealOut, **WRITE_ERRORS})
def deal_create(request: HttpRequest, payload: DealIn) -> Status:
    """Open a deal on a customer you may see. It starts in `stage` (the first
    by default) with that stage's probability unless one is given."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    data = payload.model_dump(exclude_unset=True, exclude={"customer"})
    deal = services.deal_create(by=request.auth, customer=customer, data=data)
    return Status(201, _deal(request, deal.pk))


@router.get("/deals/{deal_id}", response={200: DealOut, **ERRORS})
def deal_get(request: HttpRequest, deal_id: PathId) -> Deal:
    return _deal(request, deal_id)


@router.patch("/deals/{deal_id}", response={200: DealOut, **WRITE_ERRORS})
def deal_update(request: HttpRequest, deal_id: PathId, payload: DealPatch) -> Deal:
    """Change the fields given; each change is recorded as before → after."""
    deal = services.deal_update(by=request.auth, deal=_deal(request, deal_id), data=payload.model_dump(exclude_unset=True))
    return _deal(request, deal.pk)


@router.get("/deals/{deal_id}/events", response={200: list[DealEventOut], **ERRORS})
def deal_events(request: HttpRequest, deal_id: PathId) -> list:
    """Every change of the deal, newest first."""
    return list(selectors.deal_events(deal=_deal(request, deal_id)))


@router.post("/deals/{deal_id}/move", response={200: DealOut, **WRITE_ERRORS})
def deal_move(request: HttpRequest, deal_id: PathId, payload: MoveIn) -> Deal:
    """Move an open deal to another stage; its probability becomes the stage's.
    400 `deal_closed` for a won or lost deal."""
    deal = services.deal_move(by=request.auth, deal=_deal(request, deal_id), stage=payload.stage, note=payload.note)
    return _deal(request, deal.pk)


@router.post("/deals/{deal_id}/win", response={200: DealOut, **WRITE_ERRORS})
def deal_win(request: HttpRequest, deal_id: PathId, payload: NoteIn) -> Deal:
    deal = services.deal_win(by=request.auth, deal=_deal(request, deal_id), note=payload.note)
    return _deal(request, deal.pk)


@router.post("/deals/{deal_id}/lose", response={200: DealOut, **WRITE_ERRORS})
def deal_lose(request: HttpRequest, deal_id: PathId, payload: LoseIn) -> Deal:
    """Close as lost, with the reason (and a note, required for `other`)."""
    deal = services.deal_lose(by=request.auth, deal=_deal(request, deal_id), reason=payload.reason, note=payload.note)
    return _deal(request, deal.pk)


@router.post("/deals/{deal_id}/reopen", response={200: DealOut, **WRITE_ERRORS})
def deal_reopen(request: HttpRequest, deal_id: PathId, payload: ReopenIn) -> Deal:
    deal = services.deal_reopen(by=request.auth, deal=_deal(request, deal_id), note=payload.note)
    return _deal(request, deal.pk)
