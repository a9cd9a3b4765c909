# The certificate moved into the registry app (certificates 0002); the column and its
# constraint already point at the same table, so only Django's state changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("applicants", "0001_initial"),
        ("certificates", "0002_certificate_moves_into_registry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="teacherlink",
                    name="certificate",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="certificates.certificate", verbose_name="核验证书"),
                ),
            ],
            database_operations=[],
        ),
    ]
