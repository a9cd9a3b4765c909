# The stamped registration form (《教师资格定期注册申请表》) of a completed application
# and its verification token (see completion/services.py).

import django.db.models.deletion
import jiaozi.registration.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
        ("registration", "0004_application_form_fields"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistrationForm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "file",
                    models.FileField(
                        blank=True,
                        max_length=255,
                        upload_to=jiaozi.registration.models.registration_form_upload_to,
                    ),
                ),
                ("sha256", models.CharField(blank=True, max_length=64)),
                ("size", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField()),
                ("rendered_at", models.DateTimeField(blank=True, null=True)),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registration_form",
                        to="registration.application",
                    ),
                ),
                (
                    "token",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registration_form",
                        to="certificates.verificationtoken",
                    ),
                ),
            ],
            options={
                "verbose_name": "定期注册申请表",
                "verbose_name_plural": "定期注册申请表",
            },
        ),
    ]
