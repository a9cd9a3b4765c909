# The certificate moved into the registry app (certificates 0002); the column and its
# constraint already point at the same table, so only Django's state changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("certificates", "0002_certificate_moves_into_registry"),
        ("registration", "0007_review_queue_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="application",
                    name="certificate",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="applications", to="certificates.certificate"),
                ),
            ],
            database_operations=[],
        ),
    ]
