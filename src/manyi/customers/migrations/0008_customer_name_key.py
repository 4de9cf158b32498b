from django.db import migrations, models

# Added in place with ALTER TABLE, like 0007: AddField would rebuild the
# customers table on SQLite and drop the name-search triggers. Existing rows
# keep an empty key until customers.services.customer_keys_backfill fills
# them (imports and the duplicate finder call it first).
ADD = [
    "ALTER TABLE \"customers_customer\" ADD COLUMN \"name_key\" varchar(200) NOT NULL DEFAULT ''",
    'CREATE INDEX "customers_customer_name_key" ON "customers_customer" ("name_key")',
]
DROP = [
    'DROP INDEX "customers_customer_name_key"',
    'ALTER TABLE "customers_customer" DROP COLUMN "name_key"',
]


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_customer_grade_manual"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, reverse_sql=DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="name_key",
                    field=models.CharField(db_index=True, default="", editable=False, max_length=200),
                ),
            ],
        ),
    ]
