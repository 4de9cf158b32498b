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

from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

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
        return Read(model, *self.sql(key, using, **values))


class Read(NamedTuple):
    model: type[Model]
    sql: str
    params: list


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
        with connection.connection.pipeline():
            for read in reads:
                cursor = connection.cursor()
                cursor.execute(read.sql, read.params)
                cursors.append(cursor)
    else:
        for read in reads:
            cursor = connection.cursor()
            cursor.execute(read.sql, read.params)
            cursors.append(cursor)
    out = []
    for read, cursor in zip(reads, cursors, strict=True):
        with cursor:
            query = _ReadAlready(read.sql, using, read.params, cursor.fetchall(), cursor.description)
        out.append(list(RawQuerySet(read.sql, model=read.model, query=query, params=read.params, using=using)))
    return out


class _ReadAlready(RawQuery):
    """A raw query whose rows are in hand: RawQuerySet turns them into model
    instances (column order, converters, annotations) without running it."""

    def __init__(self, sql: str, using: str, params, rows: list[tuple], description):
        super().__init__(sql, using, params)
        self._rows = rows
        self._description = description

    def clone(self, using: str) -> _ReadAlready:
        return self

    def _execute_query(self) -> None:
        self.cursor = _Rows(self._rows, self._description)


class _Rows:
    def __init__(self, rows: list[tuple], description):
        self.rows = rows
        self.description = description

    def __iter__(self):
        return iter(self.rows)

    def close(self) -> None:
        """RawQuerySet closes its cursor when done; this one holds rows only."""
