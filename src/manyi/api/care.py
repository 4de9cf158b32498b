"""Care: the "today" agenda and follow-up tasks. Reads go through
care.selectors (a rep sees the tasks assigned to them, a manager the team's;
anyone else gets 404), writes through care.services."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from manyi.api.care_schemas import (
    AgendaOut,
    DoneIn,
    FollowUpIn,
    FollowUpOut,
    FollowUpQuery,
)
from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import PathId
from manyi.care import selectors, services
from manyi.core.errors import NotFound
from manyi.customers import access
from manyi.customers.selectors import customer_get

router = Router(tags=["care"])


@router.get("/today", response={200: AgendaOut, **ERRORS})
def today(request: HttpRequest) -> selectors.Agenda:
    """Your agenda for today: tasks due or overdue, birthdays of your customers
    in the next seven days, festivals in the next fourteen with the customers
    to greet, regular follow-ups due by grade, complaints awaiting a recheck,
    today's planned visits, each with a greeting draft; a manager also gets
    the team's counts."""
    return selectors.agenda(user=request.auth, day=timezone.localdate())


@router.get("/follow-ups", response={200: Page[FollowUpOut], **ERRORS})
def followup_list(request: HttpRequest, paging: Query[PageParams], query: Query[FollowUpQuery]) -> dict:
    """The tasks you may see (your own; a manager's team's), open ones by due date unless asked otherwise."""
    filters = selectors.FollowUpFilters(**query.model_dump())
    return paginate(selectors.followup_list(user=request.auth, filters=filters), paging)


@router.post("/follow-ups", response={201: FollowUpOut, **WRITE_ERRORS})
def followup_create(request: HttpRequest, payload: FollowUpIn) -> Status:
    """Open a task on a customer you may see, due on `due_on` (today or later)."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    assignee = None
    if payload.assignee is not None:
        assignee = access.assignable_owners(request.auth).filter(pk=payload.assignee).first()
        if assignee is None:
            with referenced("assignee"):
                raise NotFound(_("No such person."))
    task = services.followup_create(
        by=request.auth, customer=customer, title=payload.title, due_on=payload.due_on, detail=payload.detail, assignee=assignee
    )
    return Status(201, selectors.followup_get(user=request.auth, pk=task.pk))


@router.post("/follow-ups/{follow_up_id}/done", response={200: FollowUpOut, **WRITE_ERRORS})
def followup_done(request: HttpRequest, follow_up_id: PathId, payload: DoneIn) -> object:
    """Mark a task done with its outcome. 400 `follow_up_done` when it is done already."""
    task = selectors.followup_get(user=request.auth, pk=follow_up_id)
    services.followup_done(follow_up=task, by=request.auth, outcome=payload.outcome)
    return selectors.followup_get(user=request.auth, pk=follow_up_id)
