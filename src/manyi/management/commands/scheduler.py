import signal
import threading

from django.core.management.base import BaseCommand

from manyi.core.schedule import Scheduler


class Command(BaseCommand):
    help = (
        "Queue the nightly jobs (analytics refresh, loyalty) and the repeating ones (SLA sweep, mailbox poll, "
        "stalled campaigns) without running tasks: for MANYI_TASKS=rq, where `manyi rqworker --with-scheduler` "
        "runs them. `manyi worker` does both on the database queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=30.0, help="seconds between checks for due jobs (default 30)")

    def handle(self, *args, every: float, **options):
        scheduler = Scheduler(every=every)
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        scheduler.start()
        self.stdout.write(f"Queuing scheduled jobs every {every:g} s; Ctrl+C stops.")
        done.wait()
        scheduler.stop()
        scheduler.join(timeout=every + 5)
