"""The import itself: rows parsed and checked, duplicates found, records
written batch by batch.

Each batch is one transaction that also moves the job's position, so an
import killed at any moment resumes after its last committed row, repeating
none and losing none. Customers, the bulk of any move, are written with
multi-row INSERTs (a million rows cannot afford a model save each); contacts,
interactions and orders go through their services row by row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import ApplicationError
from manyi.core.text import name_key, name_keys
from manyi.customers import access
from manyi.customers.models import (
    ChangeAction,
    ChangeRecord,
    Contact,
    Customer,
    Kind,
    Tag,
)
from manyi.customers.services import contact_create, contact_update, customer_update
from manyi.transfer import columns as cols
from manyi.transfer import readers
from manyi.transfer.fields import FieldError
from manyi.transfer.messages import field_message, reason_label, row_message
from manyi.transfer.models import (
    ImportIssue,
    ImportJob,
    ImportKind,
    IssueKind,
    OnDuplicate,
)

BATCH_ROWS = 2000


class Issue(NamedTuple):
    line: int
    kind: str
    field: str
    message: str
    values: list[Any]
    match_id: int | None = None


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    issues: list[Issue] = field(default_factory=list)

    def reject(self, row: readers.Row, problems: list[tuple[str, str]]) -> None:
        self.rejected += 1
        for name, message in problems:
            self.issues.append(Issue(row.line, IssueKind.ERROR, name, message, _cells(row.values)))

    def duplicate(self, row: readers.Row, message: str, match_id: int | None) -> None:
        self.duplicates += 1
        self.issues.append(Issue(row.line, IssueKind.DUPLICATE, "", message, _cells(row.values), match_id))


def _cells(values: list[Any]) -> list[str]:
    return ["" if v is None else str(v) for v in values]


class Rejected(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems


class Importer:
    """Parses a row into a field dict by the job's mapping; subclasses write."""

    def __init__(self, job: ImportJob, by: User, owner: User):
        self.job, self.by, self.owner = job, by, owner
        known = {c.name: c for c in cols.columns(job.kind)}
        self.plan = [(int(index), known[name]) for index, name in job.mapping.items() if name in known]
        self.plan.sort()
        self.width = len(job.headers)
        self.strict_width = job.file_format == "csv"

    def parse(self, row: readers.Row) -> dict[str, Any]:
        values = row.values
        problems: list[tuple[str, str]] = []
        if self.strict_width and len(values) != self.width and (len(values) < self.width or any(v.strip() for v in values[self.width :])):
            raise Rejected([("", row_message("ragged", found=len(values), expected=self.width))])
        data: dict[str, Any] = {}
        for index, column in self.plan:
            raw = values[index] if index < len(values) else None
            if isinstance(raw, str) and "\ufffd" in raw:
                problems.append((column.name, row_message("undecodable", encoding=self.job.encoding)))
                continue
            try:
                value = column.parser(raw)
            except FieldError as exc:
                problems.append((column.name, _("%(field)s: %(problem)s") % {"field": column.label, "problem": field_message(exc, raw)}))
                continue
            if column.required and value in ("", None):
                problems.append((column.name, _("%(field)s: %(problem)s") % {"field": column.label, "problem": row_message("required")}))
                continue
            data[column.name] = value
        if problems:
            raise Rejected(problems)
        return data

    def process(self, batch: list[readers.Row], tally: Tally) -> None:
        raise NotImplementedError

    def group_key(self, row: readers.Row) -> Any:
        """Rows with the same key stay in one batch (the lines of one order)."""
        return None


def _adapters() -> dict[str, Callable[[Any], Any]]:
    ops = connection.ops
    out: dict[str, Callable[[Any], Any]] = {}
    for f in Customer._meta.concrete_fields:
        kind = f.get_internal_type()
        if kind == "DateField":
            out[f.column] = ops.adapt_datefield_value
        elif kind == "DecimalField":
            out[f.column] = lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
    return out


class _Match(NamedTuple):
    id: int
    name: str
    owner_id: int
    team_id: int | None


# The keys a customer is recognised by, strongest first. A shared landline
# (a switchboard) only counts with the same name.
STRONG_KEYS = ("credit_code", "mobile", "email")


