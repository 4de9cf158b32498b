from django.db import migrations

# The sales platform of domain §5, from outside the wall to inside it.
DEFAULT_STAGES = [
    ("prospect", "潜在客户", "Prospect, first contact", 10, False),
    ("developing", "积极发展", "Being developed", 25, False),
    ("negotiating", "洽谈中", "Negotiating", 50, False),
    ("first_purchase", "初次购买", "First purchase", 80, True),
    ("existing", "现有客户", "Existing customer", 90, True),
    ("key", "重要客户", "Key customer", 95, True),
]


def add_default_stages(apps, schema_editor):
    Stage = apps.get_model("sales", "Stage")
    for position, (key, name, name_en, probability, inside) in enumerate(DEFAULT_STAGES, 1):
        Stage.objects.get_or_create(
            team=None,
            key=key,
            defaults={"name": name, "name_en": name_en, "position": position, "probability": probability, "inside_wall": inside},
        )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_pipeline_quotes_visits")]

    operations = [migrations.RunPython(add_default_stages, migrations.RunPython.noop)]
