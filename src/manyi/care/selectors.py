"""Every read of care: follow-up tasks and the "today" agenda, already
filtered to what the asking user may see. A rep sees the tasks assigned to
them; a manager their team's; an administrator everyone's. The agenda is
always the user's own (the customers they own, the tasks assigned to them);
a manager or an administrator gets a summary per person besides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.care import config, greetings, lunar
from manyi.care.models import FollowUp
from manyi.core.errors import NotFound, ValidationFailed
from manyi.customers.models import Contact, Customer, Kind
from manyi.customers.selectors import customer_get
from manyi.interactions.models import Interaction, InteractionKind
from manyi.sales.models import PlannedVisit
from manyi.service.dashboards import RECHECK_WITHIN
from manyi.service.models import Complaint, ComplaintEvent, EventKind, Step
from manyi.service.selectors import complaint_get

# --- follow-up tasks -----------------------------------------------------------------

STATUSES = ("open", "overdue", "done", "all")
SORTS = ("due", "-due", "customer", "-customer", "title", "-title", "created", "-created")
_ORDER = {"due": ("due_on", "id"), "customer": ("customer__name", "due_on", "id"), "title": ("title", "id"), "created": ("created_at", "id")}


def _active(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def sees_team(user: User) -> bool:
    """A manager (of a team) or an administrator: sees other people's tasks."""
    return _active(user) and (user.is_admin or (user.is_manager and user.team_id is not None))


def visible_follow_ups(user: User) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(customer__deleted_at__isnull=True)
    if not _active(user):
        return qs.none()
    if user.is_admin:
        return qs
    if user.is_manager and user.team_id is not None:
        return qs.filter(Q(team_id=user.team_id) | Q(assignee_id=user.pk))
    return qs.filter(assignee_id=user.pk)


@dataclass(frozen=True)
class FollowUpFilters:
    status: str = "open"
    kind: str = ""
    assignee: int | None = None
    customer: int | None = None
    sort: str = "due"


def followup_list(*, user: User, filters: FollowUpFilters | None = None, today: dt.date | None = None) -> QuerySet[FollowUp]:
    f = filters or FollowUpFilters()
    today = today or timezone.localdate()
    qs = visible_follow_ups(user).select_related("customer", "assignee")
    if f.status == "open":
        qs = qs.filter(done_at__isnull=True)
    elif f.status == "overdue":
        qs = qs.filter(done_at__isnull=True, due_on__lt=today)
    elif f.status == "done":
        qs = qs.filter(done_at__isnull=False)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.assignee is not None:
        qs = qs.filter(assignee_id=f.assignee)
    if f.customer is not None:
        qs = qs.filter(customer_id=f.customer)
    sort = f.sort if f.sort in SORTS else "due"
    columns = _ORDER[sort.lstrip("-")]
    return qs.order_by(*(("-" + c) if sort.startswith("-") else c for c in columns))


def followup_get(*, user: User, pk: Any) -> FollowUp:
    try:
        return visible_follow_ups(user).select_related("customer", "assignee").get(pk=int(pk))
    except (TypeError, ValueError, FollowUp.DoesNotExist):
        raise NotFound(_("Task not found.")) from None


def assignee_choices(*, user: User) -> list[tuple[int, str]]:
    """Whose tasks the user may list: themselves, and their team or everyone."""
    if not _active(user):
        return []
    qs = User.objects.filter(is_active=True).exclude(role=Role.ANALYST)
    if user.is_admin:
        pass
    elif user.is_manager and user.team_id is not None:
        qs = qs.filter(Q(team_id=user.team_id) | Q(pk=user.pk))
    else:
        qs = qs.filter(pk=user.pk)
    return sorted(((u.pk, str(u)) for u in qs), key=lambda row: (row[0] != user.pk, row[1]))


# --- the agenda ------------------------------------------------------------------------


@dataclass
class TaskItem:
    follow_up: FollowUp
    overdue_days: int
    greeting: str

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


