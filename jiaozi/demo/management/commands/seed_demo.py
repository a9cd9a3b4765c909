"""Load the demo: institutions, personas and teachers (contract.md, "seed_demo").

Idempotent by *skip if present*: institutions and personas are created only when their
code / username is missing; teachers are loaded only when the demo schools have none
(``--reset`` first deletes the demo schools' teachers and their records). Deterministic:
the same ``--seed`` gives the same people, numbers and records.
See docs/decisions/0022-seed-demo.md.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError

from jiaozi.certificates.models import Certificate
from jiaozi.demo import applications as demo_applications
from jiaozi.demo import certification as demo_certification
from jiaozi.demo import certservices as demo_certservices
from jiaozi.demo import confirmation as demo_confirmation
from jiaozi.demo.institutions import demo_school_codes, institutions_ensure, region_codes, school_infos
from jiaozi.demo.oversight import oversight_seed
from jiaozi.demo.personas import applicant_ensure, personas_ensure
from jiaozi.demo.portal import portal_seed
from jiaozi.demo.teachers import SEED, TeacherGenerator, write_teachers
from jiaozi.orgs.divisions import ensure_province
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import AnnualAppraisal, EthicsAppraisal, Teacher, TeachingBreak, TrainingRecord


class Command(BaseCommand):
    help = "Load the demo data: institutions, personas (password Jiaozi@2024) and N teachers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--teachers", type=int, default=300, help="number of teachers (default 300)")
        parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo schools' teachers first, then load them again",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="teachers per bulk insert (default 5000)"
        )
        parser.add_argument(
            "--no-applications",
            action="store_true",
            help="no registration applications (by default about 90 at every stage, with their teachers)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo needs DEMO_MODE=1: the demo personas share a published password.")
        count: int = options["teachers"]
        if count < 0 or options["batch_size"] < 1:
            raise CommandError("--teachers must be ≥ 0 and --batch-size ≥ 1.")
        started = time.monotonic()
        ensure_province("anhui")

        created, present = institutions_ensure()
        self.stdout.write(f"机构：新建 {created}，已存在 {present}")
        created, present = personas_ensure()
        self.stdout.write(f"演示账号：新建 {created}，已存在 {present}")

        codes = demo_school_codes()
        demo_teachers = Teacher.objects.filter(school__code__in=codes)
        if options["reset"]:
            self._reset(demo_teachers)
        infos = school_infos(codes)
        generator = TeacherGenerator(infos, region_codes=region_codes(), seed=options["seed"])
        existing = demo_teachers.count()
        planned = [] if options["no_applications"] or existing else demo_applications.planned()
        if existing:
            self.stdout.write(f"教师：已有 {existing} 名演示教师，跳过（--reset 可重新生成）")
            first_plans = list(generator.plans(1))
        elif count or planned:
            school_ids = {i.code: i.pk for i in Institution.objects.filter(code__in=codes)}
            first_plans = []

            def remember_first(plans: Any) -> Any:
                for plan in plans:
                    if not first_plans:
                        first_plans.append(plan)
                    yield plan

            load_started = time.monotonic()
            with transaction.atomic():
                written = write_teachers(
                    remember_first(generator.plans(count)),
                    school_ids=school_ids,
                    batch_size=options["batch_size"],
                )
                # The teachers of the demo's applications come after, from the same generator.
                extra = write_teachers(
                    demo_applications.teacher_plans(generator, planned),
                    school_ids=school_ids,
                    batch_size=options["batch_size"],
                )
            self.stdout.write(
                f"教师：新建 {written} 名，另有注册申请演示教师 {extra} 名（{time.monotonic() - load_started:.1f} 秒）"
            )
        else:
            first_plans = []

        if first_plans:
            persona = first_plans[0]
            if applicant_ensure(real_name=persona.name, resident_id=persona.resident_id, phone=persona.phone):
                self.stdout.write("申请人 teacher_demo：已关联演示教师（应参加2024年定期注册）")
        if planned and not demo_applications.present():
            apps_started = time.monotonic()
            counts = demo_applications.seed_applications(planned)
            self.stdout.write(
                f"定期注册申请：新建 {sum(counts.values())} 件，覆盖各环节（{time.monotonic() - apps_started:.1f} 秒）"
            )
        if counts_cert := demo_certification.seed_certification():
            self.stdout.write(f"认定申请：新建 {sum(counts_cert.values())} 件，覆盖各环节")
        # After certification's applications: the points book those still waiting to book.
        points = demo_confirmation.confirmation_seed()
        self.stdout.write(
            f"确认点：新建 {points['points']} 个，开放日 {points['days']} 天，时段 {points['slots']} 个，预约 {points['bookings']} 个"
        )
        seeded = portal_seed()
        self.stdout.write(
            f"公告：新建 {seeded['announcements']} 条；注册计划：新建 {seeded['plans']} 份（瑶海区等留待催办）"
        )
        self.stdout.write(f"监督：数据核查与抽查演示数据 {oversight_seed()}")
        if made := demo_certservices.certservices_seed():
            self.stdout.write(
                f"证书业务：新建申请 {made['requests']} 件（更正待办理、补发已办结），真伪核验 {made['checks']} 件"
            )
            if made["share_url"]:
                self.stdout.write(f"证书分享链接（rd_applicant01，仅显示这一次）：{made['share_url']}")
        self.stdout.write(self.style.SUCCESS(f"演示数据就绪（{time.monotonic() - started:.1f} 秒）。"))

    def _reset(self, teachers: Any) -> None:
        try:
            with transaction.atomic():
                # The demo's authenticity check is on an imported certificate of a demo
                # teacher: it goes with the teachers (and is made again).
                demo_certservices.checks_of(teachers).delete()
                for model in (AnnualAppraisal, EthicsAppraisal, TrainingRecord, TeachingBreak, Certificate):
                    model.objects.filter(teacher__in=teachers).delete()  # type: ignore[attr-defined]
                deleted, _ = teachers.delete()
        except ProtectedError as exc:
            raise CommandError(
                "演示教师已被其他业务数据（如注册申请）引用，无法重置。请删除数据库后重新运行 migrate 与 seed_demo。"
            ) from exc
        self.stdout.write(f"教师：已删除演示教师及其记录（{deleted} 行）")
