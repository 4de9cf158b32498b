"""Visit planning pages: the week, making it, checking in, workload, planned
against done, and the calendar feed a phone subscribes to."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from manyi.interactions.models import Interaction
from manyi.sales.models import PlannedVisit, SalesSettings
from manyi.sales.selectors import visits as selectors
from manyi.sales.services import visits as services
from tests.factories import CustomerFactory

PAST_WEEK = dt.date(2026, 6, 22)  # 2026-W26, no holiday


@pytest.fixture
def book(rep, team):
    SalesSettings.objects.create(team=team, base_latitude=30.27, base_longitude=120.15)
    return [
        CustomerFactory(name=f"西湖客户{k}", owner=rep, grade=g, latitude=30.25 + 0.01 * k, longitude=120.13 + 0.01 * k, address=f"文三路{k}号")
        for k, g in enumerate("AABC")
    ] + [CustomerFactory(name="无坐标客户", owner=rep, grade="B")]


@pytest.fixture
def planned(rep, book):
    return services.visit_plan_make(by=rep, rep=rep, monday=PAST_WEEK, today=PAST_WEEK)


def plan_url(week="2026-W26", rep=None):
    url = reverse("web:visit_plan") + f"?week={week}"
    return url + (f"&rep={rep.pk}" if rep else "")


def test_the_plan_page_shows_each_days_stops(as_user, rep, planned):
    response = as_user(rep).get(plan_url())
    assert response.status_code == 200
    html = response.content.decode()
    for day in planned.days:
        for stop in day.stops:
            assert stop.customer_name in html
            assert reverse("web:visit_check_in", args=[stop.id]) in html
    assert "Customers not on the map" in html and "无坐标客户" in html
    assert "Subscribe in your calendar" in html
    assert reverse("web:customer_detail", args=[planned.days[0].stops[0].customer_id]) in html


def test_a_day_that_ends_after_six_says_so(as_user, rep, book):
    for k in range(12):
        CustomerFactory(name=f"滨江客户{k}", owner=rep, grade="A", latitude=30.2 + 0.005 * k, longitude=120.2, address=f"江南大道{k}号")
    SalesSettings.objects.filter(team=rep.team).update(visit_minutes=200)  # three or four long visits a day
    plan = services.visit_plan_make(by=rep, rep=rep, monday=PAST_WEEK, today=PAST_WEEK)
    assert any(day.late for day in plan.days)
    html = as_user(rep).get(plan_url()).content.decode()
    assert "after 18:00: lower the daily capacity" in html


def test_an_ordinary_day_shows_when_the_rep_is_back(as_user, rep, planned):
    assert not any(day.late for day in planned.days)
    html = as_user(rep).get(plan_url()).content.decode()
    assert "back about" in html and "after 18:00" not in html


def test_holidays_are_marked(as_user, rep, book):
    response = as_user(rep).get(plan_url("2026-W40"))
    assert response.status_code == 200
    assert response.content.decode().count("Statutory holiday") >= 2


def test_a_bad_week_says_so_and_shows_this_week(as_user, rep):
    response = as_user(rep).get(reverse("web:visit_plan") + "?week=2026-49")
    assert response.status_code == 200
    assert "is not a week" in response.content.decode()


def test_outsider_sees_nothing_of_the_reps_plan(as_user, rep, outsider, planned):
    client = as_user(outsider)
    assert client.get(plan_url(rep=rep)).status_code == 404
    own = client.get(plan_url()).content.decode()
    assert "西湖客户" not in own
    visit = PlannedVisit.objects.filter(rep=rep).first()
    assert client.post(reverse("web:visit_check_in", args=[visit.pk])).status_code == 404
    assert client.post(reverse("web:visit_plan_make"), {"week": "2026-W26", "rep": rep.pk}).status_code == 404
    assert "西湖客户" not in client.get(reverse("web:visit_report") + "?start=2026-06-01&end=2026-06-30").content.decode()


def test_the_manager_sees_and_the_colleague_is_refused(as_user, rep, rep2, manager, planned):
    assert "西湖客户0" in as_user(manager).get(plan_url(rep=rep)).content.decode()
    assert as_user(rep2).get(plan_url(rep=rep)).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("web:visit_plan"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_making_the_plan_from_the_page(as_user, rep, book):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    week = selectors.iso_week(monday)
    response = as_user(rep).post(reverse("web:visit_plan_make"), {"week": week, "rep": rep.pk})
    assert response.status_code == 302 and f"week={week}" in response["Location"]
    open_days = [monday + dt.timedelta(days=d) for d in range(5) if selectors.is_workday(monday + dt.timedelta(days=d))]
    assert PlannedVisit.objects.filter(rep=rep).exists() == bool(open_days)


def test_check_in_from_the_page(as_user, rep, planned):
    visit = PlannedVisit.objects.filter(rep=rep).first()
    client = as_user(rep)
    response = client.post(reverse("web:visit_check_in", args=[visit.pk]), {"note": "客户很满意", "outcome": "续约"})
    assert response.status_code == 302 and f"#visit-{visit.pk}" in response["Location"]
    visit.refresh_from_db()
    assert visit.checked_in_at is not None
    assert Interaction.objects.get(pk=visit.interaction_id).text == "客户很满意"
    again = client.post(reverse("web:visit_check_in", args=[visit.pk]), follow=True)
    assert "checked in already" in again.content.decode()
    assert "Checked in at" in client.get(plan_url()).content.decode()


def test_workload_page(as_user, rep, manager, book):
    html = as_user(rep).get(reverse("web:visit_workload") + "?month=2026-10").content.decode()
    assert "Visits needed" in html and "Working days this month" in html and "Visits per working day" in html
    assert as_user(manager).get(reverse("web:visit_workload") + f"?month=2026-10&rep={rep.pk}").status_code == 200


def test_workload_of_another_team_is_not_found(as_user, rep, outsider):
    client = as_user(outsider)
    assert client.get(reverse("web:visit_workload") + f"?rep={rep.pk}").status_code == 404
    assert client.get(reverse("web:visit_workload") + f"?team={rep.team_id}").status_code == 404


def test_report_page(as_user, rep, manager, planned):
    visit = PlannedVisit.objects.filter(rep=rep).first()
    services.visit_check_in(by=rep, visit=visit)
    html = as_user(manager).get(reverse("web:visit_report") + "?start=2026-06-22&end=2026-06-26").content.decode()
    assert rep.name in html and "Due by today" in html


# --- the calendar feed ------------------------------------------------------------------


@pytest.fixture
def around_today(rep, book):
    """Visits next to today, inside the feed's window, and one outside it."""
    today = timezone.localdate()
    rows = [
        PlannedVisit.objects.create(rep=rep, customer=book[0], day=today, stop=1, arrive_at=dt.time(9, 20), travel_km=4.2, travel_minutes=9),
        PlannedVisit.objects.create(rep=rep, customer=book[1], day=today + dt.timedelta(days=7), stop=1, arrive_at=dt.time(10, 0)),
    ]
    PlannedVisit.objects.create(rep=rep, customer=book[2], day=today + dt.timedelta(weeks=20), stop=1)
    return rows