@dataclass
class BirthdayItem:
    customer: Customer
    contact: Contact | None
    name: str
    day: dt.date  # the day it is celebrated
    calendar: str
    lunar: str  # the lunar date, for a lunar birthday
    age: int
    milestone: bool
    in_days: int
    greeting: str
    source: str
    greeted: bool = False


@dataclass
class FestivalCustomer:
    customer: Customer
    greeting: str
    source: str
    greeted: bool = False


@dataclass
class FestivalItem:
    code: str
    label: str
    day: dt.date
    calendar: str
    western: bool
    lunar: str
    in_days: int
    customers: list[FestivalCustomer]
    more: int  # customers to greet beyond those listed


@dataclass
class PeriodicItem:
    customer: Customer
    last_contact: dt.datetime | None
    days_since: int
    interval_days: int
    greeting: str


@dataclass
class RecheckItem:
    complaint: Complaint
    carried_out_at: dt.datetime | None
    due: dt.date | None
    overdue: bool
    greeting: str


@dataclass
class TeamRow:
    user: User
    tasks_due: int = 0
    tasks_overdue: int = 0
    periodic_due: int = 0
    rechecks: int = 0
    visits: int = 0


@dataclass
class Agenda:
    day: dt.date
    tasks: list[TaskItem] = field(default_factory=list)
    birthdays: list[BirthdayItem] = field(default_factory=list)
    festivals: list[FestivalItem] = field(default_factory=list)
    periodic: list[PeriodicItem] = field(default_factory=list)
    periodic_total: int = 0
    rechecks: list[RecheckItem] = field(default_factory=list)
    visits: list[PlannedVisit] = field(default_factory=list)
    team: list[TeamRow] | None = None

    @property
    def empty(self) -> bool:
        return not (self.tasks or self.birthdays or self.festivals or self.periodic or self.rechecks or self.visits)

    @property
    def count(self) -> int:
        """Things to do today: tasks, birthdays, customers to greet, follow-ups, rechecks and visits."""
        greet = sum(len(f.customers) + f.more for f in self.festivals if f.in_days == 0)
        return len(self.tasks) + len(self.birthdays) + greet + self.periodic_total + len(self.rechecks) + len(self.visits)


def birthday_source(*, customer_id: int, contact_id: int | None, day: dt.date) -> str:
    who = f"contact:{contact_id}" if contact_id else f"customer:{customer_id}"
    return f"care:birthday:{who}:{day.isoformat()}"


def festival_source(*, customer_id: int, code: str, day: dt.date) -> str:
    return f"care:festival:{code}:{day.isoformat()}:{customer_id}"


def _owned(user: User) -> QuerySet[Customer]:
    return Customer.objects.filter(owner_id=user.pk, deleted_at__isnull=True)


def _calendar(value: str) -> str:
    return value if value in lunar.CALENDARS else lunar.SOLAR


def _key_contacts(customer_ids) -> dict[int, Contact]:
    """Each enterprise's first key person (by name)."""
    found: dict[int, Contact] = {}
    for contact in Contact.objects.filter(customer_id__in=customer_ids, is_key_person=True, deleted_at__isnull=True).order_by("name", "pk"):
        found.setdefault(contact.customer_id, contact)
    return found


def _tasks(user: User, day: dt.date) -> list[TaskItem]:
    rows = (
        FollowUp.objects.filter(assignee_id=user.pk, done_at__isnull=True, due_on__lte=day, customer__deleted_at__isnull=True)
        .select_related("customer").order_by("due_on", "pk")
    )  # fmt: skip
    rows = list(rows)
    contacts = _key_contacts([t.customer_id for t in rows if t.customer.kind == Kind.ENTERPRISE])
    return [
        TaskItem(t, (day - t.due_on).days, greetings.task(greetings.addressee(t.customer, contacts.get(t.customer_id)), t.title))
        for t in rows
    ]