def identity(data: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [(k, data[k]) for k in STRONG_KEYS if data.get(k)]
    if data.get("phone"):
        keys.append(("phone", f"{data['phone']}|{data['name_key']}"))
    if not keys:
        keys.append(("name", data["name_key"]))
    return keys


class CustomerImporter(Importer):
    def __init__(self, job: ImportJob, by: User, owner: User):
        super().__init__(job, by, owner)
        self.fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.adapters = _adapters()
        # SQLite takes 32,766 parameters a statement; PostgreSQL 65,535.
        self.chunk = min(500, 32000 // len(self.columns))
        self.owners: dict[str, User | None] = {}
        self.tags: dict[str, int] = {}
        self.mark = "?" if connection.vendor == "sqlite" else "%s"
        self.import_label = str(_("import"))
        # A dry run's created rows are rolled back batch by batch; their keys stay here.
        self.remembered: dict[tuple[str, str], int] | None = None

    def _owner(self, name: str) -> User | None:
        if name not in self.owners:
            allowed = access.assignable_owners(self.by)
            self.owners[name] = allowed.filter(username=name).first() or allowed.filter(display_name=name).first()
        return self.owners[name]

    def prepare(self, row: readers.Row) -> dict[str, Any]:
        data = self.parse(row)
        owner = self.owner
        if data.get("owner"):
            owner = self._owner(data["owner"])
            if owner is None:
                raise Rejected([("owner", row_message("owner", value=data["owner"]))])
        data["owner"] = owner
        if not data.get("kind"):
            data["kind"] = Kind.ENTERPRISE if data.get("credit_code") or name_key(data["name"]) != data["name"].lower().replace(" ", "") else (
                Kind.INDIVIDUAL if data.get("gender") or data.get("birthday") or len(data["name"]) <= 4 else Kind.ENTERPRISE
            )  # fmt: skip
        pinyin, initials = name_keys(data["name"])
        data["name_pinyin"], data["name_initials"] = pinyin[:400], initials[:200]
        data["name_key"] = name_key(data["name"])[:200] or "-"
        return data

    def _existing(self, pending: list[tuple[readers.Row, dict[str, Any]]]) -> dict[tuple[str, str], _Match]:
        """The live customers that share a key with a row of the batch: one
        indexed IN query per key (raw SQL: the ORM spent more time building
        2,000-value lookups than the database answering them)."""
        wanted: dict[str, set[str]] = {}
        for _row, data in pending:
            for key, value in identity(data):
                if key == "phone":
                    value = value.split("|", 1)[0]
                wanted.setdefault(key, set()).add(value)
        found: dict[tuple[str, str], _Match] = {}
        table = connection.ops.quote_name(Customer._meta.db_table)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for key, values in wanted.items():
                column = "name_key" if key == "name" else key
                for part in _chunks(sorted(values), 900):
                    raw.execute(
                        f"SELECT id, name, owner_id, team_id, {column}, name_key FROM {table} "
                        f"WHERE deleted_at IS NULL AND {column} IN ({', '.join([self.mark] * len(part))}) ORDER BY id",
                        part,
                    )
                    for pk, name, owner_id, team_id, value, nkey in raw.fetchall():
                        if key == "phone":
                            value = f"{value}|{nkey}"
                        found.setdefault((key, value), _Match(pk, name, owner_id, team_id))
        return found

    def process(self, batch: list[readers.Row], tally: Tally) -> None:
        pending: list[tuple[readers.Row, dict[str, Any]]] = []
        for row in batch:
            try:
                pending.append((row, self.prepare(row)))
            except Rejected as exc:
                tally.reject(row, exc.problems)
        existing = self._existing(pending)
        fresh: list[tuple[readers.Row, dict[str, Any]]] = []
        seen: dict[tuple[str, str], int] = {}
        updates: list[tuple[readers.Row, _Match, dict[str, Any]]] = []
        for row, data in pending:
            keys = identity(data)
            hit = next(((k, existing[k]) for k in keys if k in existing), None)
            if hit:
                (reason, _value), match = hit
                if self.job.on_duplicate != OnDuplicate.SKIP and access.can_edit(self.by, match):
                    updates.append((row, match, data))
                elif access.can_edit(self.by, match) or access.visible_customers(self.by).filter(pk=match.id).exists():
                    tally.duplicate(row, row_message("duplicate", name=match.name, reason=reason_label(reason)), match.id)
                else:
                    tally.duplicate(row, row_message("duplicate_hidden", reason=reason_label(reason)), None)
                continue
            earlier = next(((k, self.remembered[k]) for k in keys if k in self.remembered), None) if self.remembered is not None else None
            if earlier:
                (reason, _value), line = earlier
                tally.duplicate(row, row_message("duplicate_row", line=line, reason=reason_label(reason)), None)
                continue
            twin = next(((k, seen[k]) for k in keys if k in seen), None)
            if twin:
                (reason, _value), index = twin
                first_row, first = fresh[index]
                if self.job.on_duplicate != OnDuplicate.SKIP:
                    _combine(first, data, overwrite=self.job.on_duplicate == OnDuplicate.UPDATE)
                tally.duplicate(row, row_message("duplicate_row", line=first_row.line, reason=reason_label(reason)), None)
                continue
            for k in keys:
                seen[k] = len(fresh)
            fresh.append((row, data))
        self._insert(fresh)
        tally.created += len(fresh)
        if self.remembered is not None:
            self.remembered.update((k, row.line) for row, data in fresh for k in identity(data))
        for row, match, data in updates:
            tally.updated += self._update(row, match, data, tally)

    def _update(self, row: readers.Row, match: _Match, data: dict[str, Any], tally: Tally) -> int:
        """Apply a duplicate row to the record it matches, through the same
        service a person's edit goes through (history included). Returns 1
        when the record changed."""
        customer = Customer.objects.get(pk=match.id)
        overwrite = self.job.on_duplicate == OnDuplicate.UPDATE
        change: dict[str, Any] = {}
        for _index, column in self.plan:
            name = column.name
            if name == "owner" or name not in data or data[name] in ("", None, []):
                continue
            if name == "tags":
                current = sorted(t.name for t in customer.tags.all())
                merged = sorted(set(current) | set(data["tags"]))
                if merged != current:
                    change["tags"] = merged
            elif overwrite or getattr(customer, name) in ("", None):
                change[name] = data[name]
        if not change:
            tally.duplicate(row, row_message("duplicate", name=customer.name, reason=reason_label("unchanged")), customer.pk)
            return 0
        try:
            with transaction.atomic():
                customer_update(by=self.by, customer=customer, data=change)
        except ApplicationError as exc:
            tally.reject(row, _service_problems(exc))
            return 0
        return 1

    def _insert(self, fresh: list[tuple[readers.Row, dict[str, Any]]]) -> None:
        if not fresh:
            return
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        records = []
        fields, adapters, defaults = self.fields, self.adapters, self.defaults
        for _row, data in fresh:
            owner = data["owner"]
            values = dict(defaults)
            # An empty cell leaves the field's default (a blank 等级 is grade C).
            values.update((k, v) for k, v in data.items() if k in values and v not in ("", None))
            values.update(owner_id=owner.pk, team_id=owner.team_id, created_at=stamp, updated_at=stamp)
            records.append([adapters[f.column](values[f.attname]) if f.column in adapters and values[f.attname] is not None
                            else values[f.attname] for f in fields])  # fmt: skip
        with connection.cursor() as cursor:
            ids = self._insert_rows(cursor.cursor, records)
            self._history(cursor.cursor, fresh, ids, stamp)
            self._tag(cursor.cursor, fresh, ids)

    def _insert_rows(self, raw, records: list[list[Any]]) -> list[int]:
        """INSERT the rows and return their ids, in order.

        SQLite: one executemany. The import holds the write lock (IMMEDIATE),
        so an AUTOINCREMENT table numbers the rows one after the other from
        max(sqlite_sequence, max(id)) + 1; the sequence is read back to check.
        PostgreSQL: multi-row INSERT ... RETURNING id."""
        table = connection.ops.quote_name(Customer._meta.db_table)
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        row_sql = "(" + ", ".join([self.mark] * len(self.columns)) + ")"
        if connection.vendor == "sqlite":
            raw.execute(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), coalesce((SELECT max(id) FROM customers_customer), 0))",
                [Customer._meta.db_table],
            )
            first = raw.fetchone()[0] + 1
            raw.executemany(f"INSERT INTO {table} ({quoted}) VALUES {row_sql}", records)
            raw.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [Customer._meta.db_table])
            last = raw.fetchone()[0]
            if last != first + len(records) - 1:
                raise RuntimeError(f"customer ids {first}..{last} for {len(records)} rows: another writer inserted meanwhile")
            return list(range(first, last + 1))
        ids: list[int] = []
        for part in _chunks(records, self.chunk):
            raw.execute(f"INSERT INTO {table} ({quoted}) VALUES {', '.join([row_sql] * len(part))} RETURNING id", [v for r in part for v in r])
            ids.extend(r[0] for r in raw.fetchall())
        return ids

    def _history(self, raw, fresh, ids: list[int], stamp) -> None:
        name = json.dumps(self.job.original_name, ensure_ascii=False)[1:-1]
        label = json.dumps(self.import_label, ensure_ascii=False)[1:-1]
        rows = [
            (pk, self.by.pk, stamp, ChangeAction.CREATED, f'[{{"field": "import", "label": "{label}", "old": "", "new": "{name} · {row.line}"}}]')
            for (row, _data), pk in zip(fresh, ids, strict=True)
        ]
        m = self.mark
        changes = m if connection.vendor == "sqlite" else f"CAST({m} AS jsonb)"
        raw.executemany(
            f"INSERT INTO {ChangeRecord._meta.db_table} (customer_id, actor_id, at, action, changes) VALUES ({m}, {m}, {m}, {m}, {changes})", rows
        )

    def _tag(self, raw, fresh, ids: list[int]) -> None:
        pairs = []
        for (_row, data), pk in zip(fresh, ids, strict=True):
            for tag in data.get("tags") or ():
                if tag not in self.tags:
                    self.tags[tag] = Tag.objects.get_or_create(name=tag)[0].pk
                pairs.append((pk, self.tags[tag]))
        if pairs:
            through = Customer.tags.through._meta.db_table
            raw.executemany(f"INSERT INTO {through} (customer_id, tag_id) VALUES ({self.mark}, {self.mark})", pairs)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _combine(first: dict[str, Any], later: dict[str, Any], *, overwrite: bool) -> None:
    """A later row of the same customer in one file: its values fill (merge)
    or replace (update) the first row's before it is written."""
    for name, value in later.items():
        if name in ("name_pinyin", "name_initials", "name_key", "owner") or value in ("", None, []):
            continue
        if name == "tags":
            first["tags"] = list(dict.fromkeys([*(first.get("tags") or []), *value]))
        elif overwrite or first.get(name) in ("", None):
            first[name] = value


