"""Periodic jobs, queued by every running worker (`manyi worker`): each job at
its local time of day, once a day across all workers (core.ScheduledRun)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    at: Callable[[], str]  # "HH:MM", read when the job is checked so settings can change
    task: str  # dotted path of a django-tasks Task


JOBS = (
    Job("analytics.nightly_refresh", lambda: settings.MANYI_NIGHTLY_AT, "manyi.analytics.tasks.refresh_analytics"),
    # Points that lapsed, tiers as earnings age out, today's birthday points.
    Job("loyalty.daily", lambda: settings.MANYI_NIGHTLY_AT, "manyi.loyalty.tasks.loyalty_daily"),
)


@dataclass(frozen=True)
class Repeat:
    """A job queued every `every()` seconds by each running worker's scheduler:
    its task must be safe to run twice at once (the SLA sweep claims each
    warning; the mailbox poll files each mail once)."""

    name: str
    every: Callable[[], float]
    task: str


REPEATS = (
    Repeat("service.sla_sweep", lambda: settings.MANYI_SLA_SWEEP_SECONDS, "manyi.service.tasks.sla_sweep"),
    Repeat("campaigns.revive", lambda: settings.MANYI_CAMPAIGN_SWEEP_SECONDS, "manyi.campaigns.tasks.campaigns_revive"),
    Repeat("service.poll_mailbox", lambda: settings.MANYI_SLA_SWEEP_SECONDS if settings.MANYI_COMPLAINT_MAILBOX else 0, "manyi.service.tasks.poll_mailbox"),
)


def tick_repeats(last: dict[str, float], now: float, repeats: tuple[Repeat, ...] = REPEATS) -> list[str]:
    """Queue the repeating jobs whose interval has passed since this scheduler
    last queued them (an interval of 0 turns a job off); returns their names."""
    queued = []
    for job in repeats:
        every = job.every()
        if every <= 0 or now - last.get(job.name, float("-inf")) < every:
            continue
        import_string(job.task).enqueue()
        last[job.name] = now
        queued.append(job.name)
    return queued


def _time_of_day(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"A job's time of day is HH:MM, not {text!r}") from None


def tick(now: dt.datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> list[str]:
    """Queue the jobs that are due today and not queued yet; returns their names."""
    local = timezone.localtime(now or timezone.now())
    queued = []
    for job in jobs:
        if local.time() < _time_of_day(job.at()):
            continue
        try:
            with transaction.atomic():
                from manyi.core.models import ScheduledRun

                run = ScheduledRun.objects.create(name=job.name, day=local.date())
                result = import_string(job.task).enqueue()
                ScheduledRun.objects.filter(pk=run.pk).update(task_id=str(result.id))
        except IntegrityError:
            continue  # another worker queued it
        queued.append(job.name)
    return queued


class Scheduler(threading.Thread):
    """Calls tick() every `every` seconds until stopped."""

    def __init__(self, every: float = 30.0):
        super().__init__(name="manyi-scheduler", daemon=True)
        self.every = every
        self.stopped = threading.Event()
        self.last_repeats: dict[str, float] = {}

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                for name in tick():
                    logger.info("Queued %s", name)
                tick_repeats(self.last_repeats, time.monotonic())
            except Exception:
                logger.exception("The scheduler could not queue its jobs")
            finally:
                close_old_connections()
            self.stopped.wait(self.every)

    def stop(self) -> None:
        self.stopped.set()
