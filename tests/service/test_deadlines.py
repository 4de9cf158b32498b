"""SLA clocks of real complaints: deadlines chosen from the policy when filed,
stored (a page view never recomputes them), moved only by pauses; warnings
and breaches sent once each, also by two real workers at the same time."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from manyi.service import deadlines, services
from manyi.service.models import (
    Complaint,
    ComplaintEvent,
    EventKind,
    Notification,
    SlaPolicy,
    TeamHours,
)
from tests.service.helpers import file_complaint

SHANGHAI = ZoneInfo("Asia/Shanghai")
MANYI = str(Path(sys.executable).with_name("manyi"))


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    """The services' and the ORM's "now", set by the test."""

    class Clock:
        now = timezone.now()

        def set(self, moment: dt.datetime) -> None:
            self.now = moment

    fake = Clock()
    monkeypatch.setattr(timezone, "now", lambda: fake.now)
    return fake


@pytest.fixture
def business_policy(team):
    TeamHours.objects.create(team=team, time_zone="Asia/Shanghai", day_start="09:00", day_end="18:00", holidays="cn")
    return SlaPolicy.objects.create(name="工作时间", team=team, mode="business", first_response_minutes=24 * 60, resolution_minutes=45 * 60)


def test_filed_the_evening_before_national_day(customer, rep, business_policy, clock):
    """20:00 on 30 September 2026: 1–7 October are holidays, so the 24
    working hours are 8 Oct (9 h) + 9 Oct (9 h) + the make-up Saturday 10 Oct
    (6 h: 09:00–15:00)."""
    clock.set(at(2026, 9, 30, 20, 0))
    complaint = file_complaint(customer, by=rep)
    assert complaint.sla_policy == business_policy and complaint.sla["mode"] == "business"
    assert complaint.response_due == at(2026, 10, 10, 15, 0)
    # 45 working hours: 8, 9, 10 (Sat, make-up), 12, 13 October at 9 h each; 11 October is a Sunday
    assert complaint.resolution_due == at(2026, 10, 13, 18, 0)


def test_calendar_hours_ignore_the_holiday(customer, rep, clock):
    clock.set(at(2026, 9, 30, 20, 0))
    complaint = file_complaint(customer, by=rep)
    assert complaint.response_due == at(2026, 10, 1, 20, 0)


def test_a_make_up_saturday_counts_and_an_ordinary_one_does_not(customer, rep, team, business_policy, clock):
    business_policy.first_response_minutes = 120
    business_policy.save()
    clock.set(at(2026, 10, 9, 17, 0))  # Friday: one hour left today, one on the make-up Saturday
    assert file_complaint(customer, by=rep).response_due == at(2026, 10, 10, 10, 0)
    clock.set(at(2026, 10, 16, 17, 0))  # the next Friday: Saturday and Sunday are off
    assert file_complaint(customer, by=rep).response_due == at(2026, 10, 19, 10, 0)


def test_deadlines_are_stored_not_recomputed_on_each_view(customer, rep, business_policy, clock):
    clock.set(at(2026, 9, 30, 20, 0))
    complaint = file_complaint(customer, by=rep)
    due = complaint.response_due
    # the team's hours change afterwards: the stored deadline and the snapshot stay
    TeamHours.objects.filter(team=business_policy.team).update(day_end="17:00", holidays="weekends")
    clock.set(at(2026, 10, 5, 12, 0))
    state = deadlines.clock_state(Complaint.objects.get(pk=complaint.pk))
    assert state["response_due"] == due == Complaint.objects.get(pk=complaint.pk).response_due
    # 8 Oct 09:00 to 10 Oct 15:00 is 24 working hours left on the stored calendar
    assert state["response_remaining"] == 24 * 3600


def test_pauses_move_the_resolution_deadline(customer, rep, business_policy, clock):
    clock.set(at(2026, 11, 2, 9, 0))  # Monday
    complaint = file_complaint(customer, by=rep)
    first_due = complaint.resolution_due
    assert first_due == at(2026, 11, 6, 18, 0)  # 45 h = Monday–Friday
    clock.set(at(2026, 11, 3, 10, 0))
    services.complaint_pause(complaint=complaint, by=rep, reason="等客户寄回旧滤芯")
    complaint.refresh_from_db()
    assert complaint.resolution_due is None and deadlines.clock_state(complaint)["paused"]
    clock.set(at(2026, 11, 3, 16, 0))  # six working hours later the customer answers
    services.complaint_message(complaint=complaint, text="旧滤芯已经寄出，单号SF123。")
    complaint.refresh_from_db()
    assert complaint.paused_at is None
    assert complaint.resolution_due == at(2026, 11, 9, 15, 0)  # Friday 18:00 + 6 working hours → Monday 15:00
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.PAUSED) == kinds.count(EventKind.RESUMED) == 1


def test_a_policy_change_applies_to_complaints_filed_afterwards(customer, rep, team, clock):
    policy = SlaPolicy.objects.create(name="标准", team=team, first_response_minutes=24 * 60, resolution_minutes=72 * 60)
    clock.set(at(2026, 11, 2, 9, 0))
    running = file_complaint(customer, by=rep)
    assert running.response_due == at(2026, 11, 3, 9, 0)
    policy.first_response_minutes = 4 * 60
    policy.resolution_minutes = 8 * 60
    policy.save()
    clock.set(at(2026, 11, 2, 10, 0))
    services.complaint_pause(complaint=running, by=rep, reason="等客户回电")
    clock.set(at(2026, 11, 2, 11, 0))
    services.complaint_resume(complaint=running, by=rep)
    running.refresh_from_db()
    # the running clock keeps its 24 h / 72 h, only moved by the hour's pause
    assert running.response_due == at(2026, 11, 3, 9, 0)
    assert running.resolution_due == at(2026, 11, 5, 10, 0)
    later = file_complaint(customer, by=rep)
    assert later.response_due == at(2026, 11, 2, 15, 0) and later.resolution_due == at(2026, 11, 2, 19, 0)


def test_the_most_specific_policy_wins(team):
    SlaPolicy.objects.create(name="全局", first_response_minutes=600)
    SlaPolicy.objects.create(name="团队", team=team, first_response_minutes=300)
    SlaPolicy.objects.create(name="团队严重", team=team, severity="critical", first_response_minutes=60)
    SlaPolicy.objects.create(name="停用", team=team, severity="critical", channel="web", first_response_minutes=1, is_active=False)
    assert deadlines.policy_for(team_id=team.pk, severity="critical", channel="web").name == "团队严重"
    assert deadlines.policy_for(team_id=team.pk, severity="normal", channel="web").name == "团队"
    assert deadlines.policy_for(team_id=None, severity="normal", channel="web").name == "全局"


def test_the_sweep_warns_then_escalates_once_each(customer, rep, manager, clock):
    clock.set(at(2026, 11, 2, 9, 0))
    complaint = file_complaint(customer, by=rep)  # first response due 3 Nov 09:00, warned 2 h before
    clock.set(at(2026, 11, 3, 6, 0))
    assert deadlines.sla_sweep()["warnings"] == 0
    clock.set(at(2026, 11, 3, 7, 30))
    assert deadlines.sla_sweep()["warnings"] == 1
    assert deadlines.sla_sweep()["warnings"] == 0
    clock.set(at(2026, 11, 3, 9, 1))
    assert deadlines.sla_sweep()["breaches"] == 1
    assert deadlines.sla_sweep()["breaches"] == 0
    assert Notification.objects.filter(user=rep, kind="warning").count() == 1
    with translation.override("en"):
        breach = Notification.objects.get(user=manager, kind="breach")
    assert complaint.number in breach.text
    complaint.refresh_from_db()
    assert complaint.escalated and complaint.response_breached_at == at(2026, 11, 3, 9, 1)
    assert ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.SLA_BREACH).count() == 1


def test_a_reply_in_time_stops_the_response_clock(customer, rep, clock):
    clock.set(at(2026, 11, 2, 9, 0))
    complaint = file_complaint(customer, by=rep)
    clock.set(at(2026, 11, 2, 10, 0))
    services.complaint_reply(complaint=complaint, by=rep, text="非常抱歉给您添麻烦了，我们今天下午安排师傅上门。")
    clock.set(at(2026, 11, 3, 12, 0))
    assert deadlines.sla_sweep()["breaches"] == 0
    state = deadlines.clock_state(Complaint.objects.get(pk=complaint.pk))
    assert state["response_met"] and not state["response_breached"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MANYI_DATABASE_URL"}
    return {**env, "MANYI_DATA_DIR": str(data_dir)}


def _manyi(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([MANYI, *args], env=env, capture_output=True, text=True, timeout=240, check=False, stdin=subprocess.DEVNULL)


SETUP = """
import datetime as dt
from manyi.accounts.models import Team, User
from manyi.customers.models import Customer
from manyi.service import services
from manyi.service.tasks import sla_sweep
team = Team.objects.create(name="T")
rep = User.objects.create_user("rep", password="x-pass-2026-long", role="sales", team=team)
User.objects.create_user("boss", password="x-pass-2026-long", role="manager", team=team)
customer = Customer.objects.create(name="客户", owner=rep, team=team)
now = dt.datetime.now(dt.timezone.utc)
for hours_ago in (25, 23):  # one breached, one inside the two-hour warning
    services.complaint_create(by=rep, filing=services.Filing(customer=customer, channel="phone", subject="漏水",
        description="漏水了", received_at=now - dt.timedelta(hours=hours_ago)))
