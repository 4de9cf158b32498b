"""Every read of surveys, filtered to what the user may see: the responses
of the customers they see (customers.access.visible_customers), the results
computed from those responses alone."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import ApiToken, User
from manyi.core.errors import NotFound
from manyi.customers.access import visible_customers
from manyi.customers.models import Customer
from manyi.satisfaction import scoring
from manyi.satisfaction.models import (
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)

SORTS = {
    "answered": ("answered_at", "id"),
    "-answered": ("-answered_at", "-id"),
    "customer": ("customer__name", "id"),
    "-customer": ("-customer__name", "-id"),
    "score": ("score", "mean_gap", "id"),
    "-score": ("-score", "-mean_gap", "-id"),
}
DEFAULT_SORT = "-answered"
RECENT_COMMENTS = 10


def invitation_by_token(token: str) -> SurveyInvitation | None:
    """The invitation a public link opens, or None (unknown token, deleted customer)."""
    if not token:
        return None
    invitation = SurveyInvitation.objects.select_related("customer").filter(digest=ApiToken.digest_of(token)).first()
    if invitation is None or invitation.customer.deleted_at is not None:
        return None
    return invitation


def invitations_of(*, user: User, customer: Customer, limit: int = 20) -> list[SurveyInvitation]:
    """A customer's newest links, for those who see the customer."""
    if not visible_customers(user).filter(pk=customer.pk).exists():
        return []
    return list(SurveyInvitation.objects.filter(customer=customer).select_related("created_by")[:limit])


def visible_responses(user: User) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(customer__in=visible_customers(user))


@dataclass(frozen=True)
class ResponseFilters:
    kind: str = ""
    verdict: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    team: int | None = None
    owner: int | None = None
    customer: int | None = None
    sort: str = DEFAULT_SORT


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered(user: User, f: ResponseFilters) -> QuerySet[SurveyResponse]:
    qs = visible_responses(user)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.verdict:
        qs = qs.filter(verdict=f.verdict)
    if f.start:
        qs = qs.filter(answered_at__gte=_day_start(f.start))
    if f.end:
        qs = qs.filter(answered_at__lt=_day_start(f.end + dt.timedelta(days=1)))
    if f.team:
        qs = qs.filter(team_id=f.team)
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    return qs


def response_list(*, user: User, filters: ResponseFilters | None = None) -> QuerySet[SurveyResponse]:
    f = filters or ResponseFilters()
    qs = _filtered(user, f).select_related("customer", "owner", "team", "product", "entered_by")
    return qs.order_by(*SORTS.get(f.sort, SORTS[DEFAULT_SORT]))


def response_get(*, user: User, pk: Any) -> SurveyResponse:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Survey response not found.")) from None
    response = (
        visible_responses(user)
        .select_related("customer", "owner", "team", "product", "entered_by", "invitation", "follow_up", "complaint")
        .filter(pk=pk)
        .first()
    )
    if response is None:
        raise NotFound(_("Survey response not found."))
    return response


def response_answers(*, response: SurveyResponse) -> list[SurveyAnswer]:
    return list(response.answers.all())


def filter_choices(*, user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(teams, reps) of the responses the user may see, for the filters."""
    rows = visible_responses(user).values_list("team_id", "team__name", "owner_id", "owner__display_name", "owner__username").distinct()
    teams = sorted({(r[0], r[1]) for r in rows if r[0]}, key=lambda t: t[1])
    reps = sorted({(r[2], r[3] or r[4]) for r in rows if r[2]}, key=lambda t: t[1])
    return teams, reps


# --- results ------------------------------------------------------------------------------


@dataclass
class Score:
    """The figures of a group of responses (a month, a team, a rep, a product)."""

    key: Any
    label: str
    count: int = 0
    csat: float | None = None  # % of CSAT answers at 4–5
    nps: float | None = None
    mean_gap: float | None = None
    dissatisfied: int = 0


@dataclass
class Results:
    total: int
    overall: Score
    months: list[Score] = field(default_factory=list)
    teams: list[Score] = field(default_factory=list)
    reps: list[Score] = field(default_factory=list)
    products: list[Score] = field(default_factory=list)
    drivers: list[scoring.DriverGap] = field(default_factory=list)
    largest_gaps: list[scoring.DriverGap] = field(default_factory=list)
    comments: list[SurveyResponse] = field(default_factory=list)


def _score(key: Any, label: str, rows: list[dict]) -> Score:
    return Score(
        key=key, label=label, count=len(rows),
        csat=scoring.csat_percent(r["score"] for r in rows if r["kind"] == SurveyKind.CSAT),
        nps=scoring.nps(r["score"] for r in rows if r["kind"] == SurveyKind.NPS),
        mean_gap=scoring.mean(r["mean_gap"] for r in rows if r["kind"] == SurveyKind.SPE and r["mean_gap"] is not None),
        dissatisfied=sum(1 for r in rows if r["verdict"] == scoring.DISSATISFIED),
    )  # fmt: skip


def _grouped(rows: list[dict], key: str, label: str) -> list[Score]:
    groups: dict[Any, list[dict]] = defaultdict(list)
    names: dict[Any, str] = {}
    for r in rows:
        if r[key] is None:
            continue
        groups[r[key]].append(r)
        names[r[key]] = r[label] or ""
    return sorted((_score(k, names[k], g) for k, g in groups.items()), key=lambda s: (-s.count, s.label))


def results(*, user: User, filters: ResponseFilters | None = None) -> Results:
    """Scores over time by month, by team, rep and product, each driver's
    mean gap with the largest shortfalls, and the newest comments with their
    emotion readings, from the responses the user may see."""
    qs = _filtered(user, filters or ResponseFilters())
    rows = list(
        qs.values("kind", "score", "mean_gap", "verdict", "answered_at", "team_id", "team__name", "owner_id", "owner__display_name", "owner__username", "product_id", "product__name")
    )
    months: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        months[timezone.localtime(r["answered_at"]).strftime("%Y-%m")].append(r)
        r["owner_name"] = r["owner__display_name"] or r["owner__username"]
    driver_rows = SurveyAnswer.objects.filter(response__in=qs).values("driver").annotate(n=Count("id"), e=Avg("expectation"), p=Avg("perception"))
    drivers = sorted(
        (scoring.DriverGap(d["driver"], d["n"], float(d["e"]), float(d["p"]), float(d["p"]) - float(d["e"])) for d in driver_rows), key=lambda g: (g.gap, g.driver)
    )
    comments = list(qs.exclude(comment="").select_related("customer").order_by("-answered_at", "-id")[:RECENT_COMMENTS])
    return Results(
        total=len(rows),
        overall=_score("all", _("All"), rows),
        months=[_score(m, m, months[m]) for m in sorted(months)],
        teams=_grouped(rows, "team_id", "team__name"),
        reps=_grouped(rows, "owner_id", "owner_name"),
        products=_grouped(rows, "product_id", "product__name"),
        drivers=drivers,
        largest_gaps=scoring.largest_gaps(drivers, limit=5),
        comments=comments,
    )
