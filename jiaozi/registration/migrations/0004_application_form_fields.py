# The applicant's form fields on Application.

from django.db import migrations, models

import jiaozi.core.fields


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0003_applications"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="phone",
            field=jiaozi.core.fields.EncryptedField(blank=True, default="", index="", verbose_name="联系电话"),
        ),
        migrations.AddField(
            model_name="application",
            name="address",
            field=models.CharField(blank=True, max_length=200, verbose_name="通讯地址"),
        ),
        migrations.AddField(
            model_name="application",
            name="post",
            field=models.CharField(blank=True, max_length=64, verbose_name="现任岗位（职务）"),
        ),
        migrations.AddField(
            model_name="application",
            name="work_history",
            field=models.TextField(blank=True, verbose_name="近五年工作经历"),
        ),
        migrations.AddField(
            model_name="application",
            name="notes",
            field=models.TextField(blank=True, verbose_name="个人说明"),
        ),
    ]