class _CustomerRefs:
    """Finds the customer a contact, interaction or order row names: by unified
    social credit code when given, else by name (width, Traditional forms and
    有限公司 do not count), among the customers the importer may change."""

    def __init__(self, by: User):
        self.by = by
        self.cache: dict[tuple[str, str], list[Customer]] = {}

    def find(self, data: dict[str, Any]) -> Customer:
        code = data.get("customer_credit_code") or ""
        key = ("code", code) if code else ("name", name_key(data["customer"]))
        if key not in self.cache:
            qs = access.visible_customers(self.by)
            qs = qs.filter(credit_code=code) if code else qs.filter(name_key=key[1])
            self.cache[key] = [c for c in qs.order_by("id")[:5] if access.can_edit(self.by, c) or self.by.is_service]
        found = self.cache[key]
        if not found:
            raise Rejected([("customer", row_message("no_customer", value=code or data["customer"]))])
        if len(found) > 1:
            raise Rejected([("customer", row_message("ambiguous_customer", count=len(found), value=data["customer"]))])
        return found[0]


def _service_problems(exc: ApplicationError) -> list[tuple[str, str]]:
    fields = getattr(exc, "fields", None) or {}
    return [(name, "; ".join(str(m) for m in messages)) for name, messages in fields.items()] or [("", exc.message)]


