"""The demo's oversight data: one planted omission of each kind the data audit finds
(so the report has something to show and each line can be fixed in a walk-through),
and a spot check of the completed registrations.

Plants (the teacher records in 庐阳区):

- 漏报: the persona teacher_demo's teacher is due and has not applied (the teachers' seed);
- 超过办理期限: one application waiting for its school past its deadline;
- 结论与建议不一致未说明理由: one conclusion that departs from the suggestion, no reason;
- 缺少必备材料: the province requires the certificate scan; every demo application that
  left its applicant carries one, except one;
- 同一人重复: a second teacher record with the same name and phone as a demo teacher;
- 资格种类与学段不符: a 幼儿园 certificate applied for at a primary school;
- 注册机构未填公开信息: the registration institutions the demo leaves blank.

The spot check (3 rows, seed ``anhui-2024-demo``) found its first row's filing made on a
forged training certificate and revoked it, so the demo shows a revoked registration.

Idempotent: nothing is planted twice (the duplicate's resident ID is the marker)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.db import transaction

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.core.fields import field_lookup
from jiaozi.core.idcard import make as make_resident_id
from jiaozi.orgs.models import Institution
from jiaozi.oversight.models import OversightSetting, SpotCheck
from jiaozi.oversight.spotchecks import spot_check_draw, spot_check_item_record, spot_check_item_revoke
from jiaozi.registration.models import Application, Campaign, Material
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

from .applications import at

SPOT_CHECK_TITLE = "2024年定期注册省级抽查（演示）"
SPOT_CHECK_SEED = "anhui-2024-demo"
DUPLICATE_RESIDENT_ID = make_resident_id("34010319600229" + "917")
MISMATCH_RESIDENT_ID = make_resident_id("34010319600229" + "928")
MISMATCH_CERTIFICATE = "20153400110000777"
REVOKED_FINDING = "经核查，培训学时证明系伪造（演示）。"
SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"


def _campaign() -> Campaign | None:
    return Campaign.objects.filter(province_code="340000", year=2024).first()


def _applications(campaign: Campaign) -> list[Application]:
    return list(
        Application.objects.filter(campaign=campaign).select_related("applicant", "school").order_by("pk")
    )


def attach_scans(applications: list[Application], *, skip: Application | None) -> int:
    """The certificate scan on every submitted application but ``skip``."""
    n = 0
    for application in applications:
        if application == skip or application.status in (Status.DRAFT, Status.RETURNED, Status.WITHDRAWN):
            continue
        if application.materials.filter(kind=Material.Kind.CERTIFICATE).exists():
            continue
        material = Material(
            application=application,
            kind=Material.Kind.CERTIFICATE,
            original_name="教师资格证书.pdf",
            content_type="application/pdf",
            size=len(SCAN),
            sha256=hashlib.sha256(SCAN).hexdigest(),
            uploaded_by=application.applicant,
            uploaded_at=clock.now(),
        )
        material.file.save("certificate.pdf", ContentFile(SCAN), save=False)
        material.save()
        n += 1
    return n


def _plant_mismatch(campaign: Campaign, like: Teacher, template: Application) -> bool:
    primary = Institution.objects.filter(code__startswith="340103", stage=Institution.Stage.PRIMARY).first()
    applicant = User.objects.filter(username="teacher_demo").first()
    if primary is None or applicant is None:
        return False
    owner = Teacher.objects.create(
        resident_id=MISMATCH_RESIDENT_ID,
        name="演示错配",
        sex="female",
        school=primary,
        post_type=like.post_type,
        employment_type=like.employment_type,
        health=like.health,
        probation_passed_on=dt.date(2015, 8, 31),
    )
    certificate = Certificate.objects.create(
        number=MISMATCH_CERTIFICATE,
        teacher=owner,
        qualification_type="1",
        subject="幼儿园",
        last_conclusion="qualified",
        valid_from=dt.date(2019, 12, 31),
        valid_to=dt.date(2024, 12, 30),
    )
    Application.objects.create(
        campaign=campaign,
        applicant=applicant,
        teacher=owner,
        certificate=certificate,
        school=primary,
        registration_authority=template.registration_authority,
        city_bureau=template.city_bureau,
        province_bureau=template.province_bureau,
        status=Status.DRAFT,
        due="periodic",
        suggestion="qualified",
        step_deadline=campaign.apply_closes_at,
    )
    return True


def _spot_check(campaign: Campaign, done: dict[str, int]) -> None:
    reviewer = User.objects.filter(username="prov_reviewer").first()
    filed = Application.objects.filter(campaign=campaign, status=Status.COMPLETED)
    if reviewer is None or filed.count() < 2 or SpotCheck.objects.filter(title=SPOT_CHECK_TITLE).exists():
        return
    spot_check = spot_check_draw(
        actor=reviewer,
        campaign_id=campaign.pk,
        title=SPOT_CHECK_TITLE,
        mode="size",
        size=3,
        seed=SPOT_CHECK_SEED,
    )
    done["spot_check"] = 1
    # The check found the first row's filing made on a forged training certificate.
    item = spot_check.items.order_by("position").first()
    if item is None:
        return
    spot_check_item_record(
        actor=reviewer, item_id=item.pk, version=item.version, finding=REVOKED_FINDING, outcome="irregular"
    )
    item.refresh_from_db()
    spot_check_item_revoke(
        actor=reviewer, item_id=item.pk, version=item.version, target="registration", reason=REVOKED_FINDING
    )
    done["revoked"] = 1


@transaction.atomic
def oversight_seed() -> dict[str, int]:
    """Plant the data audit's omissions and draw the demo spot check. Returns what was
    planted (empty when already present)."""
    campaign = _campaign()
    done: dict[str, int] = {}
    if (
        campaign is None
        or Teacher.objects.filter(**field_lookup(Teacher, "resident_id", DUPLICATE_RESIDENT_ID)).exists()
    ):
        return done
    OversightSetting.objects.get_or_create(
        province_code="340000", defaults={"required_materials": ["certificate"]}
    )
    applications = _applications(campaign)
    at_school = [a for a in applications if a.status == Status.SCHOOL_REVIEW]
    concluded = [a for a in applications if a.status == Status.CONCLUDED and a.suggestion]
    submitted = [a for a in applications if a.status in (Status.REGISTRATION_REVIEW, Status.CITY_RECHECK)]
    if at_school:
        # Its school was given until 10 October (the demo's today is the 15th).
        Application.objects.filter(pk=at_school[0].pk).update(step_deadline=at(10, 10, 17))
        done["stuck"] = 1
    if concluded:
        other = "deferred" if concluded[0].suggestion == "qualified" else "qualified"
        Application.objects.filter(pk=concluded[0].pk).update(
            conclusion=other, conclusion_reason="（演示：导入的历史结论）", override_reason=""
        )
        done["override"] = 1
    skip = submitted[0] if submitted else None
    if skip is not None:
        # As if filed by import from the old system: the certificate scan never came.
        for material in skip.materials.filter(kind=Material.Kind.CERTIFICATE):
            material.file.delete(save=False)
            material.delete()
    done["scans"] = attach_scans(applications, skip=skip)
    done["materials"] = int(skip is not None)
    original = (
        Teacher.objects.filter(school__code__startswith="340103").exclude(phone="").order_by("pk").first()
    )
    if original is not None:
        # The same person twice: another resident ID, the same name and phone.
        Teacher.objects.create(
            resident_id=DUPLICATE_RESIDENT_ID,
            name=original.name,
            sex=original.sex,
            phone=original.phone,
            school=original.school,
            post_type=original.post_type,
            employment_type=original.employment_type,
            health=original.health,
            probation_passed_on=original.probation_passed_on,
        )
        done["duplicate"] = 1
        if applications and _plant_mismatch(campaign, original, applications[0]):
            done["type_mismatch"] = 1
    _spot_check(campaign, done)
    return done
