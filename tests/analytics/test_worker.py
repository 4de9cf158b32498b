"""The nightly refresh runs in a real worker (`manyi worker`, django-tasks'
database backend): queued once a day however many workers run, and the CLI
prints the refresh stage by stage."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django_tasks_db.models import DBTaskResult

from manyi.core import schedule
from manyi.core.models import ScheduledRun

MANYI = str(Path(sys.executable).with_name("manyi"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MANYI_DATABASE_URL"}
    return {**env, "MANYI_DATA_DIR": str(data_dir), **extra}


def _run(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([MANYI, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)


@pytest.mark.django_db
def test_a_nightly_job_is_queued_once_a_day_after_its_time(settings):
    settings.MANYI_NIGHTLY_AT = "02:30"
    night = dt.datetime(2026, 11, 27, 2, 29, tzinfo=SHANGHAI)
    assert schedule.tick(night) == []
    nightly = ["analytics.nightly_refresh", "loyalty.daily"]
    assert schedule.tick(night + dt.timedelta(minutes=1)) == nightly
    assert schedule.tick(night + dt.timedelta(hours=5)) == []
    assert schedule.tick(night + dt.timedelta(days=1, minutes=1)) == nightly
    runs = list(ScheduledRun.objects.filter(name="analytics.nightly_refresh").order_by("day").values_list("day", flat=True))
    assert runs == [dt.date(2026, 11, 27), dt.date(2026, 11, 28)]
    tasks = DBTaskResult.objects.filter(task_path="manyi.analytics.tasks.refresh_analytics")
    assert tasks.count() == 2
    assert set(ScheduledRun.objects.filter(name="analytics.nightly_refresh").values_list("task_id", flat=True)) == {str(t.id) for t in tasks}


@pytest.mark.django_db
def test_a_bad_time_of_day_is_refused_with_its_value(settings):
    settings.MANYI_NIGHTLY_AT = "half past two"
    with pytest.raises(ValueError, match="half past two"):
        schedule.tick()


@pytest.mark.own_database
def test_two_workers_run_the_nightly_refresh_exactly_once(tmp_path):
    """Two real worker processes start together on one database after the
    nightly time: one queues the nightly jobs, the refresh runs once."""
    env = _env(tmp_path, MANYI_NIGHTLY_AT="00:00")
    migrated = _run("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    workers = [
        subprocess.Popen(
            [MANYI, "worker", "--batch", "--no-startup-delay", "--interval", "0.2", "--worker-id", f"w{i}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=240)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    with sqlite3.connect(tmp_path / "manyi.sqlite3") as db:
        scheduled = db.execute("SELECT name FROM core_scheduledrun ORDER BY name").fetchall()
        tasks = db.execute(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path = 'manyi.analytics.tasks.refresh_analytics'"
        ).fetchall()
        runs = db.execute("SELECT status, trigger, parameters FROM analytics_analyticsrun").fetchall()
    assert scheduled == [("analytics.nightly_refresh",), ("loyalty.daily",)]
    assert len(tasks) == 1 and tasks[0][0] == "SUCCESSFUL", (tasks, outputs)
    assert len(runs) == 1 and runs[0][:2] == ("done", "nightly"), runs
    # An empty database: nothing to fit yet, and the run says why.
    assert "repeat purchase" in runs[0][2]


@pytest.mark.own_database
def test_the_refresh_command_prints_its_stages(tmp_path):
    env = _env(tmp_path)
    assert _run("migrate", "--no-input", env=env).returncode == 0
    result = _run("analytics", "refresh", "--as-of", "2026-11-01", env=env)
    assert result.returncode == 0, result.stderr
    assert "Refreshed 0 customers from 0 orders as of 2026-11-01" in result.stdout
    for stage in ("read", "fit", "suggest", "write"):
        assert f"  {stage}" in result.stdout
    bad = _run("analytics", "refresh", "--as-of", "2026/11/01", env=env)
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr


@pytest.mark.own_database
def test_the_scheduler_alone_queues_the_jobs_and_stops_on_a_signal(tmp_path):
    """`manyi scheduler` (for RQ deployments) queues the nightly and repeating
    jobs without running them, and stops cleanly on SIGTERM."""
    env = _env(tmp_path, MANYI_NIGHTLY_AT="00:00")
    assert _run("migrate", "--no-input", env=env).returncode == 0
    process = subprocess.Popen([MANYI, "scheduler", "--every", "0.2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        queued: list[tuple[str, str]] = []
        while len(queued) < 3 and time.monotonic() < deadline:
            time.sleep(0.3)
            with sqlite3.connect(tmp_path / "manyi.sqlite3") as db:
                queued = db.execute("SELECT task_path, status FROM django_tasks_database_dbtaskresult").fetchall()
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    paths = {path for path, _status in queued}
    assert {"manyi.analytics.tasks.refresh_analytics", "manyi.loyalty.tasks.loyalty_daily", "manyi.service.tasks.sla_sweep"} <= paths, (queued, output)
    assert {status for _path, status in queued} == {"READY"}
