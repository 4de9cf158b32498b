"""Indexes that give the customer list its first page without sorting.

Lists show live customers (deleted_at IS NULL) newest first: ORDER BY
updated_at DESC, id DESC. The model's indexes are (updated_at DESC) and
(team_id, updated_at DESC); neither has the id, so SQLite sorts every row with
the same updated_at prefix, and when the owner is joined in (every list
does) it sorts the whole set: all million customers for an administrator, the
whole team for a manager. An ascending (…, updated_at, id) index read backwards
is exactly that order on both databases, and being partial (live customers
only) it also counts them without reading the table.

Plain SQL that both databases accept, outside the migration state: the model
keeps its declared indexes until they are swapped for these.
"""

from django.db import migrations

INDEXES = {
    "cust_live_updated": "customers_customer (updated_at, id) WHERE deleted_at IS NULL",
    "cust_live_team_updated": "customers_customer (team_id, updated_at, id) WHERE deleted_at IS NULL",
}


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_name_bigram_index")]

    operations = [
        migrations.RunSQL(sql=f"CREATE INDEX {name} ON {definition}", reverse_sql=f"DROP INDEX {name}", elidable=False)
        for name, definition in INDEXES.items()
    ]
