"""Load Anhui's divisions and one education bureau per division (§2), so that
``migrate`` alone leaves a usable institution tree. Same loader as
``manage.py load_divisions``; see docs/decisions/0020-division-data-and-province-config.md."""

from django.db import migrations

from jiaozi.orgs.divisions import load_province, province_config, unload_province


def load(apps, schema_editor):
    load_province(
        division_model=apps.get_model("orgs", "Division"),
        institution_model=apps.get_model("orgs", "Institution"),
        config=province_config("anhui"),
    )


def unload(apps, schema_editor):
    unload_province(
        division_model=apps.get_model("orgs", "Division"),
        institution_model=apps.get_model("orgs", "Institution"),
        config=province_config("anhui"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_institution_authority_code_version"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
