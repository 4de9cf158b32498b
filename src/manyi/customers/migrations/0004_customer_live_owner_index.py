"""The index a rep's or an agent's own customers are listed and searched from.

access.visible_parts reads a rep's own live customers apart from those shared
with them. Read backwards, this index is the list's order (updated_at DESC,
id DESC) for one owner, and it carries the searched columns, so a search
among a rep's few thousand customers tests each of them without reading the
table (deleted_at is a column too: SQLite does not count a partial index's
WHERE columns as covered). Plain SQL as in 0003: a partial index both
databases accept."""

from django.db import migrations

COLUMNS = "owner_id, updated_at, id, deleted_at, name, name_pinyin, name_initials, mobile, phone, email"


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_live_list_indexes")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX cust_live_owner_search ON customers_customer ({COLUMNS}) WHERE deleted_at IS NULL",
            reverse_sql="DROP INDEX cust_live_owner_search",
            elidable=False,
        )
    ]
