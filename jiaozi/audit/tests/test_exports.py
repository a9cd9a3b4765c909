"""Exports above the approval threshold need a second person (SECURITY.md check 25, issue
14 finding 13): the one check, and the inventory of every path that hands out a file,
each either proven to call the check or exempt for a stated reason."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.audit.exports import ExportApproval, ExportNeedsApproval, export_check
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.orgs.tests.factories import LUYANG, bureau, school
from jiaozi.registration.precheck import services as precheck_services
from jiaozi.registration.precheck.selectors import PrecheckFilters
from jiaozi.registration.tests.factories import anhui_2024, certificate, clean_periodic, teacher

MakeStaff = Callable[..., User]
SignedIn = Callable[[User], Client]
JIAOZI = Path(__file__).resolve().parents[2]

# Every function in jiaozi/ (tests and migrations aside) that answers with a file as an
# attachment. GUARDED ones export rows of personal data and must call export_check: a
# test below drives each through HTTP and proves the refusal. EXEMPT ones say why not.
GUARDED = {
    "registration/precheck/views.py::precheck_export": "precheck",
}
EXEMPT = {
    "announcements/attachments.py::attachment_response": (
        "an announcement's attachment: a public document, or a draft's in the author's jurisdiction"
    ),
    "applicants/views.py::profile_export": "the applicant's own data, one person (PIPL art. 45)",
    "applicants/views.py::form_pdf": "the applicant's own registration form, one application",
    "registration/api/applications.py::application_form_pdf": "one application's form, jurisdiction-checked",
    "registration/review/views.py::application_form": "one application's form for a reviewer of its chain, audited",
    "registration/applications/materials.py::material_response": "one material file, jurisdiction-checked",
    "registration/notices/views.py::public_document": "a notice already published to the public",
    "teachers/views.py::import_template": "the empty import template, no personal data",
    "oversight/views.py::statistics_download": "one statistics table: counts only, no personal data; audited",
    "certservices/downloads.py::material_response": "one request's material, holder's or authority's, audited",
    "certservices/downloads.py::paper_response": "one certificate paper, to its holder or issuing authority",
    "certification/applicant_views.py::certificate": "the holder's own certificate, one person",
    "certification/api.py::certification_certificate": "the holder's own certificate, one person",
    "confirmation/applicant_views.py::booking_qr": "the applicant's own check-in code, no personal data",
    "teachers/views.py::import_job_errors": (
        "the uploader's own import errors: values masked, at most 10,000 rows (ErrorLog.limit)"
    ),
}

# Paths that hand out a file only through the export approval flow (jiaozi/exports): they
# call export_check with the request's recorded approval, and the flow's tests prove that
# nothing leaves before the approval (jiaozi/exports/tests/test_flow.py).
APPROVAL_FLOW = {
    "exports/views.py::download": "an approved export request's file, to its requester only",
    "exports/api.py::export_file": "an approved export request's file, to its requester only",
}


def _attachment_functions() -> set[str]:
    found: set[str] = set()
    for path in sorted(JIAOZI.rglob("*.py")):
        rel = path.relative_to(JIAOZI).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                is_attachment = isinstance(node, ast.Constant) and str(node.value).startswith("attachment;")
                is_file_response = (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", "")) == "FileResponse"
                    and any(k.arg == "as_attachment" for k in node.keywords)
                )
                if is_attachment or is_file_response:
                    found.add(f"{rel}::{func.name}")
    return found


def test_every_file_download_is_in_the_export_inventory() -> None:
    found = _attachment_functions()
    missing = found - GUARDED.keys() - EXEMPT.keys() - APPROVAL_FLOW.keys()
    assert not missing, f"a new path hands out files: guard it with export_check or exempt it: {missing}"
    stale = (GUARDED.keys() | EXEMPT.keys() | APPROVAL_FLOW.keys()) - found
    assert not stale, f"inventory entries that no longer exist: {stale}"
    assert not GUARDED.keys() & EXEMPT.keys()
    assert not APPROVAL_FLOW.keys() & (GUARDED.keys() | EXEMPT.keys())


# --- the check ------------------------------------------------------------------------


@pytest.fixture
def reviewer(make_staff: MakeStaff) -> User:
    return make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER, username="exporter")


def _denied() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=AuditKind.EXPORT, outcome=AuditEvent.Outcome.DENIED))


def test_at_the_threshold_passes_and_records_nothing(reviewer: User, settings: Any) -> None:
    settings.EXPORT_APPROVAL_THRESHOLD = 5
    export_check(actor=reviewer, what="x", rows=5)
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()


def test_above_the_threshold_is_refused_with_a_stable_code_and_audited(reviewer: User, settings: Any) -> None:
    settings.EXPORT_APPROVAL_THRESHOLD = 5
    with pytest.raises(ExportNeedsApproval) as caught:
        export_check(actor=reviewer, what="registration_precheck", rows=6)
    assert caught.value.code == "export_needs_approval"
    assert caught.value.status == 403
    assert "6 条" in caught.value.message
    assert "审批" in caught.value.message
    [event] = _denied()
    assert event.actor_id == reviewer.pk
    assert event.details == {
        "what": "registration_precheck",
        "rows": 6,
        "threshold": 5,
        "reason": "export_needs_approval",
    }


@pytest.mark.parametrize(
    ("approver", "what", "max_rows", "allowed"),
    [
        ("other", "registration_precheck", 6, True),
        ("self", "registration_precheck", 6, False),  # nobody approves their own export
        ("none", "registration_precheck", 6, False),
        ("other", "another_export", 6, False),  # approved for something else
        ("other", "registration_precheck", 5, False),  # approved for fewer rows
    ],
)
def test_only_a_second_persons_covering_approval_lets_it_through(
    reviewer: User,
    make_staff: MakeStaff,
    settings: Any,
    approver: str,
    what: str,
    max_rows: int,
    allowed: bool,
) -> None:
    settings.EXPORT_APPROVAL_THRESHOLD = 5
    second = make_staff(bureau(LUYANG), Role.REGISTRATION_REVIEWER, username="second")
    approver_id = {"other": second.pk, "self": reviewer.pk, "none": None}[approver]
    approval = ExportApproval(requester_id=reviewer.pk, approver_id=approver_id, what=what, max_rows=max_rows)
    if allowed:
        export_check(actor=reviewer, what="registration_precheck", rows=6, approval=approval)
        assert not _denied()
    else:
        with pytest.raises(ExportNeedsApproval):
            export_check(actor=reviewer, what="registration_precheck", rows=6, approval=approval)
        assert len(_denied()) == 1


# --- each guarded path ------------------------------------------------------------------


@pytest.fixture
def three_due(db: None) -> None:
    sch = school("3401030001")
    for _ in range(3):
        person = teacher(school=sch)
        clean_periodic(person)
        certificate(person)


def test_precheck_export_service_refuses_above_the_threshold(
    reviewer: User, three_due: None, settings: Any
) -> None:
    settings.EXPORT_APPROVAL_THRESHOLD = 2
    with pytest.raises(ExportNeedsApproval):
        precheck_services.precheck_export(
            actor=reviewer, campaign=anhui_2024(), filters=PrecheckFilters(), purpose="核对名单数据"
        )
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT, outcome=AuditEvent.Outcome.SUCCESS).exists()
    assert len(_denied()) == 1

    settings.EXPORT_APPROVAL_THRESHOLD = 3
    export = precheck_services.precheck_export(
        actor=reviewer, campaign=anhui_2024(), filters=PrecheckFilters(), purpose="核对名单数据"
    )
    assert b"".join(export.chunks).decode("utf-8").count("\n") == 2 + 3


def _drive_precheck(client: Client) -> Any:
    return client.post(
        reverse("registration:precheck_export"), {"purpose": "核对名单数据", "fmt": "csv", "due": "periodic"}
    )


DRIVERS: dict[str, Callable[[Client], Any]] = {"precheck": _drive_precheck}


@pytest.mark.parametrize("path", sorted(GUARDED))
def test_each_guarded_export_path_refuses_above_the_threshold(
    path: str, reviewer: User, signed_in: SignedIn, three_due: None, settings: Any
) -> None:
    client = signed_in(reviewer)
    settings.EXPORT_APPROVAL_THRESHOLD = 0
    response = DRIVERS[GUARDED[path]](client)
    # Refused: no file, a clear message, the screen's filters kept, a denied export audited.
    assert "Content-Disposition" not in response
    assert response.status_code == 302
    assert response["Location"].endswith("?due=periodic")
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "须经另一名工作人员审批" in text
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT, outcome=AuditEvent.Outcome.SUCCESS).exists()
    assert len(_denied()) == 1

    settings.EXPORT_APPROVAL_THRESHOLD = 10_000
    allowed = DRIVERS[GUARDED[path]](client)
    assert allowed.status_code == 200
    assert allowed["Content-Disposition"].startswith("attachment;")


def test_the_precheck_screen_states_the_threshold(
    reviewer: User, signed_in: SignedIn, three_due: None, settings: Any
) -> None:
    settings.EXPORT_APPROVAL_THRESHOLD = 1234
    page = signed_in(reviewer).get(reverse("registration:precheck")).content.decode()
    assert "超过 1234 条的导出须经另一名工作人员审批" in page
