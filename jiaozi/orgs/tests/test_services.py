"""institution_create and institution_update_public_info."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.orgs.models import Division, Institution
from jiaozi.orgs.services import institution_create, institution_update_public_info
from jiaozi.orgs.tests.factories import bureau, department, school

pytestmark = pytest.mark.django_db

MakeStaff = Callable[..., User]


def test_county_admin_creates_a_school(make_staff: MakeStaff) -> None:
    admin = make_staff(bureau("340103"))
    s = institution_create(
        actor=admin,
        parent=bureau("340103"),
        code="3401030009",
        name="庐阳区第九中学",
        kind="school",
        ownership="public",
        stage="junior",
    )
    assert (s.level, s.division_id, s.path) == ("county", "340103", "/340000/340100/340103/3401030009/")
    event = AuditEvent.objects.get(kind=AuditKind.INSTITUTION_CREATED, object_id=str(s.pk))
    assert event.actor_id == admin.pk
    assert event.details == {"code": "3401030009", "kind": "school", "level": "county", "parent": "340103"}


def test_city_direct_school_takes_the_department_level_and_may_sit_in_a_county() -> None:
    dept = department("340100ZG01", division="340100")
    s = institution_create(
        actor=None,
        parent=dept,
        code="3401000001",
        name="合肥市第一中学",
        kind="school",
        ownership="public",
        stage="senior",
        division=Division.objects.get(code="340103"),
    )
    assert (s.level, s.division_id) == ("city", "340103")


def test_department_and_confirmation_point_take_the_bureau_level() -> None:
    d = institution_create(
        actor=None, parent=bureau("340000"), code="340000ZG01", name="省直属学校管理处", kind="department"
    )
    cp = institution_create(
        actor=None, parent=bureau("340826"), code="340826QR01", name="宿松县确认点", kind="confirmation_point"
    )
    assert (d.level, d.division_id) == ("province", "340000")
    assert (cp.level, cp.division_id, cp.path) == ("county", "340826", "/340000/340826/340826QR01/")


@pytest.mark.parametrize(
    ("parent_code", "kwargs", "code"),
    [
        # a school under a school
        ("3401030001", {"kind": "school", "ownership": "public", "stage": "primary"}, "parent_kind"),
        # a department under a school
        ("3401030001", {"kind": "department"}, "parent_kind"),
        # a school located outside its reviewer's division
        (
            "340103",
            {"kind": "school", "ownership": "public", "stage": "primary", "division": "340202"},
            "division",
        ),
        # a county school declared city-level
        (
            "340103",
            {"kind": "school", "ownership": "public", "stage": "primary", "level": "city"},
            "level_mismatch",
        ),
        # school fields missing / on a non-school
        ("340103", {"kind": "school"}, "school_fields"),
        ("340103", {"kind": "department", "stage": "primary"}, "school_fields"),
        ("340103", {"kind": "spaceship"}, "invalid_kind"),
    ],
)
def test_placement_rules(parent_code: str, kwargs: dict[str, str], code: str) -> None:
    school("3401030001")
    division = kwargs.pop("division", None)
    with pytest.raises(ValidationFailed) as exc:
        institution_create(
            actor=None,
            parent=Institution.objects.get(code=parent_code),
            code="X1234",
            name="某机构",
            division=Division.objects.get(code=division) if division else None,
            **kwargs,
        )
    assert exc.value.code == code
    assert not Institution.objects.filter(code="X1234").exists()


def test_bureau_placement_follows_the_division_tree() -> None:
    # The certifying-authority table (reference data) protects the seeded bureau: the
    # test removes its row first so that the bureau can be created again from scratch.
    from jiaozi.certification.models import AuthorityCode

    AuthorityCode.objects.filter(authority__code="340826").delete()
    Institution.objects.filter(code="340826").delete()
    with pytest.raises(ValidationFailed) as exc:
        institution_create(
            actor=None,
            parent=bureau("340800"),
            code="340826",
            name="宿松县教育局",
            kind="bureau",
            division=Division.objects.get(code="340826"),
        )
    assert exc.value.code == "bureau_parent"
    b = institution_create(
        actor=None,
        parent=bureau("340000"),
        code="340826",
        name="宿松县教育局",
        kind="bureau",
        division=Division.objects.get(code="340826"),
    )
    assert (b.level, b.path) == ("county", "/340000/340826/")


def test_duplicate_code_is_a_conflict() -> None:
    school("3401030001")
    with pytest.raises(Conflict):
        institution_create(
            actor=None,
            parent=bureau("340103"),
            code="3401030001",
            name="重复",
            kind="school",
            ownership="public",
            stage="primary",
        )


@pytest.mark.parametrize("code", ["", "a", "has space", "中文代码", "x" * 33])
def test_bad_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationFailed):
        institution_create(
            actor=None,
            parent=bureau("340103"),
            code=code,
            name="某校",
            kind="school",
            ownership="public",
            stage="primary",
        )


def test_admin_cannot_create_outside_its_jurisdiction(make_staff: MakeStaff) -> None:
    admin = make_staff(bureau("340103"))
    with pytest.raises(NotFound):
        institution_create(
            actor=admin,
            parent=bureau("340102"),
            code="3401020009",
            name="某校",
            kind="school",
            ownership="public",
            stage="primary",
        )


def test_reviewers_cannot_create_institutions(make_staff: MakeStaff) -> None:
    reviewer = make_staff(bureau("340103"), Role.REGISTRATION_REVIEWER)
    with pytest.raises(PermissionDenied):
        institution_create(
            actor=reviewer,
            parent=bureau("340103"),
            code="3401030009",
            name="某校",
            kind="school",
            ownership="public",
            stage="primary",
        )


# --- public info --------------------------------------------------------------


def update(actor: User, institution: Institution, **kw: object) -> Institution:
    values: dict[str, object] = {
        "address": "合肥市庐阳区濉溪路1号",
        "phone": "0551-65661234",
        "office_hours": "工作日 8:30-12:00，14:30-17:30",
        "version": institution.version,
    }
    values.update(kw)
    return institution_update_public_info(actor=actor, pk=institution.pk, **values)  # type: ignore[arg-type]


def test_admin_fills_its_public_info(make_staff: MakeStaff) -> None:
    ly = bureau("340103")
    admin = make_staff(ly)
    updated = update(admin, ly)
    assert (updated.address, updated.phone, updated.version) == ("合肥市庐阳区濉溪路1号", "0551-65661234", 2)
    assert updated.public_info_updated_at is not None
    event = AuditEvent.objects.get(kind=AuditKind.INSTITUTION_UPDATED, object_id=str(ly.pk))
    assert event.details == {
        "section": "public_info",
        "fields": ["address", "phone", "office_hours"],
        "version": 2,
    }


def test_stale_version_is_a_conflict_and_changes_nothing(make_staff: MakeStaff) -> None:
    ly = bureau("340103")
    admin = make_staff(ly)
    update(admin, ly)
    with pytest.raises(Conflict):
        update(admin, ly, address="别的地址", version=1)
    ly.refresh_from_db()
    assert (ly.address, ly.version) == ("合肥市庐阳区濉溪路1号", 2)
    assert AuditEvent.objects.filter(kind=AuditKind.INSTITUTION_UPDATED).count() == 1


def test_superior_admin_sees_but_may_not_fill_a_subordinate_public_info(make_staff: MakeStaff) -> None:
    city_admin = make_staff(bureau("340100"))
    with pytest.raises(PermissionDenied):
        update(city_admin, bureau("340103"))


def test_out_of_scope_public_info_is_not_found(make_staff: MakeStaff) -> None:
    yh_admin = make_staff(bureau("340102"))
    with pytest.raises(NotFound):
        update(yh_admin, bureau("340103"))


def test_reviewer_may_not_fill_public_info(make_staff: MakeStaff) -> None:
    ly = bureau("340103")
    with pytest.raises(PermissionDenied):
        update(make_staff(ly, Role.REGISTRATION_REVIEWER), ly)


@pytest.mark.parametrize(
    ("field", "value"),
    [("address", " "), ("phone", "call me"), ("phone", ""), ("office_hours", ""), ("address", "路" * 256)],
)
def test_public_info_is_validated(make_staff: MakeStaff, field: str, value: str) -> None:
    ly = bureau("340103")
    with pytest.raises(ValidationFailed) as exc:
        update(make_staff(ly), ly, **{field: value})
    assert field in exc.value.field_errors
    ly.refresh_from_db()
    assert ly.version == 1
