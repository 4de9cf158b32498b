from django_tasks_db.management.commands import db_worker

from manyi.core.schedule import Scheduler


class Command(db_worker.Command):
    help = "Run background work: queued tasks, the nightly jobs at MANYI_NIGHTLY_AT (analytics refresh, loyalty) and the repeating ones (SLA sweep, mailbox poll, stalled campaigns)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-schedule", action="store_false", dest="schedule", help="only run queued tasks; queue no nightly jobs")
        parser.add_argument("--schedule-every", type=float, default=30.0, help="seconds between checks for due nightly jobs (default 30)")

    def handle(self, *args, schedule: bool, schedule_every: float, **options):
        scheduler = Scheduler(every=schedule_every) if schedule else None
        if scheduler:
            if options.get("batch"):
                # A batch run checks once, then works through the queue.
                from manyi.core.schedule import tick

                tick()
            else:
                scheduler.start()
        try:
            super().handle(*args, **options)
        finally:
            if scheduler and scheduler.is_alive():
                scheduler.stop()