class _RowByRow(Importer):
    """Rows that name their customer, each written through its service."""

    FIELDS: tuple[str, ...] = ()

    def __init__(self, job, by, owner):
        super().__init__(job, by, owner)
        self.refs = _CustomerRefs(by)

    def process(self, batch, tally):
        for row in batch:
            try:
                data = self.parse(row)
                customer = self.refs.find(data)
            except Rejected as exc:
                tally.reject(row, exc.problems)
                continue
            fields = {k: v for k, v in data.items() if k in self.FIELDS and v not in ("", None)}
            try:
                with transaction.atomic():
                    self.take(row, customer, fields, tally)
            except ApplicationError as exc:
                tally.reject(row, _service_problems(exc))

    def take(self, row: readers.Row, customer: Customer, fields: dict[str, Any], tally: Tally) -> None:
        raise NotImplementedError


class ContactImporter(_RowByRow):
    FIELDS = ("name", "gender", "title", "department", "phone", "mobile", "email", "wechat", "birthday", "is_key_person", "key_role",
              "influence", "notes")  # fmt: skip

    def take(self, row, customer, fields, tally):
        live = Contact.objects.filter(customer=customer, deleted_at__isnull=True)
        match = next(
            (c for key in ("mobile", "email") if fields.get(key) for c in live.filter(**{key: fields[key]})[:1]),
            None,
        ) or (live.filter(name=fields["name"]).first() if not (fields.get("mobile") or fields.get("email")) else None)
        if match is None:
            contact_create(by=self.by, customer=customer, data=fields)
            tally.created += 1
        elif self.job.on_duplicate == OnDuplicate.SKIP:
            tally.duplicate(row, row_message("duplicate", name=match.name, reason=reason_label("contact")), match.pk)
        else:
            overwrite = self.job.on_duplicate == OnDuplicate.UPDATE
            contact_update(by=self.by, contact=match, data={k: v for k, v in fields.items() if overwrite or getattr(match, k) in ("", None)})
            tally.updated += 1


