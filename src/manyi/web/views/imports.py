"""Imports: upload a file, look at its first rows, say which column fills
which field and what to do with duplicates, run it (in the request, or on the
task worker with a progress bar for a large file), then read the summary and
download the rejected rows to fix and import again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from manyi.core.errors import ValidationFailed
from manyi.customers import access
from manyi.transfer import columns, engine, export, selectors, services
from manyi.transfer.models import (
    ImportJob,
    ImportKind,
    ImportStatus,
    IssueKind,
    OnDuplicate,
)
from manyi.web.errors import add_service_errors, page, require
from manyi.web.htmx import is_htmx
from manyi.web.pagination import paginate

ENCODINGS = [
    ("", gettext_lazy("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("gb18030", "GBK / GB18030"),
    ("big5", "Big5"),
    ("utf-16", "UTF-16"),
]
# The duplicates policy: a short name; the model's label says what it does.
POLICY_NAMES = {OnDuplicate.SKIP: gettext_lazy("Skip"), OnDuplicate.UPDATE: gettext_lazy("Update"), OnDuplicate.MERGE: gettext_lazy("Merge")}
STATUS_COLOURS = {ImportStatus.PENDING: "secondary", ImportStatus.RUNNING: "primary", ImportStatus.DONE: "success", ImportStatus.FAILED: "danger"}


def _label(column: columns.Column) -> str:
    return capfirst(str(column.label))


def _kinds(user) -> list[tuple[str, str]]:
    return [(value, label) for value, label in ImportKind.choices if services.can_import(user, value)]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV or Excel (.xlsx, the first sheet), up to 1 GB. The first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Characters (CSV only)"), choices=ENCODINGS, required=False,
        help_text=gettext_lazy("Leave on automatic unless the preview shows garbled characters."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kinds(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 GB; split it and upload the parts."))
        return upload


class ImportSettingsForm(forms.Form):
    """One select per column of the file, the duplicates policy, the owner of
    new customers and "check only". Two columns for one field and a required
    field left out are caught here, next to their selects; the service checks
    again."""

    on_duplicate = forms.ChoiceField(choices=OnDuplicate.choices)
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: report what would happen, write nothing"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )  # fmt: skip

    def __init__(self, *args, job: ImportJob, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.known = columns.columns(job.kind)
        choices = [("", _("Do not import"))] + [(c.name, f"{_label(c)}{' *' if c.required else ''}") for c in self.known]
        self.initial |= {"on_duplicate": job.on_duplicate, "dry_run": job.dry_run}
        for index, _header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(choices=choices, required=False, widget=forms.Select(attrs={"class": "form-select"}))
            self.initial[name] = job.mapping.get(str(index), "")
        owners = access.assignable_owners(user)
        if job.kind == ImportKind.CUSTOMERS and owners.count() > 1:
            self.fields["owner"] = forms.ModelChoiceField(
                label=gettext_lazy("Owner of the new customers"), queryset=owners, required=False, empty_label=None,
                help_text=gettext_lazy("Rows with an owner column go to the owner they name."),
                widget=forms.Select(attrs={"class": "form-select"}),
            )  # fmt: skip
            self.initial["owner"] = job.owner_id or user.pk

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(len(self.job.headers))]

    def clean(self):
        data = super().clean()
        chosen: dict[str, list[int]] = {}
        for index in range(len(self.job.headers)):
            if data.get(f"col_{index}"):
                chosen.setdefault(data[f"col_{index}"], []).append(index)
        labels = {c.name: _label(c) for c in self.known}
        for name, indexes in chosen.items():
            for index in indexes if len(indexes) > 1 else ():
                others = ", ".join(str(i + 1) for i in indexes if i != index)
                self.add_error(
                    f"col_{index}",
                    _("“%(field)s” is also chosen for column %(columns)s; choose it for one column only.") % {"field": labels[name], "columns": others},
                )
        missing = [labels[c.name] for c in self.known if c.required and c.name not in chosen]
        if missing:
            self.add_error(None, _("Choose a column for each required field: %(fields)s.") % {"fields": ", ".join(missing)})
        return data

    def mapping(self) -> dict[int, str]:
        return {i: self.cleaned_data[f"col_{i}"] for i in range(len(self.job.headers)) if self.cleaned_data[f"col_{i}"]}


# --- where a job stands --------------------------------------------------------------


def _state(request, job: ImportJob) -> str:
    """settings | waiting | running | interrupted | finished"""
    if services.is_waiting(job):
        return "waiting"
    if job.status == ImportStatus.PENDING:
        return "settings"
    if job.status == ImportStatus.RUNNING:
        return "interrupted" if services.is_interrupted(job) else "running"
    return "finished"


@dataclass
class JobRow:
    job: ImportJob
    state: str
    percent: int
    colour: str


@page
def import_list(request):
    page_obj = paginate(request, selectors.import_list(user=request.user))
    rows = []
    for job in page_obj:
        state = _state(request, job)
        colour = "warning" if state == "interrupted" else STATUS_COLOURS.get(job.status, "secondary")
        rows.append(JobRow(job, state, selectors.import_percent(job=job), colour))
    context = {"page_obj": page_obj, "rows": rows, "can_import": bool(_kinds(request.user)), "show_by": request.user.is_admin}
    return render(request, "web/imports/list.html", context)


@page
def import_new(request):
    require(bool(_kinds(request.user)), _("Your role may not import records."))
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_create(
                by=request.user, kind=form.cleaned_data["kind"], source=upload, original_name=upload.name, encoding=form.cleaned_data["encoding"]
            )
        except ValidationFailed as exc:
            # A file whose columns cannot be mapped is a problem of the file.
            for message in exc.fields.get("mapping", []):
                form.add_error("file", message)
            add_service_errors(form, ValidationFailed(exc.message, fields={k: v for k, v in exc.fields.items() if k != "mapping"}))
        else:
            return redirect("web:import_detail", pk=job.pk)
    return render(request, "web/imports/new.html", {"form": form, "kinds": _kinds(request.user)})


@dataclass
class ColumnRow:
    number: int
    header: str
    examples: list[str]
    field: forms.BoundField


def _settings_context(job: ImportJob, form: ImportSettingsForm) -> dict:
    context: dict = {"form": form, "policies": [(value, POLICY_NAMES[value], label) for value, label in OnDuplicate.choices]}
    try:
        preview = selectors.import_preview(job=job)
    except ValidationFailed as exc:
        preview = []
        context["preview_error"] = exc.message
    width = len(job.headers)
    context["preview"] = [(row.line, [("" if v is None else str(v)) for v in row.values[:width]] + [""] * (width - len(row.values))) for row in preview]
    context["columns"] = [
        ColumnRow(i + 1, header, [cells[i] for _line, cells in context["preview"] if cells[i].strip()][:3], field)
        for i, (header, field) in enumerate(zip(job.headers, form.column_fields(), strict=True))
    ]
    context["required"] = [_label(c) for c in form.known if c.required]
    return context


def _configure_and_run(request, job: ImportJob, form: ImportSettingsForm):
    """Save the settings, then run a small file now and queue a large one."""
    try:
        job = services.import_configure(
            by=request.user, job=job, mapping=form.mapping(), on_duplicate=form.cleaned_data["on_duplicate"],
            owner=form.cleaned_data.get("owner"), dry_run=form.cleaned_data["dry_run"],
        )  # fmt: skip
        expected = selectors.import_rows_expected(job=job)
        if expected is not None and expected > services.BACKGROUND_ROWS:
            services.import_enqueue(by=request.user, job=job)
            text = ngettext(
                "The file holds about %(n)d row: it is imported in the background. You may leave this page; the import goes on.",
                "The file holds about %(n)d rows: they are imported in the background. You may leave this page; the import goes on.",
                expected,
            )
            messages.info(request, text % {"n": expected})
        else:
            services.import_run(by=request.user, job=job)
    except ValidationFailed as exc:
        if exc.code != "mapping" and not exc.fields:
            messages.error(request, exc.message)
            return redirect("web:import_detail", pk=job.pk)
        add_service_errors(form, exc)
        return None
    return redirect("web:import_detail", pk=job.pk)


def _result_context(request, job: ImportJob) -> dict:
    rejected = selectors.import_issues(user=request.user, job=job, kind=IssueKind.ERROR, page=request.GET.get("rejected"))
    duplicates = selectors.import_issues(user=request.user, job=job, kind=IssueKind.DUPLICATE, page=request.GET.get("duplicates"))
    can_import_again = job.dry_run and job.status == ImportStatus.DONE and Path(job.source).exists() and services.can_import(request.user, job.kind)
    return {"rejected": rejected, "duplicates": duplicates, "can_import_again": can_import_again}


@page
def import_detail(request, pk):
    """The settings of a pending import, the progress of a running one, the
    summary of a finished one. An htmx request (the progress bar's poll every
    second) gets only the part that changes; the summary ends the polling."""
    job = selectors.import_get(user=request.user, pk=pk)
    state = _state(request, job)
    context: dict = {"job": job, "state": state}
    if state == "settings":
        form = ImportSettingsForm(request.POST if request.method == "POST" else None, job=job, user=request.user)
        if request.method == "POST" and form.is_valid() and (response := _configure_and_run(request, job, form)):
            return response
        context |= _settings_context(job, form)
    elif request.method == "POST":
        messages.info(request, _("This import has started; its settings can no longer change."))
        return redirect("web:import_detail", pk=job.pk)
    elif state == "finished":
        context |= _result_context(request, job)
    else:
        context |= {"percent": selectors.import_percent(job=job), "expected": selectors.import_rows_expected(job=job)}
    if is_htmx(request):
        return render(request, "web/imports/detail.html#state", context | {"polled": True})
    return render(request, "web/imports/detail.html", context)


@page
@require_POST
def import_resume(request, pk):
    """Carry on with an interrupted import, after its last saved row."""
    job = selectors.import_get(user=request.user, pk=pk)
    try:
        services.import_enqueue(by=request.user, job=job)
    except ValidationFailed as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("The import goes on from row %(n)d.") % {"n": job.position + 1})
    return redirect("web:import_detail", pk=job.pk)


@page
@require_POST
def import_again(request, pk):
    """After a check: the same file with the same settings, to import for real."""
    job = selectors.import_get(user=request.user, pk=pk)
    require(services.can_import(request.user, job.kind), _("Your role may not import these records."))
    if not (job.dry_run and job.status == ImportStatus.DONE):
        messages.info(request, _("Only a finished check can be imported again."))
        return redirect("web:import_detail", pk=job.pk)
    try:
        fresh = services.import_create(
            by=request.user, kind=job.kind, source=Path(job.source), original_name=job.original_name, owner=job.owner,
            on_duplicate=job.on_duplicate, encoding=job.encoding, delimiter=job.delimiter,
            mapping={int(index): name for index, name in job.mapping.items()},
        )  # fmt: skip
    except (ValidationFailed, OSError):
        messages.error(request, _("The checked file is no longer on the server; upload it again."))
        return redirect("web:import_detail", pk=job.pk)
    messages.success(request, _("Here is the file again with the settings of the check; start the import when they are right."))
    return redirect("web:import_detail", pk=fresh.pk)


@page
@require_GET
def import_errors(request, pk):
    """The rejected rows as they were in the file, with their line and what
    was wrong: the file to fix and import again."""
    job = selectors.import_get(user=request.user, pk=pk)
    rows = engine.report_rows(job)
    response = StreamingHttpResponse(export.csv_chunks(next(rows), rows), content_type="text/csv; charset=utf-8")
    name = _("%(name)s - rejected rows.csv") % {"name": Path(job.original_name).stem or "import"}
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
