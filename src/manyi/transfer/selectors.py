"""Every read of imports, filtered to what the asking user may see: their own
jobs (an administrator sees everyone's). Someone else's job is "not found",
so an outsider learns nothing, not even that it exists."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import NotFound, ValidationFailed
from manyi.customers import access
from manyi.transfer import columns, engine, readers
from manyi.transfer.messages import file_message
from manyi.transfer.models import (
    ImportIssue,
    ImportJob,
    ImportKind,
    ImportStatus,
    IssueKind,
)


def _may_see(user: User, job: ImportJob) -> bool:
    return user.is_authenticated and user.is_active and (job.created_by_id == user.pk or user.is_admin)


def import_list(*, user: User) -> QuerySet[ImportJob]:
    """The user's imports, newest first; an administrator's list holds everyone's."""
    qs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    return qs if user.is_admin else qs.filter(created_by=user)


def import_get(*, user: User, pk: Any) -> ImportJob:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such import.")) from None
    job = ImportJob.objects.select_related("created_by", "owner").filter(pk=pk).first()
    if job is None or not _may_see(user, job):
        raise NotFound(_("No such import."))
    return job


def import_preview(*, job: ImportJob, limit: int = 10) -> list[readers.Row]:
    """The file's first data rows, as the import will read them."""
    path = Path(job.source)
    if not path.exists():
        raise ValidationFailed(file_message(readers.FileProblem("missing")), code="file_missing")
    try:
        return list(islice(readers.rows(path, engine.shape_of(job)), limit))
    except readers.FileProblem as problem:
        raise ValidationFailed(file_message(problem), code=f"file_{problem.code}") from None


def import_rows_expected(*, job: ImportJob) -> int | None:
    """About how many data rows the file holds (readers.count_hint), or None
    when its copy is gone. Remembered for a day: an Excel sheet is opened to
    count, and a progress bar asks every second."""
    key = f"manyi:import-rows:{job.pk}"
    expected = cache.get(key)
    if expected is None:
        path = Path(job.source)
        if not path.exists():
            return None
        try:
            expected = readers.count_hint(path, engine.shape_of(job))
        except readers.FileProblem:
            return None
        cache.set(key, expected, 24 * 3600)
    return expected


def import_percent(*, job: ImportJob) -> int:
    """How far the job has got, 0–100: the bytes read of a CSV file, the rows
    of an Excel sheet. A running job shows at most 99."""
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return 100
    if job.status == ImportStatus.PENDING:
        return 0
    if job.file_format == "csv":
        share = job.bytes_done / job.size if job.size else 0
    else:
        expected = import_rows_expected(job=job)
        share = job.position / expected if expected else 0
    return max(0, min(99, int(share * 100)))


@dataclass
class IssueRow:
    issue: ImportIssue
    field: str  # the label of the field the problem is in; "" for the whole row
    customer_id: int | None = None  # the matched customer, when the user may see it
    order_id: int | None = None  # the matched order (order imports), when the user may see it


def _visible_matches(user: User, kind: str, ids: set[int]) -> dict[int, tuple[int | None, int | None]]:
    """{match id: (customer id, order id)} for the matches the user may see.
    A match is a customer, contact, interaction or order, by the job's kind."""
    if not ids:
        return {}
    if kind == ImportKind.CUSTOMERS:
        return {pk: (pk, None) for pk in access.visible_customers(user).filter(pk__in=ids).values_list("pk", flat=True)}
    if kind == ImportKind.ORDERS:
        from manyi.analytics.selectors import order_list

        return {pk: (None, pk) for pk in order_list(user=user).filter(pk__in=ids).values_list("pk", flat=True)}
    if kind == ImportKind.CONTACTS:
        from manyi.customers.models import Contact as model
    else:
        from manyi.interactions.models import Interaction as model
    rows = model.objects.filter(pk__in=ids, customer__in=access.visible_customers(user).values("pk")).values_list("pk", "customer_id")
    return {pk: (customer_id, None) for pk, customer_id in rows}


def import_issues(*, user: User, job: ImportJob, kind: str, page: Any) -> Page:
    """One page of the job's rejected rows (kind="error") or duplicates
    (kind="duplicate"), in file order; a duplicate links to the record it
    matched only when the user may see that record."""
    if not _may_see(user, job):
        raise NotFound(_("No such import."))
    if kind not in IssueKind.values:
        raise ValidationFailed(_("Unknown kind of problem."), code="kind")
    page_obj = Paginator(job.issues.filter(kind=kind).order_by("line", "id"), settings.MANYI_PAGE_SIZE).get_page(page)
    issues = list(page_obj.object_list)
    labels = {c.name: str(c.label) for c in columns.columns(job.kind)}
    matches = _visible_matches(user, job.kind, {i.match_id for i in issues if i.match_id is not None})
    page_obj.object_list = [IssueRow(i, labels.get(i.field, i.field), *matches.get(i.match_id, (None, None))) for i in issues]
    return page_obj
