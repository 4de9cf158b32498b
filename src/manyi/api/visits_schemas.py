"""Request and response shapes of visit planning: the week plan, making it,
checking in, the workload table and planned against done.

A week travels as an ISO week, "2026-W49"; a month as "2026-12"; times of day
as "09:40" in China time (Asia/Shanghai)."""

from datetime import date, datetime, time

from ninja import Field, Schema

from manyi.api.schemas import InputSchema, IsoDate, Ref
from manyi.sales.services.visits import MAX_NOTE, MAX_OUTCOME

WEEK = Field(None, pattern=r"^[0-9]{4}-W[0-9]{2}$", examples=["2026-W49"], description="ISO week; this week when left out.")
REP = Field(None, max_length=150, description="A rep's id or username; yourself when left out.")


class PlanQuery(InputSchema):
    week: str | None = WEEK
    rep: str | None = REP


class PlanIn(InputSchema):
    week: str | None = WEEK
    rep: str | None = REP


class StopOut(Schema):
    id: int = Field(description="The planned visit's id, for check-in.")
    stop: int
    customer: Ref
    grade: str
    address: str
    latitude: float | None
    longitude: float | None
    arrive_at: time | None
    travel_km: float | None
    travel_minutes: int | None
    checked_in_at: datetime | None
    interaction_id: int | None


class DayOut(Schema):
    day: date
    holiday: bool = Field(description="A statutory holiday (法定假日): no visits.")
    visits: int
    km: float = Field(description="Road km of the day, the way back to the office included.")
    hours: float = Field(description="Driving and visiting.")
    stops: list[StopOut]


class UnplacedOut(Schema):
    customer: Ref
    grade: str
    reason: str
    message: str


class CustomerGradeOut(Schema):
    customer: Ref
    grade: str


class WeekPlanOut(Schema):
    rep: Ref
    week: str
    monday: date
    visits: int
    km: float
    hours: float
    daily_capacity: int
    visit_minutes: int
    days: list[DayOut]
    unplaced: list[UnplacedOut] = Field(description="Customers no weekday could be found for, with why.")
    no_coordinates: list[CustomerGradeOut] = Field(description="Customers without latitude and longitude: visited, not routed.")
    waiting: list[CustomerGradeOut] = Field(description="Customers new (or regraded) since the last planning: plan again to give them a weekday.")


class CheckInIn(InputSchema):
    note: str = Field("", max_length=MAX_NOTE, description="What was said or done.")
    outcome: str = Field("", max_length=MAX_OUTCOME)


class CheckInOut(Schema):
    visit_id: int
    interaction_id: int
    checked_in_at: datetime


class WorkloadQuery(InputSchema):
    month: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-12"], description="This month when left out.")
    rep: str | None = Field(None, max_length=150, description="One rep (id or username).")
    team: str | None = Field(None, max_length=100, description="One team (id or name); your team or yourself when neither is given.")


class GradeRowOut(Schema):
    grade: str
    customers: int
    visits_per_month: float
    visits_needed: float


class WorkloadOut(Schema):
    title: str
    month: str
    rows: list[GradeRowOut]
    customers: int
    visits_needed: float
    working_days: int
    reps: int
    visits_per_day: float
    visits_per_rep_day: float
    daily_capacity: int
    over_capacity: bool


class ReportQuery(InputSchema):
    start: IsoDate | None = Field(None, description="First day; the first of this month when left out.")
    end: IsoDate | None = Field(None, description="Last day; the end of this month when left out.")


class RepDoneOut(Schema):
    rep: Ref
    planned: int
    due: int = Field(description="Planned on days up to today.")
    done: int = Field(description="Checked in.")
    percent: float | None = Field(description="Done against due; null when nothing was due.")


class ReportOut(Schema):
    start: date
    end: date
    planned: int
    due: int
    done: int
    percent: float | None
    rows: list[RepDoneOut]
