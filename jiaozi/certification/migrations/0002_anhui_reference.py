"""Reference data: Anhui's certifying-authority codes (illustrative, data/README.md) and
the 2024 second-half certification batch (皖教秘〔2024〕263号)."""

from django.db import migrations


def seed(apps, schema_editor):
    from jiaozi.certification.reference import ensure_anhui

    ensure_anhui(apps)


def unseed(apps, schema_editor):
    apps.get_model("certification", "CertificationBatch").objects.filter(province_code="340000", year=2024).delete()
    apps.get_model("certification", "AuthorityCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_initial"), ("orgs", "0003_load_anhui")]

    operations = [migrations.RunPython(seed, unseed)]
