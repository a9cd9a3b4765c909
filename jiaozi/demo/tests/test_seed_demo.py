"""seed_demo: personas, institutions and teachers; idempotent and deterministic."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Certificate
from jiaozi.demo.institutions import DEMO_CITIES, demo_plan
from jiaozi.demo.personas import PERSONAS
from jiaozi.demo.teachers import REGISTRATION_DATE
from jiaozi.orgs.models import Division, Institution
from jiaozi.orgs.routing import review_chain
from jiaozi.registration.precheck.selectors import precheck_context, precheck_stream
from jiaozi.teachers.models import AnnualAppraisal, EthicsAppraisal, Teacher, TrainingRecord

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[object, ...]]:
    """The demo teachers' content, independent of primary keys and ciphertexts."""
    rows = []
    for t in Teacher.objects.select_related("school").prefetch_related(
        "certificates", "annual_appraisals", "training_records"
    ):
        rows.append(
            (
                t.resident_id,
                t.name,
                t.phone,
                t.school.code,
                t.post_type,
                t.employment_type,
                tuple((c.number, c.last_conclusion, c.valid_to) for c in t.certificates.all()),
                tuple(sorted((a.year, a.grade) for a in t.annual_appraisals.all())),
                tuple(sorted((r.date, r.hours) for r in t.training_records.all())),
            )
        )
    return sorted(rows)


def test_seed_demo_loads_personas_institutions_and_teachers() -> None:
    call_command("seed_demo", teachers=50, no_applications=True)

    staff = User.objects.filter(username__in=[p.username for p in PERSONAS])
    assert staff.count() == len(PERSONAS)  # every persona, whatever wings add
    for persona in PERSONAS:
        user = staff.get(username=persona.username)
        assert user.institution is not None
        assert (user.role, user.institution.code, user.kind) == (persona.role, persona.institution, "staff")
        assert user.check_password("Jiaozi@2024")
        assert not user.must_change_password
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    # Every county of 合肥市 and 芜湖市 has several schools of several stages and ownerships.
    for county in Division.objects.filter(parent_id__in=DEMO_CITIES):
        schools = Institution.objects.filter(
            kind="school", division=county, parent_id=county.institutions.get(kind="bureau").pk
        )
        assert schools.count() >= 5, county
        assert schools.values("stage").distinct().count() >= 4
        assert set(schools.values_list("ownership", flat=True)) == {"public", "private"}
    assert Institution.objects.filter(code__in=[p.code for p in demo_plan()]).count() == len(demo_plan())

    # The routing covers every kind of demo school.
    chains = {
        code: [i.code for i in review_chain(Institution.objects.get(code=code))]
        for code in ("3401030001", "3401000001", "3400000001", "3408260001", "3401810101")
    }
    assert chains == {
        "3401030001": ["3401030001", "340103", "340100", "340000"],
        "3401000001": ["3401000001", "340100ZG01", "340100", "340000"],
        "3400000001": ["3400000001", "340000ZG01", "340000"],
        "3408260001": ["3408260001", "340826", "340000"],
        "3401810101": ["3401810101", "340181ZG01", "340100", "340000"],
    }

    assert Teacher.objects.count() == 50
    assert Certificate.objects.count() == 49  # the showcase has one teacher without a certificate
    assert AnnualAppraisal.objects.filter(year__range=(2019, 2023)).exists()
    assert EthicsAppraisal.objects.exists()
    assert TrainingRecord.objects.exists()


def test_teacher_demo_is_an_applicant_due_for_periodic_registration() -> None:
    call_command("seed_demo", teachers=50, no_applications=True)
    applicant = User.objects.get(username="teacher_demo")
    assert applicant.kind == User.Kind.APPLICANT
    assert applicant.institution is None
    assert applicant.resident_id
    teacher = Teacher.objects.get(**Teacher._meta.get_field("resident_id").lookup(applicant.resident_id))  # type: ignore[union-attr]
    assert teacher.school.code == "3401030001"
    assert teacher.name == applicant.real_name
    ctx = precheck_context(registration_date=REGISTRATION_DATE)
    rows = list(precheck_stream(ctx=ctx, teachers=Teacher.objects.filter(pk=teacher.pk)))
    assert [(r.result.due, r.result.suggestion) for r in rows] == [("periodic", "qualified")]


def test_running_twice_duplicates_nothing() -> None:
    call_command("seed_demo", teachers=30, no_applications=True)
    before = (
        User.objects.count(),
        Institution.objects.count(),
        Teacher.objects.count(),
        Certificate.objects.count(),
    )
    call_command("seed_demo", teachers=30, no_applications=True)
    assert (
        User.objects.count(),
        Institution.objects.count(),
        Teacher.objects.count(),
        Certificate.objects.count(),
    ) == before


def test_reset_reloads_the_same_teachers() -> None:
    call_command("seed_demo", teachers=40, no_applications=True)
    first = snapshot()
    call_command("seed_demo", teachers=40, reset=True, no_applications=True)
    assert snapshot() == first
    call_command("seed_demo", teachers=40, reset=True, seed=7, no_applications=True)
    assert snapshot() != first


def test_encrypted_fields_are_searchable_after_the_bulk_load() -> None:
    call_command("seed_demo", teachers=20, no_applications=True)
    teacher = Teacher.objects.order_by("pk").last()
    assert teacher is not None
    found = Teacher.objects.get(**Teacher._meta.get_field("resident_id").lookup(teacher.resident_id))  # type: ignore[union-attr]
    assert found == teacher
    assert Teacher.objects.filter(**Teacher._meta.get_field("phone").lookup(teacher.phone)).exists()  # type: ignore[union-attr]


def test_public_info_is_partly_filled() -> None:
    call_command("seed_demo", teachers=0, no_applications=True)
    assert Institution.objects.get(code="340103").phone
    assert not Institution.objects.get(code="340102").phone  # 瑶海区 has not filled it: the demo's to-do


@override_settings(DEMO_MODE=False)
def test_refuses_outside_demo_mode() -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo", teachers=1, no_applications=True)
    assert not User.objects.filter(username="prov_admin").exists()
