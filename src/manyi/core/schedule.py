"""Periodic jobs, queued by every running worker (`manyi worker`): each job at
its local time of day, once a day across all workers (core.ScheduledRun)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
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


JOBS = (Job("analytics.nightly_refresh", lambda: settings.MANYI_NIGHTLY_AT, "manyi.analytics.tasks.refresh_analytics"),)


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

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                for name in tick():
                    logger.info("Queued %s", name)
            except Exception:
                logger.exception("The scheduler could not queue its jobs")
            finally:
                close_old_connections()
            self.stopped.wait(self.every)

    def stop(self) -> None:
        self.stopped.set()
