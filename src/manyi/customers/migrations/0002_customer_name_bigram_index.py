"""An index for "name contains" searches on Chinese names.

Searching 华为 must find 北京华为科技有限公司. `name LIKE '%华为%'` reads every
row, which at a million customers takes seconds on both databases, and
neither's stock text index helps: SQLite's FTS5 trigram tokenizer and
PostgreSQL's pg_trgm need three characters, while most Chinese words have two.

So every customer's name is kept as the set of its two-character substrings
("bigrams", lower-cased the way the database's lower() does it) in
customers_name_gram, by triggers on customers_customer (insert, update of the
name, delete, and TRUNCATE on PostgreSQL). A search for a text of two or more
characters first takes the customers that have its rarest bigram, then
checks the real condition (`name LIKE '%…%'`) on those only. The bigram set is
a superset of the answer, so results are exactly those of the plain LIKE.

The table has no model: nothing reads or writes it but these triggers and
manyi.customers.selectors.search_q.
"""

from django.db import migrations

# Names are at most 200 characters (the model's max_length, validated on every
# write); the SQLite triggers take their positions from this numbers table.
MAX_POSITIONS = 1000

SQLITE_CREATE = [
    "CREATE TABLE customers_name_gram (gram TEXT NOT NULL, customer_id INTEGER NOT NULL, PRIMARY KEY (gram, customer_id)) WITHOUT ROWID",
    "CREATE INDEX customers_name_gram_customer ON customers_name_gram (customer_id)",
    "CREATE TABLE customers_name_gram_pos (n INTEGER PRIMARY KEY)",
    f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {MAX_POSITIONS}) INSERT INTO customers_name_gram_pos SELECT n FROM s",
    """CREATE TRIGGER customers_name_gram_insert AFTER INSERT ON customers_customer BEGIN
        INSERT OR IGNORE INTO customers_name_gram (gram, customer_id)
        SELECT lower(substr(NEW.name, n, 2)), NEW.id FROM customers_name_gram_pos WHERE n < length(NEW.name);
    END""",
    """CREATE TRIGGER customers_name_gram_update AFTER UPDATE OF name ON customers_customer WHEN OLD.name IS NOT NEW.name BEGIN
        DELETE FROM customers_name_gram WHERE customer_id = OLD.id;
        INSERT OR IGNORE INTO customers_name_gram (gram, customer_id)
        SELECT lower(substr(NEW.name, n, 2)), NEW.id FROM customers_name_gram_pos WHERE n < length(NEW.name);
    END""",
    """CREATE TRIGGER customers_name_gram_delete AFTER DELETE ON customers_customer BEGIN
        DELETE FROM customers_name_gram WHERE customer_id = OLD.id;
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customers_name_gram_insert",
    "DROP TRIGGER IF EXISTS customers_name_gram_update",
    "DROP TRIGGER IF EXISTS customers_name_gram_delete",
    "DROP TABLE IF EXISTS customers_name_gram_pos",
    "DROP TABLE IF EXISTS customers_name_gram",
]

POSTGRES_CREATE = [
    "CREATE TABLE customers_name_gram (gram text NOT NULL, customer_id bigint NOT NULL)",
    "ALTER TABLE customers_name_gram ADD CONSTRAINT customers_name_gram_pkey PRIMARY KEY (gram, customer_id)",
    "CREATE INDEX customers_name_gram_customer ON customers_name_gram (customer_id)",
    """CREATE FUNCTION customers_name_gram_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE customers_name_gram;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM customers_name_gram WHERE customer_id = OLD.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO customers_name_gram (gram, customer_id)
            SELECT DISTINCT lower(substr(NEW.name, i, 2)), NEW.id FROM generate_series(1, char_length(NEW.name) - 1) AS i
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER customers_name_gram_sync AFTER INSERT OR DELETE ON customers_customer "
    "FOR EACH ROW EXECUTE FUNCTION customers_name_gram_sync()",
    "CREATE TRIGGER customers_name_gram_sync_name AFTER UPDATE OF name ON customers_customer "
    "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION customers_name_gram_sync()",
    "CREATE TRIGGER customers_name_gram_truncate AFTER TRUNCATE ON customers_customer "
    "FOR EACH STATEMENT EXECUTE FUNCTION customers_name_gram_sync()",
    "ANALYZE customers_name_gram",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS customers_name_gram_truncate ON customers_customer",
    "DROP TRIGGER IF EXISTS customers_name_gram_sync_name ON customers_customer",
    "DROP TRIGGER IF EXISTS customers_name_gram_sync ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_name_gram_sync()",
    "DROP TABLE IF EXISTS customers_name_gram",
]

STATEMENTS = {"sqlite": (SQLITE_CREATE, SQLITE_DROP), "postgresql": (POSTGRES_CREATE, POSTGRES_DROP)}

# Rebuilding the whole index from the customers table, e.g. after a bulk load
# that ran with the triggers off (bench/generate.py does that).
REBUILD = {
    "sqlite": [
        "DELETE FROM customers_name_gram",
        "DROP INDEX IF EXISTS customers_name_gram_customer",
        "INSERT OR IGNORE INTO customers_name_gram (gram, customer_id) "
        "SELECT lower(substr(c.name, p.n, 2)), c.id FROM customers_customer c JOIN customers_name_gram_pos p ON p.n < length(c.name) "
        "ORDER BY 1, 2",
        "CREATE INDEX customers_name_gram_customer ON customers_name_gram (customer_id)",
        "ANALYZE customers_name_gram",
    ],
    "postgresql": [
        # one sort and an index build instead of fifteen million B-tree inserts
        "TRUNCATE customers_name_gram",
        "ALTER TABLE customers_name_gram DROP CONSTRAINT customers_name_gram_pkey",
        "DROP INDEX customers_name_gram_customer",
        "INSERT INTO customers_name_gram (gram, customer_id) "
        "SELECT DISTINCT lower(substr(c.name, i, 2)), c.id FROM customers_customer c, generate_series(1, char_length(c.name) - 1) AS i",
        "ALTER TABLE customers_name_gram ADD CONSTRAINT customers_name_gram_pkey PRIMARY KEY (gram, customer_id)",
        "CREATE INDEX customers_name_gram_customer ON customers_name_gram (customer_id)",
        "ANALYZE customers_name_gram",
    ],
}


def _run(*lists):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in STATEMENTS:
            raise NotImplementedError(f"no bigram index for {vendor}")
        with schema_editor.connection.cursor() as cursor:
            for statements in lists:
                for sql in statements[vendor]:
                    cursor.execute(sql)

    return run


CREATE = {vendor: create for vendor, (create, _drop) in STATEMENTS.items()}
DROP = {vendor: drop for vendor, (_create, drop) in STATEMENTS.items()}


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_customers_contacts_history")]

    operations = [migrations.RunPython(_run(CREATE, REBUILD), _run(DROP), elidable=False)]