def _birthday_item(customer: Customer, contact: Contact | None, person, day: dt.date) -> BirthdayItem | None:
    calendar = _calendar(person.birthday_calendar)
    celebrated = lunar.next_birthday(person.birthday, calendar, day)
    in_days = (celebrated - day).days
    if in_days >= config.BIRTHDAY_DAYS:
        return None
    age = lunar.age_on(person.birthday, calendar, celebrated)
    if age < 1:
        return None
    milestone = lunar.is_milestone(age)
    name = greetings.honorific(person.name, person.gender)
    return BirthdayItem(
        customer=customer, contact=contact, name=person.name, day=celebrated, calendar=calendar,
        lunar=greetings.lunar_text(celebrated) if calendar == lunar.LUNAR else "", age=age, milestone=milestone,
        in_days=in_days, greeting=greetings.birthday(name, age=age, milestone=milestone),
        source=birthday_source(customer_id=customer.pk, contact_id=contact.pk if contact else None, day=celebrated),
    )  # fmt: skip


def _birthdays(user: User, day: dt.date) -> list[BirthdayItem]:
    items: list[BirthdayItem] = []
    people = _owned(user).filter(kind=Kind.INDIVIDUAL, birthday__isnull=False)
    for customer in people.only("id", "kind", "name", "gender", "birthday", "birthday_calendar", "owner_id"):
        item = _birthday_item(customer, None, customer, day)
        if item:
            items.append(item)
    contacts = Contact.objects.filter(
        customer__owner_id=user.pk, customer__deleted_at__isnull=True, customer__kind=Kind.ENTERPRISE,
        is_key_person=True, deleted_at__isnull=True, birthday__isnull=False,
    ).select_related("customer")  # fmt: skip
    for contact in contacts:
        item = _birthday_item(contact.customer, contact, contact, day)
        if item:
            items.append(item)
    return sorted(items, key=lambda i: (i.day, i.name))


def _festivals(user: User, day: dt.date) -> list[FestivalItem]:
    coming = [f for f in lunar.festivals_between(day, day + dt.timedelta(days=config.FESTIVAL_DAYS - 1)) if f.code not in config.NOT_GREETED]
    if not coming:
        return []
    important = _owned(user).filter(Q(grade__in=config.GREET_GRADES) | Q(importance__in=config.GREET_IMPORTANCE)).order_by("name", "pk")
    everyone = list(important.only("id", "kind", "name", "gender", "western_festivals", "grade", "importance"))
    contacts = _key_contacts([c.pk for c in everyone if c.kind == Kind.ENTERPRISE])
    items = []
    for festival in coming:
        customers = [c for c in everyone if c.western_festivals or not festival.western]
        if not customers:
            continue
        shown = customers[: config.FESTIVAL_CUSTOMERS_SHOWN]
        rows = [
            FestivalCustomer(c, greetings.festival(greetings.addressee(c, contacts.get(c.pk)), festival.code),
                             festival_source(customer_id=c.pk, code=festival.code, day=festival.day))
            for c in shown
        ]  # fmt: skip
        items.append(FestivalItem(
            code=festival.code, label=greetings.festival_label(festival.code), day=festival.day, calendar=festival.calendar,
            western=festival.western, lunar=greetings.lunar_text(festival.day) if festival.calendar == lunar.LUNAR else "",
            in_days=(festival.day - day).days, customers=rows, more=len(customers) - len(shown),
        ))  # fmt: skip
    return items


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _periodic_due(customers: QuerySet[Customer], day: dt.date) -> QuerySet[Customer]:
    """The customers not contacted (a note is no contact) for longer than their
    grade's interval; a customer never contacted counts from when it was added."""
    last = Interaction.objects.filter(customer_id=OuterRef("pk")).exclude(kind=InteractionKind.NOTE).order_by("-occurred_at").values("occurred_at")[:1]
    due = Q()
    for grade, days in config.FOLLOW_UP_DAYS.items():
        due |= Q(grade=grade, since__lt=_start_of(day - dt.timedelta(days=days)))
    return customers.annotate(last_contact=Subquery(last)).annotate(since=Coalesce("last_contact", "created_at")).filter(due)