for _ in range(4):
    sla_sweep.enqueue()
"""


@pytest.mark.own_database
def test_two_workers_send_each_warning_and_breach_exactly_once(tmp_path):
    """Four sweeps queued, two real worker processes taking them at once: the
    breach goes to the manager once, the warning to the rep once."""
    env = _env(tmp_path)
    migrated = _manyi("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    made = _manyi("shell", "-c", SETUP, env=env)
    assert made.returncode == 0, made.stderr
    workers = [
        subprocess.Popen(
            [MANYI, "worker", "--batch", "--no-schedule", "--no-startup-delay", "--interval", "0.1", "--worker-id", f"w{i}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=240)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    with sqlite3.connect(tmp_path / "manyi.sqlite3") as db:
        tasks = db.execute("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult").fetchall()
        notes = db.execute("SELECT u.username, n.kind FROM service_notification n JOIN accounts_user u ON u.id = n.user_id WHERE n.kind IN ('warning', 'breach') ORDER BY 1, 2").fetchall()
        events = db.execute("SELECT kind, COUNT(*) FROM service_complaintevent WHERE kind LIKE 'sla_%' GROUP BY kind ORDER BY kind").fetchall()
    assert [status for status, _w in tasks] == ["SUCCESSFUL"] * 4, (tasks, outputs)
    # the breached one is past its warning: the rep is warned of the other,
    # the manager told of the breach
    assert notes == [("boss", "breach"), ("rep", "warning")], notes
    assert events == [("sla_breach", 1), ("sla_warning", 1)], events


def test_a_closed_complaint_keeps_its_deadline(customer, rep, manager, clock):
    from tests.service.helpers import close_properly

    clock.set(at(2026, 11, 2, 9, 0))
    complaint = close_properly(file_complaint(customer, by=rep), by=rep, recipient=manager)
    due = complaint.resolution_due
    assert due == at(2026, 11, 5, 9, 0)
    deadlines.set_deadlines(complaint)
    assert complaint.resolution_due == due
    assert deadlines.clock_state(complaint)["resolution_remaining"] > 0
