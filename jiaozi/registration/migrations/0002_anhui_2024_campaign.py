"""Reference data: the Anhui 2024 periodic registration campaign (皖教秘〔2024〕263号).

All times Asia/Shanghai. The notice leaves the registration date (定期注册日期) to the
system setting; 2024-12-31 is the reference value (docs/rules.md)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def seed(apps, schema_editor):
    Campaign = apps.get_model("registration", "Campaign")
    step_open, step_close = at(2024, 9, 13), at(2024, 12, 15, 17)
    Campaign.objects.update_or_create(
        province_code="340000",
        year=2024,
        defaults={
            "name": "安徽省2024年中小学教师资格定期注册",
            "registration_date": dt.date(2024, 12, 31),
            "system_opens_at": at(2024, 9, 11),
            "system_closes_at": at(2024, 12, 27, 17),
            "apply_opens_at": step_open,
            "apply_closes_at": step_close,
            "school_review_opens_at": step_open,
            "school_review_closes_at": step_close,
            "review_opens_at": step_open,
            "review_closes_at": step_close,
            "recheck_opens_at": step_open,
            "recheck_closes_at": step_close,
            # 省级终审: from the opening of the steps until the system closes.
            "final_review_opens_at": step_open,
            "final_review_closes_at": at(2024, 12, 27, 17),
            "training_hours_required": Decimal(360),
            "notice_days": 7,
            "is_active": True,
        },
    )


def unseed(apps, schema_editor):
    Campaign = apps.get_model("registration", "Campaign")
    Campaign.objects.filter(province_code="340000", year=2024).delete()


class Migration(migrations.Migration):
    dependencies = [("registration", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
