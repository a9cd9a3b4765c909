"""The demo's staff personas carry resident IDs (staff filings require one), distinct
from each other and from every demo teacher; personas seeded before the rule get
theirs on the next seed_demo."""

from __future__ import annotations

import pytest

from jiaozi.accounts.models import User
from jiaozi.core import idcard
from jiaozi.demo.institutions import institutions_ensure
from jiaozi.demo.personas import PERSONAS, personas_ensure

pytestmark = pytest.mark.django_db


def test_every_persona_is_filed_with_its_own_valid_resident_id() -> None:
    institutions_ensure()
    personas_ensure()
    ids = {
        u.username: u.resident_id for u in User.objects.filter(username__in=[p.username for p in PERSONAS])
    }
    assert len(ids) == len(PERSONAS)
    assert all(rid and idcard.is_valid(rid) for rid in ids.values())
    assert len(set(ids.values())) == len(PERSONAS)
    assert all((rid or "").startswith("349900") for rid in ids.values())  # no real division: no teacher's


def test_a_persona_seeded_before_the_rule_gets_its_resident_id() -> None:
    institutions_ensure()
    personas_ensure()
    User.objects.filter(username="ly_school").update(resident_id=None, resident_id_bidx=None)
    created, present = personas_ensure()
    assert (created, present) == (0, len(PERSONAS))
    persona = next(p for p in PERSONAS if p.username == "ly_school")
    assert User.objects.get(username="ly_school").resident_id == persona.resident_id
