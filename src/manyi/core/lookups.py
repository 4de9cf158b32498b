"""A `prefix` lookup that both databases answer from a plain B-tree index.

Django's `startswith` becomes `LIKE ... ESCAPE`, which SQLite answers by a full
scan (its LIKE is case-insensitive, the index is not). Here SQLite gets a
case-sensitive `GLOB 'abc*'` and PostgreSQL `LIKE 'abc%'`, which its
`varchar_pattern_ops` index (created by Django for indexed CharFields) serves.
Callers normalise case themselves (pinyin and e-mail are stored lower-case).
"""

from django.db.models import CharField, EmailField, Lookup


class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        if connection.vendor == "sqlite":
            escaped = "".join(f"[{c}]" if c in "*?[]" else c for c in value)
            return f"{lhs} GLOB %s", [*lhs_params, escaped + "*"]
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{lhs} LIKE %s", [*lhs_params, escaped + "%"]


CharField.register_lookup(Prefix)
EmailField.register_lookup(Prefix)
