import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The two customer columns are added in place with ALTER TABLE, like 0007 and
# 0010: AddField would rebuild the customers table on SQLite and drop the
# name-search triggers. The constant defaults fill existing rows.
COLUMNS = (
    ("customers_customer", "birthday_calendar", "varchar(8) NOT NULL DEFAULT 'solar'"),
    ("customers_customer", "western_festivals", "{bool} NOT NULL DEFAULT false"),
    ("customers_contact", "birthday_calendar", "varchar(8) NOT NULL DEFAULT 'solar'"),
)

CALENDAR = [("solar", "Solar (Gregorian)"), ("lunar", "Lunar")]
DEPTH = [("awareness", "Awareness"), ("contact", "Contact"), ("satisfaction", "Satisfaction"), ("loyalty", "Loyalty")]


def add(apps, schema_editor):
    boolean = "bool" if schema_editor.connection.vendor == "sqlite" else "boolean"
    for table, column, kind in COLUMNS:
        schema_editor.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind.format(bool=boolean)}')


def drop(apps, schema_editor):
    for table, column, _kind in COLUMNS:
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_customer_coordinates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add, drop)],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="birthday_calendar",
                    field=models.CharField(choices=CALENDAR, default="solar", max_length=8, verbose_name="birthday celebrated on"),
                ),
                migrations.AddField(
                    model_name="customer",
                    name="western_festivals",
                    field=models.BooleanField(default=False, verbose_name="greet on Western festivals"),
                ),
                migrations.AddField(
                    model_name="contact",
                    name="birthday_calendar",
                    field=models.CharField(choices=CALENDAR, default="solar", max_length=8, verbose_name="birthday celebrated on"),
                ),
            ],
        ),
        migrations.CreateModel(
            name="DepthChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("from_depth", models.CharField(choices=DEPTH, max_length=16)),
                ("to_depth", models.CharField(choices=DEPTH, max_length=16)),
                ("evidence", models.CharField(choices=[
                    ("first_interaction", "First interaction"), ("first_purchase", "First purchase"),
                    ("repeat_purchase", "Repeat purchase"), ("survey_satisfied", "Satisfied survey answer"),
                    ("survey_dissatisfied", "Dissatisfied survey answer"), ("referral", "Referred a customer"),
                    ("manual", "Set by hand"),
                ], max_length=24)),
                ("note", models.CharField(blank=True, max_length=200)),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="depth_changes", to="customers.customer")),
            ],
            options={"ordering": ["-at", "-id"], "indexes": [models.Index(fields=["customer", "-at"], name="depth_change_customer_at")]},
        ),
    ]
