"""A rep's planned visits as an iCalendar (RFC 5545) feed that phone and
desktop calendars subscribe to.

Each PlannedVisit is a VEVENT in Asia/Shanghai time, from its planned arrival
for the team's visit length. Its UID is made of the visit's natural key (rep,
customer, day), so an event keeps its identity when the week is planned again
and the customer stays on their weekday: calendars update it in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from manyi.sales.config import DAY_START
from manyi.sales.models import PlannedVisit

ZONE = ZoneInfo("Asia/Shanghai")
PRODID = "-//Manyi CRM//Visit plan//ZH"


def uid_of(visit: PlannedVisit) -> str:
    """Stable per planned visit: one rep sees one customer once a day (the model's constraint)."""
    return f"visit-{visit.rep_id}-{visit.customer_id}-{visit.day:%Y%m%d}@manyi"


def address_of(customer) -> str:
    """Province, city and street as Chinese addresses are written (largest first)."""
    parts = [customer.province, customer.city, customer.address]
    seen: list[str] = []
    for part in parts:
        part = (part or "").strip()
        if part and not any(part in s for s in seen):
            seen.append(part)
    return "".join(seen)


def summary_of(visit: PlannedVisit) -> str:
    return _("Visit %(customer)s") % {"customer": visit.customer.name}


def description_of(visit: PlannedVisit) -> str:
    lines = [_("Stop %(stop)d, grade %(grade)s") % {"stop": visit.stop, "grade": visit.customer.grade}]
    if visit.travel_km is not None:
        lines.append(_("%(km)s km, %(minutes)s min from the previous stop") % {"km": visit.travel_km, "minutes": visit.travel_minutes or 0})
    if visit.checked_in_at is not None:
        lines.append(_("Checked in"))
    return "\n".join(lines)


def visits_calendar(
    visits: Iterable[PlannedVisit],
    *,
    name: str,
    visit_minutes: int | Callable[[PlannedVisit], int],
    url: Callable[[PlannedVisit], str] | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The calendar of `visits` (each with its customer loaded), named `name`,
    its texts in the active language. `visit_minutes` is a visit's length (or
    a function of the visit, for several teams); `url` links an event to the
    customer's page; `stamp` is DTSTAMP, the time the feed is made."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(ZONE))
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    for visit in visits:
        start = dt.datetime.combine(visit.day, visit.arrive_at or DAY_START, tzinfo=ZONE)
        event = Event()
        event.add("uid", uid_of(visit))
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        length = visit_minutes(visit) if callable(visit_minutes) else visit_minutes
        event.add("dtend", start + dt.timedelta(minutes=length))
        event.add("summary", summary_of(visit))
        customer = visit.customer
        where = address_of(customer)
        if where:
            event.add("location", where)
        if customer.latitude is not None and customer.longitude is not None:
            event.add("geo", (customer.latitude, customer.longitude))
        event.add("description", description_of(visit))
        if url is not None:
            event.add("url", url(visit))
        if visit.updated_at:
            event.add("last-modified", visit.updated_at.astimezone(dt.UTC))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