class InteractionImporter(_RowByRow):
    FIELDS = ("kind", "direction", "channel", "occurred_at", "subject", "participants", "text", "outcome")

    def take(self, row, customer, fields, tally):
        from manyi.interactions.models import Interaction
        from manyi.interactions.services import interaction_create

        if timezone.is_naive(fields["occurred_at"]):
            fields["occurred_at"] = timezone.make_aware(fields["occurred_at"], timezone.get_current_timezone())
        twin = Interaction.objects.filter(
            customer=customer, kind=fields["kind"], occurred_at=fields["occurred_at"], text=fields.get("text", ""),
            subject=fields.get("subject", ""),
        ).first()  # fmt: skip
        if twin:
            tally.duplicate(row, row_message("duplicate", name=customer.name, reason=reason_label("interaction")), twin.pk)
            return
        interaction_create(by=self.by, customer=customer, data=fields)
        tally.created += 1


class OrderImporter(Importer):
    """One row per order line; the lines of an order share its number and
    follow each other. Without a number column every row is an order."""

    def __init__(self, job, by, owner):
        super().__init__(job, by, owner)
        self.refs = _CustomerRefs(by)
        self.number_index = next((i for i, c in self.plan if c.name == "number"), None)
        self.products: dict[str, Any] = {}

    def group_key(self, row):
        if self.number_index is None or self.number_index >= len(row.values):
            return None
        return cols.header_key(str(row.values[self.number_index] or "")) or None

    def _product(self, ref: str):
        from manyi.analytics.models import Product

        if ref not in self.products:
            self.products[ref] = Product.objects.filter(sku=ref).first() or Product.objects.filter(name=ref).first()
        return self.products[ref]

    def process(self, batch, tally):
        from manyi.analytics.models import Order
        from manyi.analytics.services import order_create

        groups: list[list[readers.Row]] = []
        for row in batch:
            key = self.group_key(row)
            if groups and key is not None and self.group_key(groups[-1][0]) == key:
                groups[-1].append(row)
            else:
                groups.append([row])
        for rows in groups:
            parsed = []
            problems: list[tuple[readers.Row, list[tuple[str, str]]]] = []
            for row in rows:
                try:
                    data = self.parse(row)
                    data["customer_obj"] = self.refs.find(data)
                    product = self._product(data["product"])
                    if product is None:
                        raise Rejected([("product", row_message("no_product", value=data["product"]))])
                    data["product_obj"] = product
                    parsed.append((row, data))
                except Rejected as exc:
                    problems.append((row, exc.problems))
            first = parsed[0][1] if parsed else None
            for row, data in parsed[1:]:
                if (data["customer_obj"].pk, data["ordered_on"]) != (first["customer_obj"].pk, first["ordered_on"]):
                    problems.append((row, [("", row_message("order_mixed", line=parsed[0][0].line))]))
            if problems:
                # An order is taken whole or not at all: each of its lines is reported.
                failing = {row.line for row, _p in problems}
                for row, found in problems:
                    tally.reject(row, found)
                for row, _data in parsed:
                    if row.line not in failing:
                        tally.reject(row, [("", row_message("order_mixed", line=problems[0][0].line))])
                continue
            number = first.get("number") or ""
            if number and (existing := Order.objects.filter(number=number).first()):
                for row, _data in parsed:
                    tally.duplicate(row, row_message("duplicate", name=existing.number, reason=reason_label("order")), existing.pk)
                continue
            order = {
                "ordered_on": first["ordered_on"], "number": number, "channel": first.get("channel") or "",
                "status": first.get("status") or "",
                "lines": [
                    {"product": d["product_obj"].pk, "quantity": d["quantity"], "unit_price": d.get("unit_price")} for _r, d in parsed
                ],
            }  # fmt: skip
            try:
                order_create(by=self.by, customer=first["customer_obj"], data=order)
                tally.created += len(parsed)
            except ApplicationError as exc:
                for row, _data in parsed:
                    tally.reject(row, _service_problems(exc))


IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.CUSTOMERS: CustomerImporter,
    ImportKind.CONTACTS: ContactImporter,
    ImportKind.INTERACTIONS: InteractionImporter,
    ImportKind.ORDERS: OrderImporter,
}


def batches(importer: Importer, rows: Iterator[readers.Row], size: int) -> Iterator[list[readers.Row]]:
    batch: list[readers.Row] = []
    for row in rows:
        if len(batch) >= size and (importer.group_key(row) is None or importer.group_key(row) != importer.group_key(batch[-1])):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def _store_issues(job: ImportJob, issues: list[Issue]) -> None:
    ImportIssue.objects.bulk_create(
        [ImportIssue(job=job, line=i.line, kind=i.kind, field=i.field[:64], message=i.message, values=i.values, match_id=i.match_id)
         for i in issues],
        batch_size=500,
    )  # fmt: skip


def shape_of(job: ImportJob) -> readers.Shape:
    return readers.Shape(job.file_format, job.encoding, job.delimiter or ",", job.header_line, list(job.headers))


def run(job: ImportJob, *, by: User, owner: User, progress: Callable[[ImportJob], None] | None = None, batch_rows: int = BATCH_ROWS) -> ImportJob:
    """Import the job's rows from its position on; the caller has claimed the job."""
    path = Path(job.source)
    importer = IMPORTERS[job.kind](job, by, owner)
    rows = readers.rows(path, shape_of(job), skip=job.position)
    if job.dry_run:
        return _dry_run(job, importer, rows, progress, batch_rows)
    for batch in batches(importer, rows, batch_rows):
        tally = Tally()
        with transaction.atomic():
            importer.process(batch, tally)
            _store_issues(job, tally.issues)
            _advance(job, tally, batch)
        if progress:
            progress(job)
    return job


def _advance(job: ImportJob, tally: Tally, batch: list[readers.Row]) -> None:
    job.position += len(batch)
    job.bytes_done = batch[-1].progress
    job.created_count += tally.created
    job.updated_count += tally.updated
    job.duplicate_count += tally.duplicates
    job.rejected_count += tally.rejected
    job.heartbeat_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        position=job.position, bytes_done=job.bytes_done, created_count=job.created_count, updated_count=job.updated_count,
        duplicate_count=job.duplicate_count, rejected_count=job.rejected_count, heartbeat_at=job.heartbeat_at,
    )  # fmt: skip


def _dry_run(job, importer, rows, progress, batch_rows) -> ImportJob:
    """Everything an import would do, each batch rolled back at its end; the
    report and the progress are committed as for a real import. Customers
    that would have been created are remembered by their keys, so a later
    row of the same customer still counts as a duplicate."""
    if isinstance(importer, CustomerImporter):
        importer.remembered = {}
    for batch in batches(importer, rows, batch_rows):
        tally = Tally()
        with transaction.atomic():
            importer.process(batch, tally)
            transaction.set_rollback(True)
        with transaction.atomic():
            _store_issues(job, tally.issues)
            _advance(job, tally, batch)
        if progress:
            progress(job)
    return job


def report_rows(job: ImportJob, *, kind: str = IssueKind.ERROR) -> Iterator[list[str]]:
    """The error file: the header, then each rejected row as it was, with its
    line and what was wrong, so it can be fixed and imported again."""
    width = len(job.headers)
    yield [*job.headers, str(_("Line")), str(_("Problem"))]

    def out(issue: ImportIssue, messages: list[str]) -> list[str]:
        # Short rows are padded so the line and the problem stay in their
        # columns; the cells of a long row beyond the header come after them.
        values = list(issue.values)
        return [*values[:width], *[""] * (width - len(values)), str(issue.line), " ".join(messages), *values[width:]]

    current: ImportIssue | None = None
    messages: list[str] = []
    for issue in job.issues.filter(kind=kind).order_by("line", "id").iterator(chunk_size=2000):
        if current is not None and issue.line != current.line:
            yield out(current, messages)
            messages = []
        current = issue
        messages.append(issue.message)
    if current is not None:
        yield out(current, messages)
