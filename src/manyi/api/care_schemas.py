"""Request and response shapes of care: follow-up tasks and the "today" agenda.
Dates travel as ISO dates ("2026-10-01"); greeting drafts are in the
language of the request."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from manyi.api.schemas import BodyId, InputSchema, IsoDate, RecordId, Ref
from manyi.care.models import FollowUpKind
from manyi.care.selectors import SORTS
from manyi.care.services import DETAIL_MAX, TITLE_MAX


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class FollowUpOut(Schema):
    id: int
    customer: Ref
    assignee: Ref
    kind: FollowUpKind
    title: str
    detail: str
    due_on: date
    done_at: datetime | None
    outcome: str
    created_at: datetime

    @staticmethod
    def resolve_customer(obj) -> dict:
        return _ref(obj.customer)

    @staticmethod
    def resolve_assignee(obj) -> dict:
        return _ref(obj.assignee)


class FollowUpQuery(InputSchema):
    status: Literal["open", "overdue", "done", "all"] = "open"
    kind: FollowUpKind | None = None
    assignee: RecordId | None = Field(None, description="Someone's tasks (a manager: of the team; an administrator: anyone).")
    customer: RecordId | None = None
    sort: Literal[SORTS] = "due"  # type: ignore[valid-type]


class FollowUpIn(InputSchema):
    customer: BodyId
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    due_on: IsoDate
    detail: str = Field("", max_length=DETAIL_MAX)
    assignee: BodyId | None = Field(None, description="Yourself when left out; a manager may name a member of the team.")


class DoneIn(InputSchema):
    outcome: str = Field("", max_length=DETAIL_MAX)


class TaskOut(Schema):
    follow_up: FollowUpOut
    overdue: bool
    overdue_days: int
    greeting: str


class BirthdayOut(Schema):
    customer: Ref
    contact: Ref | None
    name: str
    day: date = Field(description="The day the birthday is celebrated.")
    calendar: Literal["solar", "lunar"]
    lunar: str = Field(description="The lunar date, for a lunar birthday; empty otherwise.")
    age: int
    milestone: bool
    in_days: int
    greeting: str
    greeted: bool

    @staticmethod
    def resolve_customer(obj) -> dict:
        return _ref(obj.customer)

    @staticmethod
    def resolve_contact(obj) -> dict | None:
        return _ref(obj.contact)


class FestivalCustomerOut(Schema):
    customer: Ref
    greeting: str
    greeted: bool

    @staticmethod
    def resolve_customer(obj) -> dict:
        return _ref(obj.customer)


class FestivalOut(Schema):
    code: str
    label: str
    day: date
    calendar: Literal["solar", "lunar"]
    western: bool
    lunar: str
    in_days: int
    customers: list[FestivalCustomerOut]
    more: int = Field(description="Customers to greet beyond those listed.")


class PeriodicOut(Schema):
    customer: Ref
    grade: str
    last_contact: datetime | None
    days_since: int
    interval_days: int
    greeting: str

    @staticmethod
    def resolve_customer(obj) -> dict:
        return _ref(obj.customer)

    @staticmethod
    def resolve_grade(obj) -> str:
        return obj.customer.grade


class RecheckOut(Schema):
    complaint: Ref
    customer: Ref
    carried_out_at: datetime | None
    due: date | None
    overdue: bool
    greeting: str

    @staticmethod
    def resolve_complaint(obj) -> dict:
        return _ref(obj.complaint)

    @staticmethod
    def resolve_customer(obj) -> dict:
        return _ref(obj.complaint.customer)


class VisitOut(Schema):
    id: int
    stop: int
    customer: Ref
    arrive_at: str | None
    checked_in_at: datetime | None

    @staticmethod
    def resolve_customer(obj) -> dict:
        return _ref(obj.customer)

    @staticmethod
    def resolve_arrive_at(obj) -> str | None:
        return obj.arrive_at.strftime("%H:%M") if obj.arrive_at else None


class TeamRowOut(Schema):
    user: Ref
    tasks_due: int
    tasks_overdue: int
    periodic_due: int
    rechecks: int
    visits: int

    @staticmethod
    def resolve_user(obj) -> dict:
        return _ref(obj.user)


class AgendaOut(Schema):
    day: date
    tasks: list[TaskOut]
    birthdays: list[BirthdayOut]
    festivals: list[FestivalOut]
    periodic: list[PeriodicOut]
    periodic_total: int
    rechecks: list[RecheckOut]
    visits: list[VisitOut]
    team: list[TeamRowOut] | None = Field(description="Per person, for a manager (the team) or an administrator (everyone); null for anyone else.")
