"""Every write an import makes to its job: created from a file, mapped,
claimed and run (or resumed), in the foreground or as a background task."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.db import unmapped
from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.customers import access
from manyi.customers.services import _resolve_owner, customer_keys_backfill
from manyi.transfer import columns, engine, readers
from manyi.transfer.messages import file_message
from manyi.transfer.models import ImportJob, ImportKind, ImportStatus, OnDuplicate


def stale_after() -> timedelta:
    """A running import writes its heartbeat after every batch; one silent
    for this long was killed (a worker or a terminal stopped) and may be resumed."""
    return timedelta(seconds=settings.MANYI_IMPORT_STALE_SECONDS)

# Imports of more rows than this run as a background task from the web page.
BACKGROUND_ROWS = 2000
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024


def import_dir() -> Path:
    return Path(getattr(settings, "MANYI_IMPORT_DIR", None) or settings.DATA_DIR / "imports")


def can_import(user: User, kind: str) -> bool:
    from manyi.analytics.services import can_enter_orders

    if not user.is_authenticated or user.is_read_only:
        return False
    if kind == ImportKind.ORDERS:
        return can_enter_orders(user)
    return access.can_create_customers(user)


def _owner(by: User, owner: User | None) -> User:
    errors: dict[str, list[str]] = {}
    chosen = _resolve_owner(by, owner, errors)
    if errors:
        raise ValidationFailed(errors["owner"][0], fields=errors)
    return chosen


def import_create(
    *,
    by: User,
    kind: str,
    source: IO[bytes] | Path,
    original_name: str,
    owner: User | None = None,
    on_duplicate: str = OnDuplicate.SKIP,
    dry_run: bool = False,
    encoding: str = "",
    delimiter: str = "",
    mapping: dict[int, str] | None = None,
) -> ImportJob:
    """Keep a copy of the file, read its shape and suggest a mapping.
    `source` is an open binary file (an upload) or a path (the command)."""
    if kind not in ImportKind.values:
        raise ValidationFailed(_("Unknown import kind."), fields={"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(ImportKind.values)}]})
    if not can_import(by, kind):
        raise PermissionDenied(_("Your role may not import these records."))
    if on_duplicate not in OnDuplicate.values:
        raise ValidationFailed(_("Choose what to do with duplicates: skip, update or merge."), fields={"on_duplicate": [_("Unknown choice.")]})
    folder = import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{Path(original_name).suffix.lower()[:8]}"
    if isinstance(source, Path):
        shutil.copyfile(source, stored)
    else:
        with open(stored, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    try:
        shape = readers.inspect(stored, encoding=encoding, delimiter=delimiter, header_hint=columns.header_score(kind))
    except readers.FileProblem as problem:
        stored.unlink(missing_ok=True)
        raise ValidationFailed(file_message(problem), code=f"file_{problem.code}", fields={"file": [file_message(problem)]}) from None
    job = ImportJob(
        created_by=by, owner=_owner(by, owner), kind=kind, on_duplicate=on_duplicate, dry_run=dry_run,
        original_name=original_name[:255], source=str(stored), size=stored.stat().st_size, file_format=shape.file_format,
        encoding=shape.encoding, delimiter=shape.delimiter if shape.file_format == "csv" else "", header_line=shape.header_line,
        headers=shape.headers,
        mapping={str(i): name for i, name in (columns.suggest(kind, shape.headers) if mapping is None else mapping).items()},
    )  # fmt: skip
    try:
        # The required fields are checked when the import starts: on the
        # page, the user maps what the suggestion missed first.
        _check_mapping(job, complete=False)
    except ValidationFailed:
        stored.unlink(missing_ok=True)
        raise
    job.save()
    return job


def _check_mapping(job: ImportJob, *, complete: bool = True) -> None:
    known = {c.name: c for c in columns.columns(job.kind)}
    errors: list[str] = []
    used: dict[str, int] = {}
    for index, name in job.mapping.items():
        if not str(index).isdigit() or int(index) >= max(1, len(job.headers)):
            errors.append(_("Column %(n)s is not in the file.") % {"n": int(index) + 1 if str(index).isdigit() else index})
        elif name not in known:
            errors.append(_("“%(name)s” is not a field that can be imported.") % {"name": name})
        elif name in used:
            errors.append(
                _("Columns %(a)d and %(b)d both fill “%(field)s”; choose one.") % {"a": used[name] + 1, "b": int(index) + 1, "field": known[name].label}
            )
        else:
            used[name] = int(index)
    if job.file_format == "csv" and len(job.headers) == 1 and re.search(r"[#;|\t，；、:/ ]", job.headers[0]):
        # One column whose header holds separators: the file uses a delimiter
        # the sniffer did not take (e.g. #, or a Chinese comma).
        errors.append(file_message(readers.FileProblem("one_column", job.headers[0][:80])))
    for column in known.values():
        if complete and column.required and column.name not in used:
            errors.append(file_message(readers.FileProblem("no_name", str(column.label))))
    if errors:
        raise ValidationFailed(errors[0], code="mapping", fields={"mapping": list(dict.fromkeys(errors))})


@transaction.atomic
def import_configure(
    *, by: User, job: ImportJob, mapping: dict[Any, str], on_duplicate: str, owner: User | None = None, dry_run: bool = False
) -> ImportJob:
    """The page's second step: the columns as the user mapped them."""
    job = _own(by, job, for_update=True)
    if job.status != ImportStatus.PENDING:
        raise ValidationFailed(_("This import has started; its settings can no longer change."), code="started")
    if on_duplicate not in OnDuplicate.values:
        raise ValidationFailed(_("Choose what to do with duplicates: skip, update or merge."), fields={"on_duplicate": [_("Unknown choice.")]})
    job.mapping = {str(i): name for i, name in mapping.items() if name}
    job.on_duplicate = on_duplicate
    job.owner = _owner(by, owner)
    job.dry_run = dry_run
    _check_mapping(job)
    job.save(update_fields=["mapping", "on_duplicate", "owner", "dry_run", "updated_at"])
    return job