def test_the_feed_with_a_valid_token_is_an_icalendar_of_the_visits(client, rep, around_today, book):
    token = services.calendar_feed_reset(by=rep)
    response = client.get(reverse("web:visit_feed", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    first = next(e for e in events if book[0].name in str(e["SUMMARY"]))
    start = first.decoded("DTSTART")
    assert start.tzinfo is not None and str(start.tzinfo) == "Asia/Shanghai"
    assert (start.hour, start.minute) == (9, 20)
    assert first.decoded("DTEND") - start == dt.timedelta(minutes=40)
    assert "文三路0号" in str(first["LOCATION"])
    assert first["GEO"].latitude == pytest.approx(book[0].latitude)
    assert str(first["UID"]) == f"visit-{rep.pk}-{book[0].pk}-{around_today[0].day:%Y%m%d}@manyi"
    assert cal.walk("VTIMEZONE")


def test_a_bad_token_is_not_found(client, rep):
    services.calendar_feed_reset(by=rep)
    assert client.get(reverse("web:visit_feed", args=["not-a-token"])).status_code == 404


def test_resetting_the_address_invalidates_the_old_one(as_user, rep, around_today):
    old = services.calendar_feed_reset(by=rep)
    client = as_user(rep)
    response = client.post(reverse("web:visit_feed_reset"), follow=True)
    html = response.content.decode()
    new = re.search(r"/visits/feed/([A-Za-z0-9_-]+)\.ics", html).group(1)
    assert new != old
    client.logout()
    assert client.get(reverse("web:visit_feed", args=[old])).status_code == 404
    assert client.get(reverse("web:visit_feed", args=[new])).status_code == 200
