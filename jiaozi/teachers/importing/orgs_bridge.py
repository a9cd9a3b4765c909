"""Schools created or updated by an import.

New schools go through ``jiaozi.orgs.services.institution_create`` (placement rules,
permission, audit row), like a school created by hand. Updating a school's name,
ownership, stage or reviewer has no orgs service yet, so it is done here with the same
discipline: compare-and-set on ``version``, path recomputed (with anything below the
school) when its reviewer changes, an ``INSTITUTION_UPDATED`` audit row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.core import clock
from jiaozi.core.errors import Conflict
from jiaozi.orgs.models import Division, Institution
from jiaozi.orgs.permissions import can_create_institution
from jiaozi.orgs.services import institution_create

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


def may_change_schools(*, actor: User | None, reviewer: Institution) -> bool:
    """Creating or changing a school is an institution admin's act (orgs rules);
    the operator at the command line (``actor`` None) may."""
    return actor is None or can_create_institution(actor=actor, parent=reviewer)


def divisions_with_ancestors(codes: set[str]) -> dict[str, Division]:
    """The divisions with their parents loaded (the placement check walks up the tree:
    without this, a query per level per school)."""
    return Division.objects.select_related("parent__parent__parent").in_bulk(codes)


def school_create(
    *,
    actor: User | None,
    parent: Institution,
    code: str,
    name: str,
    division: Division,
    ownership: str,
    stage: str,
) -> Institution:
    return institution_create(
        actor=actor,
        parent=parent,
        code=code,
        name=name,
        kind=Institution.Kind.SCHOOL,
        division=division,
        ownership=ownership,
        stage=stage,
    )


def school_changes(
    school: Institution, *, parent: Institution, name: str, division_id: str, ownership: str, stage: str
) -> dict[str, Any]:
    wanted = {
        "name": name,
        "division_id": division_id,
        "ownership": ownership,
        "stage": stage,
        "parent_id": parent.pk,
    }
    return {k: v for k, v in wanted.items() if getattr(school, k) != v}


def school_update(
    *,
    actor: User | None,
    school: Institution,
    parent: Institution,
    name: str,
    division_id: str,
    ownership: str,
    stage: str,
) -> bool:
    """Apply the file's facts to ``school``; False when nothing differed."""
    changes = school_changes(
        school, parent=parent, name=name, division_id=division_id, ownership=ownership, stage=stage
    )
    if not changes:
        return False
    old_path = school.path
    if "parent_id" in changes:
        changes["path"] = Institution.path_for(school.code, parent)
        changes["level"] = parent.level
    updated = Institution.objects.filter(pk=school.pk, version=school.version).update(
        **changes, version=F("version") + 1, updated_at=clock.now()
    )
    if updated != 1:
        raise Conflict("学校信息已被他人修改，请重新导入。", code="stale_version")
    if "path" in changes and changes["path"] != old_path:
        # Anything hanging below the school follows it.
        Institution.objects.filter(path__startswith=old_path).exclude(pk=school.pk).update(
            path=Concat(Value(changes["path"]), Substr("path", len(old_path) + 1))
        )
    for key, value in changes.items():
        setattr(school, key, value)
    school.version += 1
    audit_record(
        kind=AuditKind.INSTITUTION_UPDATED,
        actor=actor,
        institution_id=actor.institution_id if actor is not None else parent.pk,
        obj=school,
        details={"section": "teacher_import", "fields": sorted(k.removesuffix("_id") for k in changes)},
    )
    return True