def _periodic(user: User, day: dt.date) -> tuple[list[PeriodicItem], int]:
    due = _periodic_due(_owned(user), day).order_by("since", "pk")
    total = due.count()
    rows = list(due[: config.PERIODIC_SHOWN])
    contacts = _key_contacts([c.pk for c in rows if c.kind == Kind.ENTERPRISE])
    items = [
        PeriodicItem(c, c.last_contact, (day - timezone.localtime(c.since).date()).days, config.FOLLOW_UP_DAYS.get(c.grade, 0),
                     greetings.periodic(greetings.addressee(c, contacts.get(c.pk))))
        for c in rows
    ]  # fmt: skip
    return items, total


def _awaiting_recheck(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    carried = ComplaintEvent.objects.filter(complaint_id=OuterRef("pk"), kind=EventKind.STEP, step=Step.CARRIED_OUT).order_by("-at").values("at")[:1]
    return complaints.filter(status=Step.CARRIED_OUT, customer__deleted_at__isnull=True).annotate(carried_out_at=Subquery(carried))


def _rechecks(user: User, day: dt.date) -> list[RecheckItem]:
    """The user's complaints carried out and waiting for the recheck with the
    customer (回访), due within a week of being carried out."""
    rows = _awaiting_recheck(Complaint.objects.filter(assignee_id=user.pk)).select_related("customer", "contact").order_by("carried_out_at", "pk")
    items = []
    for c in rows:
        due = timezone.localtime(c.carried_out_at + RECHECK_WITHIN).date() if c.carried_out_at else None
        who = greetings.honorific(c.contact.name, c.contact.gender) if c.contact else greetings.addressee(c.customer)
        items.append(RecheckItem(c, c.carried_out_at, due, due is not None and due < day, greetings.recheck(who, c.subject)))
    return items


def _visits(user: User, day: dt.date) -> list[PlannedVisit]:
    return list(PlannedVisit.objects.filter(rep_id=user.pk, day=day, customer__deleted_at__isnull=True).select_related("customer").order_by("stop", "pk"))


def _mark_greeted(agenda: Agenda) -> None:
    sources = [b.source for b in agenda.birthdays] + [c.source for f in agenda.festivals for c in f.customers]
    if not sources:
        return
    done = set(FollowUp.objects.filter(source__in=sources, done_at__isnull=False).values_list("source", flat=True))
    for item in agenda.birthdays:
        item.greeted = item.source in done
    for f in agenda.festivals:
        for c in f.customers:
            c.greeted = c.source in done


def team_people(user: User) -> QuerySet[User]:
    """Whose counts a manager (their team) or an administrator (everyone) sees."""
    qs = User.objects.filter(is_active=True).exclude(role=Role.ANALYST).order_by("display_name", "username")
    if user.is_admin:
        return qs
    return qs.filter(team_id=user.team_id)


def team_summary(*, user: User, day: dt.date) -> list[TeamRow]:
    """Per person: open tasks due today or overdue, customers due a regular
    follow-up, complaints awaiting a recheck and visits planned today."""
    if not sees_team(user):
        return []
    people = list(team_people(user))
    ids = [p.pk for p in people]
    rows = {p.pk: TeamRow(p) for p in people}
    tasks = (
        FollowUp.objects.filter(assignee_id__in=ids, done_at__isnull=True, due_on__lte=day, customer__deleted_at__isnull=True)
        .values("assignee_id").annotate(due=Count("id"), overdue=Count("id", filter=Q(due_on__lt=day)))
    )  # fmt: skip
    for r in tasks:
        rows[r["assignee_id"]].tasks_due, rows[r["assignee_id"]].tasks_overdue = r["due"], r["overdue"]
    customers = Customer.objects.filter(owner_id__in=ids, deleted_at__isnull=True)
    for r in _periodic_due(customers, day).values("owner_id").annotate(n=Count("id")).order_by():
        rows[r["owner_id"]].periodic_due = r["n"]
    for r in Complaint.objects.filter(assignee_id__in=ids, status=Step.CARRIED_OUT, customer__deleted_at__isnull=True).values("assignee_id").annotate(n=Count("id")).order_by():
        rows[r["assignee_id"]].rechecks = r["n"]
    for r in PlannedVisit.objects.filter(rep_id__in=ids, day=day, customer__deleted_at__isnull=True).values("rep_id").annotate(n=Count("id")).order_by():
        rows[r["rep_id"]].visits = r["n"]
    return list(rows.values())


def agenda(*, user: User, day: dt.date | None = None) -> Agenda:
    """What `user` has to do on `day` (today by default): their own tasks due
    or overdue, birthdays of their customers in the next week, festivals in the
    next two weeks with the customers to greet, customers due a regular
    follow-up, complaints awaiting a recheck, and the visits planned."""
    day = day or timezone.localdate()
    if not _active(user):
        return Agenda(day=day)
    periodic, periodic_total = _periodic(user, day)
    result = Agenda(
        day=day, tasks=_tasks(user, day), birthdays=_birthdays(user, day), festivals=_festivals(user, day),
        periodic=periodic, periodic_total=periodic_total, rechecks=_rechecks(user, day), visits=_visits(user, day),
        team=team_summary(user=user, day=day) if sees_team(user) else None,
    )  # fmt: skip
    _mark_greeted(result)
    return result


def open_count(*, user: User, day: dt.date | None = None) -> int:
    """The user's open tasks due today or earlier (the home page's card)."""
    day = day or timezone.localdate()
    if not _active(user):
        return 0
    return FollowUp.objects.filter(assignee_id=user.pk, done_at__isnull=True, due_on__lte=day, customer__deleted_at__isnull=True).count()



# --- what a "Log as interaction" of the agenda is about ------------------------------

OCCASIONS = ("task", "birthday", "festival", "periodic", "recheck")


@dataclass
class Occasion:
    customer: Customer
    subject: str
    contact: Contact | None = None
    follow_up: FollowUp | None = None
    source: str = ""


def _posted_day(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"day": [_("Enter a date such as 2026-10-01.")]}) from None


