"""Querysets compiled once and run again with other values.

Django builds a query's SQL anew every time it runs, and on the hottest pages
that building costs several times the query itself (bench/: a customer's
360° page spent a third of its time compiling ten small queries). A hot read
whose shape depends on a few values (a user's id, a customer's id, a search
text) is built once with stand-ins, compiled, and re-run with the real values
put where the stand-ins were: the same SQL Django would have built, and the
same model instances through `Model.objects.raw`.

A text stand-in may reach its parameter escaped and wrapped by its lookup:
`prefix` (core.lookups) makes "abc" GLOB "abc*" on SQLite and LIKE "abc%" on
PostgreSQL, `contains` LIKE "%abc%". The template finds the stand-in inside
the parameter and puts the real value there, escaped the same way.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import RawQuerySet
from django.db.models.sql.query import RawQuery

from manyi.core.lookups import glob_escape, like_escape

# Stand-ins: numbers no id or count ever takes, and texts of private-use
# characters no search or choice holds, each used once per template.
_STAND_IN_BASE = -7_300_000_000_000


def stand_ins(*names: str, texts: tuple[str, ...] = ()) -> dict[str, int | str]:
    marks: dict[str, int | str] = {name: _STAND_IN_BASE - i for i, name in enumerate(names)}
    marks.update({name: f"\ue000{i}\ue001" for i, name in enumerate(texts)})
    return marks


def _raw(value: str) -> str:
    return value


def _text_slot(param: str, mark: str) -> tuple[Callable[[str], str], str, str]:
    """How a text reached its parameter: (escape, before, after)."""
    before, _, after = param.partition(mark)
    if (before, after) == ("", ""):
        return _raw, before, after
    if (before, after) == ("", "*"):
        return glob_escape, before, after
    if before in ("", "%") and after == "%":
        return like_escape, before, after
    raise ValueError(f"A text stand-in reached a parameter in an unknown form: {param!r}")


_PLACEHOLDER = re.compile(r"%([s%])")
# The statements prepared on each PostgreSQL connection (psycopg's, which a
# reconnect replaces): SQL → name. A page's LIMIT is part of its SQL, so pages
# deep in a list make new statements; past this many, they run unprepared.
PREPARED_PER_CONNECTION = 200
_PREPARED: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_NAMES = itertools.count(1)


def execute(cursor, sql: str, params, *, prepare: bool = False) -> None:
    """cursor.execute(sql, params), or on PostgreSQL, for a query marked
    `prepare`, the statement prepared on this connection the first time and
    executed by name after: PostgreSQL parsed and planned a rep's list page
    anew each time, 4 of its 6 ms (bench/). Prepared statements run with a
    generic plan (settings: plan_cache_mode), one for every value, so only a
    query whose best plan does not depend on its values is marked: an id, a
    role, a filter's choice, never a searched text, whose index range is read
    from the text itself."""
    db = cursor.db
    name = None
    if prepare and db.vendor == "postgresql" and settings.MANYI_PREPARED_STATEMENTS:
        statements = _PREPARED.setdefault(db.connection, {})
        name = statements.get(sql)
        if name is None and len(statements) < PREPARED_PER_CONNECTION:
            name = f"manyi_{next(_NAMES)}"
            number = itertools.count(1)
            cursor.execute(f"PREPARE {name} AS " + _PLACEHOLDER.sub(lambda m: f"${next(number)}" if m[1] == "s" else "%", sql))
            statements[sql] = name
    if name is None:
        cursor.execute(sql, params)
    else:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}", params)


def _prepared_so_far(db) -> set[str]:
    return set(_PREPARED.get(db.connection, ()))


def _forget_since(db, kept: set[str]) -> None:
    """After a pipeline that failed: the server skips every statement after
    the failing one, a PREPARE included. Statements registered during it are
    prepared again, under new names, when next used."""
    statements = _PREPARED.get(db.connection, {})
    for sql in set(statements) - kept:
        del statements[sql]


class QueryTemplate:
    """`build(key, **stand_ins)` returns the queryset; `key` names its shape
    (what changes the SQL text other than the values: a role, a flag, which
    filters are set). `names` are numbers, `texts` strings."""

    def __init__(self, *names: str, texts: tuple[str, ...] = (), build: Callable[..., QuerySet]):
        self.names = names
        self.texts = texts
        self.build = build
        self._compiled: dict[tuple, tuple[Model, str, list]] = {}

    def _compile(self, key: Hashable, using: str) -> tuple[Model, str, list]:
        cache_key = (key, connections[using].vendor)
        compiled = self._compiled.get(cache_key)
        if compiled is None:
            marks = stand_ins(*self.names, texts=self.texts)
            queryset = self.build(key, **marks)
            sql, params = queryset.query.get_compiler(using=using).as_sql()
            numbers = {value: name for name, value in marks.items() if isinstance(value, int)}
            texts = {value: name for name, value in marks.items() if isinstance(value, str)}
            template = []
            for p in params:
                if isinstance(p, int) and p in numbers:
                    template.append((numbers[p], None))
                elif isinstance(p, str) and (mark := next((m for m in texts if m in p), None)):
                    template.append((texts[mark], _text_slot(p, mark)))
                else:
                    template.append((None, p))
            compiled = (queryset.model, sql, template)
            self._compiled[cache_key] = compiled
        return compiled

    def sql(self, key: Hashable, using: str = "default", **values: Any) -> tuple[str, list]:
        _model, sql, template = self._compile(key, using)
        params = []
        for name, slot in template:
            if name is None:
                params.append(slot)
            elif slot is None:
                params.append(values[name])
            else:
                escape, before, after = slot
                params.append(before + escape(values[name]) + after)
        return sql, params

    def raw(self, key: Hashable, using: str = "default", **values: Any) -> list[Model]:
        return read_together(self.read(key, using, **values), using=using)[0]

    def read(self, key: Hashable, using: str = "default", **values: Any) -> Read:
        """The query, to run with others in read_together."""
        model, _sql, _template = self._compile(key, using)
        # Without a text, its values are ids and numbers: one plan serves them all.
        return Read(model, *self.sql(key, using, **values), prepare=not self.texts)


class Read(NamedTuple):
    model: type[Model]
    sql: str
    params: list
    prepare: bool = False


def read_together(*reads: Read, using: str = "default") -> list[list[Model]]:
    """Each read's model instances, as Model.objects.raw makes them, the
    reads sent together: on PostgreSQL in one round trip (psycopg's pipeline
    mode). A page of several small reads (the 360° page has five) otherwise
    waits for the server once per read, and under load each wait costs more
    than the read."""
    connection = connections[using]
    connection.ensure_connection()
    cursors = []
    if connection.vendor == "postgresql" and len(reads) > 1:
        kept = _prepared_so_far(connection)
        try:
            with connection.connection.pipeline():
                for read in reads:
                    cursor = connection.cursor()
                    execute(cursor, read.sql, read.params, prepare=read.prepare)
                    cursors.append(cursor)
        except Exception:
            _forget_since(connection, kept)
            raise
    else:
        for read in reads:
            cursor = connection.cursor()
            execute(cursor, read.sql, read.params, prepare=read.prepare)
            cursors.append(cursor)
    out = []
    for read, cursor in zip(reads, cursors, strict=True):
        with cursor:
            out.append(_instances(connection, read, cursor))
    return out


class _Plan(NamedTuple):
    """How a read's rows become instances: what RawQuerySet works out anew
    for every query (which column is which field, the database's value
    converters), some 0.2 ms a read."""

    names: list[str]
    positions: list[int]
    annotations: list[tuple[str, int]]
    compiler: Any
    converters: dict
    cols: list
    composite: bool


# Per database connection: (model, SQL) → _Plan. The SQL fixes the columns.
_PLANS: weakref.WeakKeyDictionary[Any, dict[tuple, _Plan]] = weakref.WeakKeyDictionary()


def _plan(connection, read: Read, cursor) -> _Plan:
    plans = _PLANS.setdefault(connection, {})
    plan = plans.get((read.model, read.sql))
    if plan is None:
        query = _Described(read.sql, connection.alias, read.params, cursor.description)
        queryset = RawQuerySet(read.sql, model=read.model, query=query, params=read.params, using=connection.alias)
        names, positions, annotations = queryset.resolve_model_init_order()
        if read.model._meta.pk.attname not in names:
            raise FieldDoesNotExist("Raw query must include the primary key")
        fields = [queryset.model_fields.get(column) for column in queryset.columns]
        cols = [f.get_col(f.model._meta.db_table) if f else None for f in fields]
        compiler = connection.ops.compiler("SQLCompiler")(query, connection, connection.alias)
        plan = _Plan(names, positions, annotations, compiler, compiler.get_converters(cols), cols, compiler.has_composite_fields(cols))
        if len(plans) >= 1_000:
            plans.clear()
        plans[(read.model, read.sql)] = plan
    return plan


def _instances(connection, read: Read, cursor) -> list[Model]:
    """The rows as model instances, as RawModelIterable makes them."""
    rows = cursor.fetchall()
    plan = _plan(connection, read, cursor)
    if plan.converters:
        rows = plan.compiler.apply_converters(rows, plan.converters)
    if plan.composite:
        rows = plan.compiler.composite_fields_to_tuples(rows, plan.cols)
    model, db, names, positions, annotations = read.model, connection.alias, plan.names, plan.positions, plan.annotations
    instances = []
    for values in rows:
        instance = model.from_db(db, names, [values[pos] for pos in positions])
        for column, pos in annotations:
            setattr(instance, column, values[pos])
        instances.append(instance)
    return instances


class _Described(RawQuery):
    """A raw query already run, known by its cursor's description: RawQuerySet
    works out its columns and fields from it (_plan) without running it again."""

    def __init__(self, sql: str, using: str, params, description):
        super().__init__(sql, using, params)
        self._description = description

    def clone(self, using: str) -> _Described:
        return self

    def _execute_query(self) -> None:
        self.cursor = _Description(self._description)


class _Description:
    def __init__(self, description):
        self.description = description

    def __iter__(self):
        return iter(())

    def close(self) -> None:
        """RawQuery closes its cursor; this one holds a description only."""
