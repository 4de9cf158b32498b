import django.core.validators
from django.db import migrations, models

# Added in place with ALTER TABLE, like 0007 and 0008: AddField would rebuild
# the customers table on SQLite and drop the name-search triggers. Each column
# checks its own range; that both or neither are given is the service's rule.
COLUMNS = (("latitude", 90), ("longitude", 180))


def add(apps, schema_editor):
    kind = "real" if schema_editor.connection.vendor == "sqlite" else "double precision"
    for name, limit in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE "customers_customer" ADD COLUMN "{name}" {kind} NULL CHECK ("{name}" BETWEEN -{limit} AND {limit})'
        )


def drop(apps, schema_editor):
    for name, _limit in COLUMNS:
        schema_editor.execute(f'ALTER TABLE "customers_customer" DROP COLUMN "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_duplicates_and_merges"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add, drop)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name=name,
                    field=models.FloatField(
                        blank=True, null=True, verbose_name=name,
                        validators=[django.core.validators.MinValueValidator(-limit), django.core.validators.MaxValueValidator(limit)],
                    ),
                )
                for name, limit in COLUMNS
            ],
        ),
    ]
