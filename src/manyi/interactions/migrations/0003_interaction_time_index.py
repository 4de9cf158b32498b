# The newest interactions of all, for the home page's recent interactions of a
# team's or everyone's customers (selectors.recent_interactions): without it
# both databases went through every visible customer's interactions and
# sorted them (an administrator's home page took 100 s on SQLite with
# 10,000,000 interactions). Kept out of the model state (RunSQL): the index
# serves one ordering, (occurred_at, id) newest first, on both databases.
# ruff: noqa: RUF012  (Django reads a migration's class attributes, it never changes them)

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('interactions', '0002_emotion_readings'),
    ]

    operations = [
        migrations.RunSQL(
            'CREATE INDEX "inter_time" ON "interactions_interaction" ("occurred_at" DESC, "id" DESC)',
            reverse_sql='DROP INDEX "inter_time"',
        ),
    ]
