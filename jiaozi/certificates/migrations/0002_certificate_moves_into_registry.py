# The certificate moves from the teachers app into the registry (decision 0135). The
# table keeps its name, ``teachers_certificate``: every operation here changes Django's
# state only, nothing in the database moves. teachers 0004 removes the old state once
# every foreign key points here.

import django.db.models.deletion
from django.db import migrations, models


def content_type_follows(apps, schema_editor):
    # Keep the content type (and the permissions hanging on it) of an existing
    # database; a fresh one has none yet and creates certificates.certificate later.
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="certificates", model="certificate").exists():
        content_type.objects.filter(app_label="teachers", model="certificate").update(app_label="certificates")


def content_type_returns(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="teachers", model="certificate").exists():
        content_type.objects.filter(app_label="certificates", model="certificate").update(app_label="teachers")


class Migration(migrations.Migration):

    dependencies = [
        ("certificates", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("teachers", "0003_composite_indexes_serve_teacher"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Certificate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("number", models.CharField(max_length=17, unique=True, verbose_name="证书编号")),
                        ("qualification_type", models.CharField(choices=[("1", "幼儿园"), ("2", "小学"), ("3", "初级中学"), ("4", "高级中学"), ("5", "中等职业学校"), ("6", "中职实习指导"), ("7", "高等学校")], max_length=1, verbose_name="资格种类")),
                        ("subject", models.CharField(blank=True, max_length=64, verbose_name="任教学科")),
                        ("status", models.CharField(choices=[("valid", "有效"), ("revoked", "撤销"), ("lost", "丧失")], default="valid", max_length=16, verbose_name="证书状态")),
                        ("last_conclusion", models.CharField(blank=True, choices=[("qualified", "注册合格"), ("deferred", "暂缓注册"), ("unqualified", "注册不合格")], max_length=16, verbose_name="上次注册结论")),
                        ("valid_from", models.DateField(blank=True, null=True, verbose_name="注册有效期起")),
                        ("valid_to", models.DateField(blank=True, null=True, verbose_name="注册有效期止")),
                        ("registered_on", models.DateField(blank=True, null=True, verbose_name="注册日期")),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("teacher", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="certificates", to="teachers.teacher")),
                    ],
                    options={
                        "verbose_name": "教师资格证书",
                        "verbose_name_plural": "教师资格证书",
                        "db_table": "teachers_certificate",
                        "indexes": [models.Index(fields=["status", "valid_to"], name="teachers_ce_status_a20040_idx")],
                    },
                ),
                migrations.AlterField(
                    model_name="verificationtoken",
                    name="certificate",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="verification_tokens", to="certificates.certificate", verbose_name="证书"),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_returns, elidable=True),
    ]