def occasion_resolve(*, user: User, data: dict[str, Any]) -> Occasion:
    """The customer, contact, task and occasion key of a greeting posted from
    the agenda, each read as `user` may see it (NotFound otherwise); the key
    is made here, never taken from the request."""
    kind = str(data.get("occasion") or "")
    if kind not in OCCASIONS:
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"occasion": [_("Unknown occasion.")]})
    if kind == "task":
        task = followup_get(user=user, pk=data.get("follow_up"))
        return Occasion(task.customer, task.title, follow_up=task)
    if kind == "recheck":
        complaint = complaint_get(user=user, pk=data.get("complaint"))
        return Occasion(complaint.customer, _("Complaint recheck: %(subject)s") % {"subject": complaint.subject}, contact=complaint.contact)
    customer = customer_get(user=user, pk=data.get("customer"))
    if kind == "periodic":
        return Occasion(customer, _("Regular follow-up"))
    day = _posted_day(data.get("day"))
    if kind == "festival":
        code = str(data.get("code") or "")
        if not any(f.code == code and f.day == day for f in lunar.festivals(day.year)):
            raise ValidationFailed(_("Please correct the fields marked below."), fields={"code": [_("No such festival on that day.")]})
        label = greetings.festival_label(code)
        return Occasion(customer, _("%(festival)s greeting") % {"festival": label}, source=festival_source(customer_id=customer.pk, code=code, day=day))
    contact = None
    person: Any = customer
    if data.get("contact"):
        ref = str(data["contact"])
        contact = Contact.objects.filter(pk=int(ref), customer_id=customer.pk, deleted_at__isnull=True).first() if ref.isdigit() else None
        if contact is None:
            raise NotFound(_("Contact not found."))
        person = contact
    if person.birthday is None or lunar.next_birthday(person.birthday, _calendar(person.birthday_calendar), day) != day:
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"day": [_("No birthday on that day.")]})
    source = birthday_source(customer_id=customer.pk, contact_id=contact.pk if contact else None, day=day)
    return Occasion(customer, _("Birthday greeting"), contact=contact, source=source)
