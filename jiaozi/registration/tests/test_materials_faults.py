"""Faults injected after the state write (issue 14, deliverable 5): an upload or a
deletion that fails half-way leaves the application's materials, the files on disk and
the audit log as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.registration.applications import materials
from jiaozi.registration.applications.materials import material_delete, material_upload
from jiaozi.registration.models import Material
from jiaozi.registration.tests.test_materials import c, draft, media, pdf_bytes, stored_files, upload

__all__ = ["c", "draft", "media"]  # fixtures

pytestmark = pytest.mark.django_db


class Injected(RuntimeError):
    pass


def _fail(*_args: Any, **_kwargs: Any) -> None:
    raise Injected


def test_an_upload_failing_after_its_row_is_written_leaves_nothing(
    c: Any, draft: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The audit row is written after the material's row, in the same transaction.
    monkeypatch.setattr(materials, "audit_record", _fail)

    with pytest.raises(Injected):
        material_upload(
            applicant=c.applicant, application_id=draft.pk, kind="other", file=upload("a.pdf", pdf_bytes())
        )

    assert not Material.objects.exists()
    assert stored_files(media) == []


def test_a_deletion_failing_after_the_row_is_gone_keeps_the_material(
    c: Any, draft: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    material = material_upload(
        applicant=c.applicant, application_id=draft.pk, kind="other", file=upload("a.pdf", pdf_bytes())
    )
    monkeypatch.setattr(materials, "audit_record", _fail)

    with pytest.raises(Injected):
        material_delete(applicant=c.applicant, material_id=material.pk)

    assert Material.objects.filter(pk=material.pk).exists()
    assert len(stored_files(media)) == 1  # the file goes only once the deletion commits
    assert not AuditEvent.objects.filter(kind=AuditKind.MATERIAL_DELETED).exists()
