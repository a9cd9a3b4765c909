"""The demo's oversight plants: the data audit lists one omission of each kind, each
clears once fixed; the demo spot check is reproducible and revoked one filing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from jiaozi.accounts.models import User
from jiaozi.certificates.models import VerificationToken
from jiaozi.certificates.selectors import State, verification_get_by_token
from jiaozi.core import clock
from jiaozi.core.fields import field_lookup
from jiaozi.demo import oversight as plants
from jiaozi.demo.applications import at
from jiaozi.orgs.models import Institution
from jiaozi.oversight import dataaudit
from jiaozi.oversight.models import SpotCheck, SpotCheckItem
from jiaozi.oversight.spotchecks import spot_check_redraw
from jiaozi.registration.models import Application, Material, RegistrationForm
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

pytestmark = pytest.mark.django_db


def _lines(kind: str) -> list[dataaudit.Line]:
    user = User.objects.get(username="prov_reviewer")
    campaign = dataaudit.campaign_for(user=user)
    node = Institution.objects.get(code="340000")
    with clock.travel(at(10, 15, 12)):  # the demo's today
        return dataaudit.data_audit_lines(user=user, campaign=campaign, node=node, kind=kind, limit=500)


def test_the_data_audit_lists_each_planted_omission_and_clears_it_when_fixed() -> None:
    call_command("seed_demo", teachers=1, stdout=StringIO(), stderr=StringIO())
    again = plants.oversight_seed()
    assert again == {}  # idempotent
    # 同一人重复
    duplicate = Teacher.objects.get(**field_lookup(Teacher, "resident_id", plants.DUPLICATE_RESIDENT_ID))
    assert any(line.link.endswith(f"/{duplicate.pk}/") for line in _lines("duplicate"))
    # 资格种类与学段不符
    mismatch = Application.objects.get(certificate__number=plants.MISMATCH_CERTIFICATE)
    assert any(
        line.link.endswith(f"/{mismatch.pk}/") or str(mismatch.teacher_id) in line.link
        for line in _lines("type_mismatch")
    )
    stuck = _lines("stuck")
    override = _lines("override")
    materials = _lines("materials")
    assert len(stuck) == 1
    assert len(override) == 1
    assert len(materials) == 1
    assert _lines("missed")
    # Fixed: the duplicate record removed, the mismatched application withdrawn, the
    # stuck one acted on, the override explained, the scan uploaded.
    duplicate.delete()
    Application.objects.filter(pk=mismatch.pk).update(status=Status.WITHDRAWN)
    stuck_pk = int(stuck[0].link.rstrip("/").rsplit("/", 1)[1])
    Application.objects.filter(pk=stuck_pk).update(step_deadline=None, status=Status.REGISTRATION_REVIEW)
    override_pk = int(override[0].link.rstrip("/").rsplit("/", 1)[1])
    Application.objects.filter(pk=override_pk).update(override_reason="经核实，年度考核结果为基本合格")
    missing_pk = int(materials[0].link.rstrip("/").rsplit("/", 1)[1])
    plants.attach_scans([Application.objects.get(pk=missing_pk)], skip=None)
    for kind in ("duplicate", "stuck", "override", "materials"):
        assert _lines(kind) == [], kind
    assert not [line for line in _lines("type_mismatch") if plants.MISMATCH_CERTIFICATE in line.text]
    assert Material.objects.filter(kind=Material.Kind.CERTIFICATE).exists()


def test_the_demo_spot_check_reproduces_and_revoked_one_filing() -> None:
    call_command("seed_demo", teachers=1, stdout=StringIO(), stderr=StringIO())
    spot_check = SpotCheck.objects.get(title=plants.SPOT_CHECK_TITLE)
    assert spot_check.seed == plants.SPOT_CHECK_SEED
    assert spot_check_redraw(spot_check=spot_check)["matches"] is True
    item = spot_check.items.get(outcome=SpotCheckItem.Outcome.REGISTRATION_REVOKED)
    assert item.application.status == Status.REVOKED
    token = RegistrationForm.objects.get(application=item.application).token
    assert isinstance(token, VerificationToken)
    assert verification_get_by_token(token=token.token).state == State.REVOKED
