"""Customer lists as files, and a customer's contacts as vCards.

A list is exported as CSV (UTF-8 with a BOM, so that Excel reads Chinese) or
XLSX (openpyxl's write-only workbook, written to a temporary file): the
customers the user may see under the list's filters (selectors.customer_list),
read CHUNK_ROWS at a time in the order of their ids, so memory stays flat
for a million of them. The headers are the fields' names in the active
language, the choices their labels, phone numbers as people write them
(138 1234 5678): the importer reads all of them back.

Sensitive fields (customers.models.SENSITIVE_FIELDS) are never exported, not
even to those who may read them: a file leaves Manyi's access rules behind.
EXPORT_FIELDS holds none of them.

Formula injection: a text cell that starts with = + - @ (or their full-width
forms), a tab or a carriage return is written so that no spreadsheet runs it
as a formula: in CSV after an apostrophe (Excel's mark for text), in XLSX as
a string cell with Excel's quote prefix.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from manyi.accounts.models import NAME_COLUMNS, User, person_name
from manyi.core.text import format_phone
from manyi.customers import selectors
from manyi.customers.models import Customer
from manyi.transfer.fields import RISKY_STARTS

EXPORT_FIELDS = (
    "name", "kind", "category", "importance", "grade", "depth", "owner", "phone", "mobile", "fax", "email", "wechat",
    "website", "province", "city", "address", "postal_code", "credit_code", "industry", "gender", "birthday", "tags", "notes",
    "created_at", "updated_at",
)  # fmt: skip
_CHOICES = ("kind", "category", "importance", "grade", "depth", "gender")
_PHONES = ("phone", "mobile", "fax")
_TIMES = ("created_at", "updated_at")
_READ = ("pk", *(name for name in EXPORT_FIELDS if name not in ("owner", "tags")), *(f"owner__{name}" for name in NAME_COLUMNS))
FORMATS = ("csv", "xlsx")
CHUNK_ROWS = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_SHEET_ROWS = 1_048_576  # Excel's limit: a longer list goes on in another sheet
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def headers() -> list[str]:
    return [capfirst(str(Customer._meta.get_field(name).verbose_name)) for name in EXPORT_FIELDS]


def _row(record: dict[str, Any], tags: dict[int, list[str]], labels: dict[str, dict]) -> list[Any]:
    def value(name: str) -> Any:
        if name == "owner":
            return person_name(*(record[f"owner__{column}"] for column in NAME_COLUMNS))
        if name == "tags":
            return ", ".join(tags.get(record["pk"], ()))
        raw = record[name]
        if name in _CHOICES:
            return labels[name].get(raw, raw)
        if name in _PHONES:
            return format_phone(raw)
        if name in _TIMES:
            return timezone.localtime(raw).replace(tzinfo=None)  # spreadsheets know no time zones
        return raw

    return [value(name) for name in EXPORT_FIELDS]


def customer_rows(*, user: User, filters: selectors.CustomerFilters, chunk_rows: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    """One list of values (in EXPORT_FIELDS' order) per customer the user may
    see under `filters`, by id, read chunk_rows at a time (with their tags
    in one more query). Labels are in the language active when this is
    called, even if the rows are read later (a streamed response)."""
    language = translation.get_language()
    listed = selectors.customer_list(user=user, filters=filters).order_by("pk").values(*_READ)
    tagged = Customer.tags.through.objects.order_by("tag__name").values_list("customer_id", "tag__name")

    def rows() -> Iterator[list[Any]]:
        last = 0
        while True:
            records = list(listed.filter(pk__gt=last)[:chunk_rows])
            tags: dict[int, list[str]] = {}
            for customer_id, tag in tagged.filter(customer_id__in=[record["pk"] for record in records]):
                tags.setdefault(customer_id, []).append(tag)
            with translation.override(language):
                labels = {name: Customer.choice_labels(name) for name in _CHOICES}
            yield from (_row(record, tags, labels) for record in records)
            if len(records) < chunk_rows:
                return
            last = records[-1]["pk"]

    return rows()


def _csv_cell(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime(_DATETIME_FORMAT)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(RISKY_STARTS) else text


def csv_chunks(header: list[str], rows: Iterable[list[Any]], *, flush_rows: int = 500) -> Iterator[bytes]:
    """The CSV file's bytes, a few hundred rows at a time: the BOM, the header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(value) for value in header])  # an imported file's headers can be anything
    yield codecs.BOM_UTF8
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_cell(value) for value in row])
        if count % flush_rows == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[list[Any]], out: IO[bytes], *, title: str, sheet_rows: int = XLSX_SHEET_ROWS) -> None:
    """The rows in a workbook written straight to `out`: the header in bold and
    frozen, times as Excel dates, risky text as text (see the module's doc)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet, used = None, sheet_rows

    def new_sheet():
        number = len(workbook.worksheets) + 1
        created = workbook.create_sheet(title=title if number == 1 else f"{title} ({number})")
        created.freeze_panes = "A2"
        bold = Font(bold=True)
        cells = []
        for text in header:
            cell = WriteOnlyCell(created, value=text)
            cell.font = bold
            cells.append(cell)
        created.append(cells)
        return created

    def cell(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "yyyy-mm-dd hh:mm:ss"
            return written
        if not isinstance(value, str):
            return value
        # Control characters are not allowed in the file's XML (imported notes may hold some).
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith(RISKY_STARTS):
            return value
        written = WriteOnlyCell(sheet, value=value)
        written.data_type = "s"  # openpyxl takes a str starting with "=" for a formula
        written.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return written

    for row in rows:
        if used >= sheet_rows:
            sheet, used = new_sheet(), 1
        sheet.append([cell(value) for value in row])
        used += 1
    if sheet is None:
        new_sheet()
    workbook.save(out)


def export_filename(fmt: str) -> str:
    """客户-2026-11-28.csv (customers-2026-11-28.csv in English)."""
    return f"{_('customers')}-{timezone.localdate():%Y-%m-%d}.{fmt}"


class _Counted:
    """Rows passed through, counted; `progress(count)` after every CHUNK_ROWS."""

    def __init__(self, rows: Iterable[list[Any]], progress: Callable[[int], None] | None):
        self.rows, self.progress, self.count = rows, progress, 0

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self.rows:
            self.count += 1
            if self.progress and self.count % CHUNK_ROWS == 0:
                self.progress(self.count)
            yield row


def export_customers(
    *, user: User, filters: selectors.CustomerFilters, fmt: str, out: IO[bytes], progress: Callable[[int], None] | None = None
) -> int:
    """Write the export file to `out`; returns how many customers it holds."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    rows = _Counted(customer_rows(user=user, filters=filters), progress)
    if fmt == "csv":
        for chunk in csv_chunks(headers(), rows):
            out.write(chunk)
    else:
        write_xlsx(headers(), rows, out, title=capfirst(_("customers")))
    return rows.count


def export_response(*, user: User, filters: selectors.CustomerFilters, fmt: str) -> HttpResponseBase:
    """The export as a download: CSV streamed as it is read, XLSX from a
    temporary file (a zip cannot be streamed before it is complete), which
    is deleted when the response closes."""
    filename = export_filename(fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(headers(), customer_rows(user=user, filters=filters)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it, which deletes it)
    try:
        export_customers(user=user, filters=filters, fmt=fmt, out=out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


_CARD_FIELDS = ("name", "department", "title", "mobile", "phone", "email", "birthday", "notes")


def contacts_for_vcard(*, user: User, customer: Customer) -> list[dict[str, Any]]:
    """The live contacts of a customer the user has fetched (customer_get), as
    cards for vcard.to_vcard; phone numbers in E.164, as phones store them."""
    return [
        {"org": customer.name} | {name: getattr(contact, name) for name in _CARD_FIELDS}
        for contact in selectors.contact_list(user=user, customer=customer)
    ]


def vcard_filename(customer: Customer) -> str:
    """张三-联系人.vcf, without the characters file systems refuse."""
    name = "".join("_" if char in '/\\:*?"<>|' or ord(char) < 32 else char for char in customer.name)
    return f"{name}-{_('contacts')}.vcf"
