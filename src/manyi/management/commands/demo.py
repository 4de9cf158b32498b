from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from manyi.accounts.models import User
from manyi.customers.models import Customer
from manyi.demo.loader import DEMO_PASSWORD, demo_load, demo_users_exist
from manyi.management.commands.serve import run_server

STEP_LABELS = {"customers": "客户 customers", "interactions": "互动 interactions", "orders": "订单 orders"}


class Command(BaseCommand):
    help = "Try Manyi: create the database, load demo data (once) and serve it on http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--data-dir", help="where the SQLite database lives (default: MANYI_DATA_DIR or ~/.manyi)")
        parser.add_argument("--no-serve", action="store_true", help="prepare the database and data, then exit")

    def handle(self, *args, host: str, port: int, data_dir: str | None, no_serve: bool, **options):
        # `manyi` sets MANYI_DATA_DIR from --data-dir before the settings load (see cli.py).
        if data_dir and Path(data_dir).expanduser().resolve() != Path(settings.DATA_DIR).resolve():
            raise CommandError("--data-dir must be given on the `manyi demo` command line, before Django starts.")
        self.stdout.ending = ""  # rich writes whole lines itself
        console = Console(file=self.stdout, highlight=False)
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        console.print(f"Database: {self._database_label()}")
        call_command("migrate", interactive=False, verbosity=0)
        if not Customer.objects.exists():
            summary = self._load(console)
            console.print(
                f"Loaded {summary.customers} customers, {summary.contacts} contacts, "
                f"{summary.interactions} interactions, {summary.orders} orders, {summary.complaints} complaints, "
                f"{summary.deals} deals, {summary.quotes} quotes, {summary.visits} planned visits, "
                f"{summary.members} loyalty members, {summary.survey_answers} survey answers, "
                f"{summary.follow_ups} follow-up tasks and {summary.campaigns} campaigns in {summary.seconds:.1f} s."
            )
        elif not demo_users_exist():
            console.print("This database already has customers; the demo data was not loaded.")
        self._print_logins(console, host, port)
        if no_serve:
            return
        console.print("Press Ctrl+C to stop.")
        self.stdout.flush()
        run_server(host=host, port=port, workers=2, access_log=False)

    def _database_label(self) -> str:
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            return str(db["NAME"])
        return f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or 'localhost'}/{db['NAME']}"

    def _load(self, console: Console):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            tasks: dict[str, int] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(STEP_LABELS[step], total=total)
                bar.update(tasks[step], completed=done)

            return demo_load(progress=progress)

    def _print_logins(self, console: Console, host: str, port: int) -> None:
        users = list(User.objects.filter(is_demo=True, is_active=True).select_related("team").order_by("id"))
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        console.print(f"\nManyi demo: [bold]http://{shown_host}:{port}[/bold]")
        if not users:
            return
        table = Table(title=f"Demo logins — password for all: {DEMO_PASSWORD}", title_justify="left")
        for column in ("username", "name", "role", "team"):
            table.add_column(column)
        for user in users:
            table.add_row(
                user.username, user.display_name, f"{user.get_role_display()} ({user.role})", user.team.name if user.team else "—"
            )
        console.print(table)
