from django.db import migrations, models

# Added in place with ALTER TABLE on both databases. Django's AddField would
# rebuild the whole customers table on SQLite (a NOT NULL column with a
# default), which drops the name-search triggers of 0002 and rewrites a
# million rows.
ADD = 'ALTER TABLE "customers_customer" ADD COLUMN "grade_manual" boolean NOT NULL DEFAULT false'
DROP = 'ALTER TABLE "customers_customer" DROP COLUMN "grade_manual"'


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_customer_live_team_covering_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, reverse_sql=DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="grade_manual",
                    field=models.BooleanField(default=False, editable=False, verbose_name="graded by hand"),
                ),
            ],
        ),
    ]
