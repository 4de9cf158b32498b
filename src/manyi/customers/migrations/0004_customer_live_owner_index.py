"""The index that gives a rep's or an agent's list its page without sorting.

access.visible_parts reads a rep's own live customers apart from those shared
with them; ORDER BY updated_at DESC, id DESC over `owner_id = x AND deleted_at
IS NULL` is this index read backwards, and it counts them without the table.
Plain SQL as in 0003 (a partial index both databases accept)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_live_list_indexes")]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS cust_live_owner_updated ON customers_customer (owner_id, updated_at, id) WHERE deleted_at IS NULL",
            reverse_sql="DROP INDEX cust_live_owner_updated",
            elidable=False,
        )
    ]
