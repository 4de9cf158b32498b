"""Querysets compiled once and run again with other values.

Django builds a query's SQL anew every time it runs, and on the hottest pages
that building costs several times the query itself (bench/: a customer's
360° page spent a third of its time compiling ten small queries). A hot read
whose shape depends on a few values (a user's id, a customer's id) is built
once with stand-in numbers, compiled, and re-run with the real values put
where the stand-ins were: the same SQL Django would have built, and the same
model instances through `Model.objects.raw`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

# Stand-ins: numbers no id or count ever takes, each used once per template.
_STAND_IN_BASE = -7_300_000_000_000


def stand_ins(*names: str) -> dict[str, int]:
    return {name: _STAND_IN_BASE - i for i, name in enumerate(names)}


class QueryTemplate:
    """`build(key, **stand_ins)` returns the queryset; `key` names its shape
    (what changes the SQL text other than the values: a role, a flag)."""

    def __init__(self, *names: str, build: Callable[..., QuerySet]):
        self.names = names
        self.build = build
        self._compiled: dict[tuple, tuple[Model, str, list]] = {}

    def _compile(self, key: Hashable, using: str) -> tuple[Model, str, list]:
        cache_key = (key, connections[using].vendor)
        compiled = self._compiled.get(cache_key)
        if compiled is None:
            marks = stand_ins(*self.names)
            queryset = self.build(key, **marks)
            sql, params = queryset.query.get_compiler(using=using).as_sql()
            slots = {value: name for name, value in marks.items()}
            template = [(slots[p], None) if isinstance(p, int) and p in slots else (None, p) for p in params]
            compiled = (queryset.model, sql, template)
            self._compiled[cache_key] = compiled
        return compiled

    def sql(self, key: Hashable, using: str = "default", **values: Any) -> tuple[str, list]:
        _model, sql, template = self._compile(key, using)
        return sql, [values[name] if name else constant for name, constant in template]

    def raw(self, key: Hashable, using: str = "default", **values: Any) -> list[Model]:
        model, _sql, _template = self._compile(key, using)
        sql, params = self.sql(key, using, **values)
        return list(model._default_manager.db_manager(using).raw(sql, params))
