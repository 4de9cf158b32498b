import gc
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication


class ManyiServer(BaseApplication):
    """Gunicorn run from Python: no config file, no command line of its own.
    Static files are served by WhiteNoise from the package (no collectstatic)."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from manyi.wsgi import application

        warm_up()
        # Everything built so far lives as long as the process: frozen, the
        # garbage collector stops walking it on every full collection, and
        # forked workers share its memory pages instead of copying them.
        gc.collect()
        gc.freeze()
        return application


def warm_up() -> None:
    """Build before forking what each worker would otherwise build on its
    first requests, so that it is frozen with the rest: the URL routes with
    every view and API schema they import (~200,000 objects and a second),
    Manyi's templates, each language's catalog and the emotion model.
    Unfrozen, they made each of a worker's full garbage collections a ~70 ms
    pause (bench/)."""
    from django.template.loader import get_template
    from django.urls import reverse
    from django.utils import translation

    import manyi.web
    from manyi.emotion.engine import Engine

    reverse("web:home")  # imports the URL routes, and with them the views
    templates = Path(manyi.web.__file__).parent / "templates"
    for path in sorted(templates.rglob("*.html")):
        get_template(path.relative_to(templates).as_posix())
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Customers")
    # The emotion model (0.4 s and ~150 MB): loaded once here, its pages are
    # shared by the workers, not loaded again by each on its first inbound message.
    Engine.default()


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def run_server(*, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve until SIGINT or SIGTERM. Workers are forked, so the parent's
    database connections are closed first and each worker opens its own."""
    connections.close_all()
    ManyiServer(
        {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            # One request at a time per worker, taken from the kernel's
            # accept queue by whichever worker is free: requests wait in one
            # line rather than behind a busy worker's other connections
            # (measured in bench/: p95 falls by a third at the same
            # throughput). Behind an internet-facing proxy, as gunicorn advises.
            "worker_class": "sync",
            "timeout": 60,
            "graceful_timeout": 20,
            # Django is imported once in the parent and forked: a worker that
            # is recycled (against slow leaks) starts in milliseconds.
            "preload_app": True,
            "max_requests": 20000,
            "max_requests_jitter": 2000,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "info" if access_log else "warning",
            "proc_name": "manyi",
        }
    ).run()


def check_migrated() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError("The database is not up to date: run `manyi migrate` first.")


class Command(BaseCommand):
    help = "Serve Manyi in production with gunicorn (sync workers, static files by WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=default_workers(), help="worker processes (default 2 × cores + 1)")

    def handle(self, *args, host: str, port: int, workers: int, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        check_migrated()
        self.stdout.write(f"Manyi is serving on http://{host}:{port} with {workers} workers. Press Ctrl+C to stop.")
        self.stdout.flush()
        run_server(host=host, port=port, workers=workers, access_log=True)
