"""Print the demo personas: username, role, institution, password, how to get the code.
Only in DEMO_MODE: the demo's password is public, a real deployment has none."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts.mfa import DEMO_DEVICE_NAME
from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.applicants.models import TeacherLink
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.core.masking import mask_resident_id
from jiaozi.teachers.models import Teacher

DEMO_PASSWORD = "Jiaozi@2024"  # noqa: S105  (the demo's published password)
# Within one institution: the admins first, then the reviewing roles down the chain.
ROLE_ORDER: dict[str, int] = {
    role: n
    for n, role in enumerate(
        [
            Role.PROVINCE_ADMIN,
            Role.SECURITY_ADMIN,
            Role.AUDIT_ADMIN,
            Role.INSTITUTION_ADMIN,
            Role.PROVINCE_REVIEWER,
            Role.CITY_RECHECKER,
            Role.REGISTRATION_REVIEWER,
            Role.SCHOOL_REVIEWER,
            Role.CONFIRMATION_USER,
            Role.CERTIFYING_OFFICER,
        ]
    )
}


def python_command() -> str:
    """How to run manage.py with this interpreter, as the presenter types it: the
    virtualenv's python relative to the current directory (``.venv/bin/python``), not a
    bare ``python`` that may lack the dependencies."""
    exe = sys.executable or "python"
    try:
        rel = os.path.relpath(exe)
    except ValueError:
        return exe
    return rel if not rel.startswith("..") else exe


def teacher_demo_lines() -> list[str]:
    """What the first step of the applicant area asks: the teacher's real name and ID
    (already on the account) and the number of their certificate."""
    user = User.objects.filter(username="teacher_demo").first()
    if user is None:
        return []
    link = TeacherLink.objects.filter(user=user).select_related("certificate").first()
    certificate = link.certificate if link else None
    if certificate is None and user.resident_id:
        lookup = Teacher._meta.get_field("resident_id").lookup(user.resident_id)  # type: ignore[attr-defined]
        certificate = (
            Certificate.objects.filter(**{f"teacher__{k}": v for k, v in lookup.items()})
            .order_by("pk")
            .first()
        )
    lines = [f"  教师姓名：{user.real_name}    身份证号：{mask_resident_id(user.resident_id)}（已在账号中）"]
    if certificate is not None:
        lines.append(f"  教师资格证书编号：{certificate.number}（首次登录“关联教师信息”一步要填）")
    return lines


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = "列出演示环境的登录账号（仅 DEMO_MODE）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="http://127.0.0.1:8000", help="演示站点地址")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_signins 仅在演示环境（DEMO_MODE=1）可用。")
        translation.activate(settings.LANGUAGE_CODE)
        demo_users = TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True).values("user_id")
        staff = list(
            User.objects.filter(kind=User.Kind.STAFF, is_active=True, pk__in=demo_users).select_related(
                "institution"
            )
        )
        staff.sort(
            key=lambda u: (
                u.institution.path if u.institution else "",
                ROLE_ORDER.get(u.role, 99),
                u.username,
            )
        )
        applicants = list(User.objects.filter(kind=User.Kind.APPLICANT, username="teacher_demo"))
        if not staff and not applicants:
            self.stdout.write("没有演示账号。请先运行：python manage.py seed_demo")
            return

        rows = [
            (u.username, str(u.get_role_display()), u.institution.name if u.institution else "—")
            for u in staff
        ]
        rows += [(u.username, str(User.Kind.APPLICANT.label), "—") for u in applicants]
        headers = ("用户名", "角色", "机构")
        widths = [max(_width(h), *(_width(r[i]) for r in rows)) for i, h in enumerate(headers)]
        line = "  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()
        self.stdout.write("")
        host = options["host"].rstrip("/")
        self.stdout.write(f"公众门户：{host}/")
        python = python_command()
        self.stdout.write(f"教师（申请人）登录：{host}{reverse('applicants:login')}（用户名 teacher_demo）")
        for text in teacher_demo_lines():
            self.stdout.write(text)
        self.stdout.write(f"工作人员入口：{host}{reverse('accounts:login')}")
        self.stdout.write(f"统一密码：{DEMO_PASSWORD}")
        self.stdout.write(
            f"动态口令：{python} manage.py demo_totp <用户名>（演示环境的口令页也会显示当前口令）"
        )
        self.stdout.write(
            f"演示日期：{clock.today().isoformat()}；调整：{python} manage.py demo_date YYYY-MM-DD"
            "（如 2024-12-20 看公示期满后的各环节；reset 恢复）"
        )
        self.stdout.write(
            "走一遍（教师申请 → 学校 → 县区 → 公示 → 市 → 省 → 下载申请表）：docs/guide/demo-walkthrough.md"
        )
        self.stdout.write("")
        self.stdout.write(line)
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
        self.stdout.write("")