def _own(by: User, job: ImportJob, *, for_update: bool = False) -> ImportJob:
    qs = ImportJob.objects.select_for_update() if for_update else ImportJob.objects.all()
    found = qs.filter(pk=job.pk).first()
    if found is None or (found.created_by_id != by.pk and not by.is_admin):
        raise NotFound(_("No such import."))
    return found


def is_interrupted(job: ImportJob) -> bool:
    return job.status == ImportStatus.RUNNING and (job.heartbeat_at is None or job.heartbeat_at < timezone.now() - stale_after())


def import_claim(*, by: User, job: ImportJob) -> ImportJob:
    """Mark the job running, once: a second worker, a double click or a
    resume of a job that is still alive is refused."""
    job = _own(by, job)
    _check_mapping(job)
    now = timezone.now()
    claimable = Q(status__in=[ImportStatus.PENDING, ImportStatus.FAILED]) | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=now - stale_after())
    taken = ImportJob.objects.filter(claimable, pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=now, started_at=job.started_at or now, message=""
    )
    if not taken:
        job.refresh_from_db()
        if job.status == ImportStatus.DONE:
            raise ValidationFailed(_("This import is finished."), code="finished")
        raise ValidationFailed(_("This import is running already."), code="running")
    job.refresh_from_db()
    return job


def import_run(*, by: User, job: ImportJob, progress=None, batch_rows: int = engine.BATCH_ROWS) -> ImportJob:
    """Run (or resume) an import to its end. A file that turns out unreadable
    half-way fails the job with the reason; the rows before stay imported."""
    job = import_claim(by=by, job=job)
    if not Path(job.source).exists():
        return _fail(job, file_message(readers.FileProblem("missing")))
    if job.kind == ImportKind.CUSTOMERS:
        customer_keys_backfill()
    owner = job.owner or job.created_by
    try:
        with unmapped():
            engine.run(job, by=job.created_by, owner=owner, progress=progress, batch_rows=batch_rows)
    except readers.FileProblem as problem:
        return _fail(job, file_message(problem))
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=job.status, finished_at=job.finished_at)
    if not job.dry_run:
        Path(job.source).unlink(missing_ok=True)
    return job


def _fail(job: ImportJob, message: str) -> ImportJob:
    job.status, job.message, job.finished_at = ImportStatus.FAILED, message, timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=job.status, message=message, finished_at=job.finished_at)
    return job


def import_enqueue(*, by: User, job: ImportJob) -> ImportJob:
    """Run a large import on the task worker; the page follows its progress."""
    from manyi.transfer.tasks import run_import

    job = _own(by, job)
    if job.status not in (ImportStatus.PENDING, ImportStatus.FAILED) and not is_interrupted(job):
        raise ValidationFailed(_("This import is running already."), code="running")
    job.queued_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(queued_at=job.queued_at)
    transaction.on_commit(lambda: run_import.enqueue(job.pk, by.pk))
    return job


def is_waiting(job: ImportJob) -> bool:
    """Queued for the worker and not yet taken (or re-queued after an interruption)."""
    if job.queued_at is None:
        return False
    if job.status == ImportStatus.PENDING:
        return True
    return job.status == ImportStatus.RUNNING and (job.heartbeat_at is None or job.heartbeat_at < job.queued_at)
