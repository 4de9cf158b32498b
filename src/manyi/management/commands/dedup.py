from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError

from manyi.core.errors import ApplicationError

REASONS = {
    "credit_code": "credit code",
    "mobile": "mobile",
    "email": "e-mail",
    "phone": "landline",
    "name": "name",
    "pinyin": "name sounds alike",
    "address": "address",
    "other_city": "but another city",
}


def _score(value: str) -> float:
    try:
        score = float(value)
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 1.0:
        raise CommandError(f"--min-score wants a number from 0 to 1, not {value!r}.")
    return score


class Command(BaseCommand):
    requires_system_checks: ClassVar[list[str]] = []  # no pages served: skip loading every view (3 s)
    help = "Look for likely duplicate customers and list the likeliest pairs."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", help="list only the pairs this user sees (default: every pair)")
        parser.add_argument("--min-score", type=_score, default=0.6, help="list pairs from this score up (0 to 1, default 0.6)")
        parser.add_argument("--limit", type=int, default=50, help="list at most this many pairs (default 50)")

    def handle(self, *args, username: str | None, min_score: float, limit: int, **options):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from manyi.accounts.models import User
        from manyi.customers.dedup_selectors import duplicate_pairs
        from manyi.customers.merge import duplicates_scan
        from manyi.customers.models import DuplicatePair, PairStatus

        user = None
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username!r}.")
        self.stdout.ending = ""  # rich writes whole lines itself
        console = Console(file=self.stdout, highlight=False, width=120)
        columns = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("keys", total=None)
                found = duplicates_scan(progress=lambda stage, done, total: bar.update(task, description=stage, completed=done, total=total))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        pairs = duplicate_pairs(user=user) if user else DuplicatePair.objects.filter(status=PairStatus.OPEN).order_by("-score", "id")
        pairs = pairs.filter(score__gte=min_score)
        count = pairs.count()
        for pair in pairs.select_related("customer_a", "customer_b")[: max(limit, 0)]:
            reasons = ", ".join(REASONS.get(code, code) for code in pair.reasons)
            a, b = pair.customer_a, pair.customer_b
            console.print(f"{pair.score:>4.0%}  #{a.pk} {a.name}  ~  #{b.pk} {b.name}  ({reasons})", markup=False)
        shown = f"{count:,} pair{'' if count == 1 else 's'} from {min_score:.0%} up"
        console.print(f"{found:,} open pairs of likely duplicates; {shown}{' seen by ' + username if username else ''}.", markup=False)
