"""The demo's certification applications: every stage present, the certified ones
numbered per §6 with their certificate, made by the personas."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiaozi.certification.models import CertificationApplication
from jiaozi.certification.serials import NUMBER
from jiaozi.certification.workflow import Status
from jiaozi.demo.certification import PLANS, seed_certification
from jiaozi.demo.institutions import institutions_ensure
from jiaozi.demo.personas import personas_ensure

pytestmark = pytest.mark.django_db


def test_the_demo_has_certification_applications_at_every_stage(media_root: Path) -> None:
    institutions_ensure()
    personas_ensure()
    counts = seed_certification()
    assert sum(counts.values()) == len(PLANS)
    statuses = set(
        CertificationApplication.objects.filter(applicant__username__startswith="rd_applicant").values_list(
            "status", flat=True
        )
    )
    assert statuses == set(Status.values)
    certified = CertificationApplication.objects.filter(status=Status.CERTIFIED).order_by("serial")
    assert [a.serial for a in certified] == [1, 2]
    assert all(NUMBER.match(a.certificate_number) and a.certificate_id for a in certified)
    assert seed_certification() == {}
