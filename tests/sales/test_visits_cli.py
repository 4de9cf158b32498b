"""`manyi visits plan`: a rep's or a team's week printed, made, or exported as
CSV for Excel or as iCalendar."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from icalendar import Calendar

from manyi.sales.models import PlannedVisit, SalesSettings
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep, rep2, team):
    SalesSettings.objects.create(team=team, base_latitude=30.27, base_longitude=120.15)
    mine = [CustomerFactory(name=f"拱墅客户{k}", owner=rep, grade="A", latitude=30.3 + 0.01 * k, longitude=120.1, address="莫干山路") for k in range(3)]
    theirs = [CustomerFactory(name="滨江客户", owner=rep2, grade="A", latitude=30.2, longitude=120.2)]
    return mine + theirs


def run(*args) -> str:
    out = io.StringIO()
    call_command("visits", "plan", *args, stdout=out)
    return out.getvalue()


def test_make_and_print_a_reps_week(rep, book):
    text = run("--week", "2030-W10", "--rep", "rep", "--make")
    assert "week 2030-W10" in text and "Mon 2030-03-04" in text
    for name in ("拱墅客户0", "拱墅客户1", "拱墅客户2"):
        assert name in text
    assert "滨江客户" not in text
    assert PlannedVisit.objects.filter(rep=rep).count() == 3
    assert run("--week", "2030-W10", "--rep", "rep") == text  # printing alone reads the same plan


def test_holidays_are_printed(rep, book):
    text = run("--week", "2026-W40", "--rep", "rep", "--make")
    assert text.count("statutory holiday") == 2


def test_a_team_as_csv_with_a_bom_for_excel(rep, rep2, book, tmp_path):
    target = tmp_path / "plan.csv"
    message = run("--week", "2030-W10", "--team", "华东一组", "--make", "--format", "csv", "--output", str(target))
    assert "Wrote 4 visits of 2 rep(s)" in message
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["rep"] for r in rows} == {"rep", "rep2"} and "滨江客户" in {r["customer"] for r in rows}
    assert all(r["arrival"] and r["weekday"] in ("Mon", "Tue", "Wed", "Thu", "Fri") for r in rows)


def test_ics_export(rep, book):
    data = run("--week", "2030-W10", "--rep", "rep", "--make", "--format", "ics")
    events = list(Calendar.from_ical(data).walk("VEVENT"))
    assert len(events) == 3
    assert all(e.decoded("DTSTART").date() >= dt.date(2030, 3, 4) for e in events)


@pytest.mark.parametrize("week", ["2026-49", "2026-W54", "soon"])
def test_a_bad_week_exits_with_status_2(rep, week):
    with pytest.raises(CommandError, match="is not a week") as caught:
        run("--week", week, "--rep", "rep")
    assert caught.value.returncode == 2


def test_an_unknown_rep_or_team_exits_with_status_2(db):
    for args in (("--rep", "nobody"), ("--team", "没有这个组")):
        with pytest.raises(CommandError) as caught:
            run("--week", "2026-W49", *args)
        assert caught.value.returncode == 2
