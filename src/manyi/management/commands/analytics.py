import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from manyi.core.errors import ApplicationError


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of wants a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Recompute customer value (RFM, lifetime value, churn risk, grades, suggestions), or apply the proposed grades."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{refresh,apply-grades}")
        refresh = sub.add_parser("refresh", help="recompute every customer's figures from the orders")
        refresh.add_argument("--as-of", help="compute as of this day (YYYY-MM-DD, default today)")
        grades = sub.add_parser("apply-grades", help="give customers the grade and importance the last refresh proposed")
        grades.add_argument("--as", dest="username", required=True, help="the manager or administrator applying them (recorded in history)")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _refresh(self, *, as_of: str | None, **options):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from manyi.analytics.services import analytics_refresh

        day = _day(as_of) if as_of else None
        self.stdout.ending = ""  # rich writes whole lines itself
        console = Console(file=self.stdout, highlight=False)
        columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("read", total=None)
            run = analytics_refresh(as_of=day, progress=lambda stage, done, total: bar.update(task, description=stage, completed=done, total=total))
        seconds = sum(s["seconds"] for s in run.stages)
        console.print(f"Refreshed {run.customers:,} customers from {run.orders:,} orders as of {run.as_of} in {seconds:.1f} s.")
        for stage in run.stages:
            console.print(f"  {stage['stage']:<10} {stage['seconds']:>8.2f} s")
        for model, values in run.parameters.items():
            if isinstance(values, dict):
                shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
                console.print(f"  {model}: {shown}")

    def _apply_grades(self, *, username: str, **options):
        from manyi.accounts.models import User
        from manyi.analytics.services import grades_apply

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        changed = grades_apply(by=user)
        self.stdout.write(f"{changed:,} customers took their proposed grade and importance.")
