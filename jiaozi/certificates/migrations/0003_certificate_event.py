# One history event per change of a certificate (decision 0136).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("certificates", "0002_certificate_moves_into_registry"),
        ("orgs", "0003_load_anhui"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CertificateEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("issued", "颁发"), ("registered", "注册备案"), ("corrected", "更正"), ("reissued", "补发"), ("replaced", "换发"), ("revoked", "撤销")], max_length=16, verbose_name="事件")),
                ("at", models.DateTimeField(verbose_name="时间")),
                ("source_type", models.CharField(blank=True, max_length=64, verbose_name="来源类型")),
                ("source_id", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="来源编号")),
                ("changes", models.JSONField(blank=True, default=dict, verbose_name="变更内容")),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="操作人")),
                ("certificate", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="events", to="certificates.certificate", verbose_name="证书")),
                ("institution", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.institution", verbose_name="办理机构")),
            ],
            options={
                "verbose_name": "证书变更记录",
                "verbose_name_plural": "证书变更记录",
                "indexes": [models.Index(fields=["certificate", "at", "id"], name="cert_event_cert_at")],
            },
        ),
    ]
