# noqa: N999 (the command is `manyi import`; Django names commands after their module)
import json
import time
from pathlib import Path
from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError

from manyi.core.errors import ApplicationError
from manyi.transfer.models import ImportKind, OnDuplicate


class Command(BaseCommand):
    # The system checks import every URL module and view (3 s); an import
    # run does not serve pages, and `manyi check` still runs them.
    requires_system_checks: ClassVar[list[str]] = []
    help = "Import customers, contacts, interactions or orders from a CSV or XLSX file (or resume an interrupted import)."

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=ImportKind.values, help="what the file holds")
        parser.add_argument("file", nargs="?", help="the .csv or .xlsx file")
        parser.add_argument("--owner", help="the user who owns the imported customers (default: --as)")
        parser.add_argument("--as", dest="username", help="the user importing, recorded in history (default: --owner)")
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.SKIP,
                            help="a row that matches a record in Manyi: skip it (default), update the record, or merge (fill empty fields)")  # fmt: skip
        parser.add_argument("--mapping", help='a JSON file: {"file header or column number": "field", ...}; without it the headers are matched')
        parser.add_argument("--encoding", default="", help="the file's encoding (default: detected; e.g. gb18030, big5, utf-8)")
        parser.add_argument("--delimiter", default="", help="the CSV delimiter (default: detected)")
        parser.add_argument("--dry-run", action="store_true", help="check every row and report, write nothing")
        parser.add_argument("--resume", type=int, metavar="JOB", help="resume the interrupted import JOB (its number is printed at the start)")
        parser.add_argument("--errors", help="write the rejected rows, with line and problem, to this CSV (UTF-8 with BOM)")
        parser.add_argument("--report-json", help="write the summary as JSON to this file")
        parser.add_argument("--background", action="store_true", help="queue the import for `manyi worker` instead of running it here")
        parser.add_argument("--batch", type=int, default=None, help="rows per transaction (default 2000)")

    def handle(self, *args, **options):
        try:
            self._handle(**options)
        except ApplicationError as exc:
            details = [m for ms in exc.fields.values() for m in ms if m != exc.message]
            raise CommandError("\n".join([exc.message, *details])) from exc

    def _user(self, name: str | None):
        from manyi.accounts.models import User

        if not name:
            return None
        user = User.objects.filter(username=name, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {name!r}.")
        return user

    def _mapping(self, path: str | None, headers: list[str]) -> dict[int, str] | None:
        if not path:
            return None
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"--mapping {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise CommandError('--mapping wants a JSON object: {"客户名称": "name", ...}')
        out = {}
        for key, field in raw.items():
            if str(key).isdigit():
                out[int(key)] = field
            elif key in headers:
                out[headers.index(key)] = field
            else:
                raise CommandError(f"--mapping: the file has no column {key!r} (its headers: {', '.join(headers)}).")
        return out

    def _handle(self, *, kind, file, owner, username, on_duplicate, mapping, encoding, delimiter, dry_run, resume, errors, report_json, batch, background, **_):
        from manyi.transfer import columns, readers
        from manyi.transfer.engine import BATCH_ROWS
        from manyi.transfer.models import ImportJob
        from manyi.transfer.services import import_create, import_run

        if resume:
            job = ImportJob.objects.filter(pk=resume).first()
            if job is None:
                raise CommandError(f"No import {resume}.")
            by = job.created_by
        else:
            if not kind or not file:
                raise CommandError("Give what to import and the file: manyi import customers 客户.csv --owner USER")
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No file {file}.")
            by = self._user(username or owner)
            if by is None:
                raise CommandError("Say who imports: --owner USER (and --as USER when someone else imports for them).")
            headers = None
            if mapping:
                try:
                    shape = readers.inspect(path, encoding=encoding, delimiter=delimiter, header_hint=columns.header_score(kind))
                except readers.FileProblem as problem:
                    from manyi.transfer.messages import file_message

                    raise CommandError(file_message(problem)) from None
                headers = shape.headers
            job = import_create(
                by=by, kind=kind, source=path, original_name=path.name, owner=self._user(owner), on_duplicate=on_duplicate,
                dry_run=dry_run, encoding=encoding, delimiter=delimiter, mapping=self._mapping(mapping, headers or []),
            )  # fmt: skip
        self._describe(job)
        if background:
            from django.db import transaction

            from manyi.transfer.services import import_enqueue

            with transaction.atomic():
                import_enqueue(by=by, job=job)
            self.stdout.write(f"Import {job.pk} is queued; `manyi worker` runs it. Follow it on the imports page.")
            return
        started = time.perf_counter()
        job = self._run(job, by, batch or BATCH_ROWS, import_run)
        seconds = time.perf_counter() - started
        self._summary(job, seconds)
        if errors:
            from manyi.transfer.engine import report_rows
            from manyi.transfer.export import csv_chunks

            rows = report_rows(job)
            with open(errors, "wb") as f:
                f.writelines(csv_chunks(next(rows), rows))
            self.stdout.write(f"Rejected rows written to {errors}.")
        if report_json:
            Path(report_json).write_text(json.dumps({
                "job": job.pk, "status": job.status, "rows": job.position, "created": job.created_count, "updated": job.updated_count,
                "duplicates": job.duplicate_count, "rejected": job.rejected_count, "seconds": round(seconds, 3),
                "rows_per_second": round(job.position / seconds, 1) if seconds else None,
            }, indent=2))  # fmt: skip
        if job.status == "failed":
            raise CommandError(job.message)

    def _describe(self, job):
        from manyi.transfer import columns

        labels = {c.name: str(c.label) for c in columns.columns(job.kind)}
        self.stdout.write(f"Import {job.pk}: {job.original_name} ({job.file_format}{', ' + job.encoding if job.encoding else ''})")
        for index, name in sorted(job.mapping.items(), key=lambda kv: int(kv[0])):
            self.stdout.write(f"  {job.headers[int(index)]} → {labels.get(name, name)}")
        unused = [h for i, h in enumerate(job.headers) if str(i) not in job.mapping]
        if unused:
            self.stdout.write(f"  not imported: {', '.join(unused)}")
        if job.position:
            self.stdout.write(f"  resuming after row {job.position:,}")

    def _run(self, job, by, batch, import_run):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bytes_based = job.file_format == "csv"
        self.stdout.ending = ""
        console = Console(file=self.stdout, highlight=False)
        total = job.size if bytes_based else None
        shown = DownloadColumn() if bytes_based else MofNCompleteColumn()
        with Progress(TextColumn("{task.description}"), BarColumn(), shown, TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                      transient=True) as bar:  # fmt: skip
            task = bar.add_task("importing", total=total, completed=job.bytes_done if bytes_based else job.position)

            def progress(current):
                bar.update(task, completed=current.bytes_done if bytes_based else current.position,
                           description=f"{current.position:,} rows")  # fmt: skip

            job = import_run(by=by, job=job, progress=progress, batch_rows=batch)
        self.stdout.ending = "\n"
        return job

    def _summary(self, job, seconds):
        verb = "Checked" if job.dry_run else "Imported"
        rate = f", {job.position / seconds:,.0f} rows/s" if seconds else ""
        self.stdout.write(f"{verb} {job.position:,} rows in {seconds:.1f} s{rate}:")
        self.stdout.write(f"  created    {job.created_count:>10,}")
        self.stdout.write(f"  updated    {job.updated_count:>10,}")
        self.stdout.write(f"  duplicates {job.duplicate_count:>10,}")
        self.stdout.write(f"  rejected   {job.rejected_count:>10,}")
        if job.dry_run:
            self.stdout.write("Nothing was written (--dry-run).")
