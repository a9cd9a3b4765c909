"""The load test's seed and its invariant check (docs/decisions/0276): the seed makes a
deadline day on a scratch database only; ``load_check`` passes after real submits and
decisions, and fails when a transition is lost or an audit row is missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditEvent
from jiaozi.core import clock
from jiaozi.demo.load import NotAScratchDatabase, seed_deadline_day
from jiaozi.registration.models import Application, ApplicationStep, Campaign
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


def test_the_seed_refuses_a_database_that_is_not_a_load_tests(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("LOAD_SEED_ALLOWED", raising=False)
    monkeypatch.setitem(__import__("django.db").db.connection.settings_dict, "NAME", "jiaozi")
    with pytest.raises(NotAScratchDatabase):
        seed_deadline_day(teachers=5, drafts=2, reviewers=1, out=tmp_path / "a.json")


def test_a_deadline_day_then_the_check(tmp_path: Path, monkeypatch: Any, media_root: Path) -> None:
    monkeypatch.setenv("LOAD_SEED_ALLOWED", "1")
    out = tmp_path / "accounts.json"
    counts = seed_deadline_day(teachers=30, drafts=10, reviewers=2, out=out, signed_in=3)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert counts["drafts"] == 10
    assert len(data["sessions"]) == 3
    campaign = Campaign.objects.get(is_active=True, province_code="340000")
    assert campaign.apply_opens_at < clock.now() < campaign.apply_closes_at  # today is the deadline day
    draft = Application.objects.get(pk=data["drafts"][0]["application"])
    assert draft.status == Status.DRAFT
    reviewer = User.objects.get(username=data["reviewers"][0]["username"])

    application_transition(
        actor=draft.applicant, application_id=draft.pk, action="submit", version=draft.version, full=False
    )
    pending = Application.objects.get(pk=data["pending"][0])
    application_transition(
        actor=reviewer,
        application_id=pending.pk,
        action="conclude",
        version=1,
        conclusion="qualified",
        full=False,
    )
    submitted = tmp_path / "submitted.jsonl"
    submitted.write_text(json.dumps({"submitted": [draft.pk]}) + "\n", encoding="utf-8")
    call_command("load_check", accounts=str(out), submitted=str(submitted))

    # A transition lost: the version moved without its step.
    Application.objects.filter(pk=data["pending"][1]).update(version=F("version") + 1)
    with pytest.raises(CommandError):
        call_command("load_check", accounts=str(out), submitted=str(submitted))
    Application.objects.filter(pk=data["pending"][1]).update(version=F("version") - 1)
    call_command("load_check", accounts=str(out), submitted=str(submitted))

    # An answer said "submitted" for an application still in draft.
    still = data["drafts"][1]["application"]
    submitted.write_text(json.dumps({"submitted": [draft.pk, still]}) + "\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_check", accounts=str(out), submitted=str(submitted))
    assert ApplicationStep.objects.filter(application=draft).count() == 1
    assert AuditEvent.objects.filter(object_id=str(draft.pk)).exists()
