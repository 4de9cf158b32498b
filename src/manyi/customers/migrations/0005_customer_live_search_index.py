"""The index a broad customer search walks.

A search with more than 1,000 matches is read in the list's order (updated_at
DESC, id DESC), each customer tested until a page is full (see
selectors.CustomerListing). This index is that order and carries the searched
columns, so the test reads no table row: at a million customers, a pinyin
prefix matching one in a thousand fills its page after ~25,000 index entries,
in a few milliseconds. Plain SQL as in 0003 (a partial index both databases
accept)."""

from django.db import migrations

COLUMNS = "updated_at, id, deleted_at, name, name_pinyin, name_initials, mobile, phone, email"


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_live_owner_index")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS cust_live_search ON customers_customer ({COLUMNS}) WHERE deleted_at IS NULL",
            reverse_sql="DROP INDEX cust_live_search",
            elidable=False,
        )
    ]
