"""A `prefix` lookup that both databases answer from a plain B-tree index.

Django's `startswith` becomes `LIKE ... ESCAPE`, which SQLite answers by a full
scan (its LIKE is case-insensitive, the index is not). Here SQLite gets a
case-sensitive `GLOB 'abc*'` and PostgreSQL `LIKE 'abc%'`, which its
`varchar_pattern_ops` index (created by Django for indexed CharFields) serves.
Callers normalise case themselves (pinyin and e-mail are stored lower-case).
"""

from django.db.models import CharField, EmailField, Lookup


def glob_escape(value: str) -> str:
    """A text GLOB matches literally: its wildcards in brackets."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in value)


def like_escape(value: str) -> str:
    """A text LIKE matches literally (as Django's prep_for_like_query)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        if connection.vendor == "sqlite":
            return f"{lhs} GLOB %s", [*lhs_params, glob_escape(value) + "*"]
        return f"{lhs} LIKE %s", [*lhs_params, like_escape(value) + "%"]


CharField.register_lookup(Prefix)
EmailField.register_lookup(Prefix)
