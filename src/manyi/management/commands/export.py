from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Export the customers a user may see (CSV in UTF-8 with BOM, or XLSX), optionally filtered; sensitive fields are left out."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["customers"], help="what to export")
        parser.add_argument("--as", dest="username", required=True, help="the user whose view of the customers is exported")
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], help="the file's format (default: from --out's suffix, else csv)")
        parser.add_argument("--out", help="the file to write (default: 客户-<today>.<format> in this folder)")
        parser.add_argument("--q", default="", help="only customers matching this search (name, pinyin, phone, e-mail or tag)")
        parser.add_argument("--tag", default="", help="only customers with this tag")
        parser.add_argument("--owner", help="only customers owned by this user (username)")

    def handle(self, *args, username, fmt, out, q, tag, owner, **options):
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from manyi.customers.selectors import CustomerFilters
        from manyi.transfer.export import FORMATS, export_customers, export_filename

        user = self._user(username, "--as")
        fmt = fmt or (Path(out).suffix.lower().lstrip(".") if out else "") or "csv"
        if fmt not in FORMATS:
            raise CommandError(f"Cannot tell the format from {out!r}: add --format csv or --format xlsx.")
        filters = CustomerFilters(q=q.strip(), tag=tag.strip(), owner=self._user(owner, "--owner").pk if owner else None)
        path = Path(out or export_filename(fmt))
        self.stdout.ending = ""  # rich writes whole lines itself
        console = Console(file=self.stdout, highlight=False)
        try:
            with path.open("wb") as file, Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                                                   transient=True) as bar:  # fmt: skip
                task = bar.add_task("0 customers")
                count = export_customers(
                    user=user, filters=filters, fmt=fmt, out=file, progress=lambda n: bar.update(task, description=f"{n:,} customers")
                )
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from None
        console.print(f"Wrote {count:,} {'customer' if count == 1 else 'customers'} to {path}.")

    def _user(self, name: str, option: str):
        from manyi.accounts.models import User

        user = User.objects.filter(username=name, is_active=True).first()
        if user is None:
            raise CommandError(f"{option}: no active user {name!r}.")
        return user
