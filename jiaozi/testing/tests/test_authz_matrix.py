"""The authorization matrix (SECURITY 9, issue 14): every URL of the site and every
operation of the API × every role × own or other jurisdiction → the expected status,
read from the data files ``jiaozi/testing/authz_matrix*.csv`` (one per wing).

Columns: ``name`` (a URL name, ``api:<operation id>`` for the API), ``method``,
``object`` (what the path's id names, ``-`` for none), ``scope`` (``own``: the object
belongs to the Luyang chain every staff actor below is filed in; ``other``: to a school
in another city, 宿松县; ``-``), one column per role, and ``note``.

The actors: the applicant of the Luyang chain and one staff account per role at that
chain's institutions (the school, 庐阳区 bureau, its 确认点, 合肥市, the province).

Every cell holds the status the code must answer; there is no "known wrong" cell. A
change in who may do what is a change to this file, reviewed with the code.

Each cell runs in its own savepoint, rolled back after it, with a fresh client and an
empty cache, so no cell sees another's writes. ``JZ_AUTHZ_RECORD=<path>`` writes the
statuses observed into a copy of the file (to review, never to copy blindly)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.testing import sign_in
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certservices.tests.factories import matrix_check as certsvc_check
from jiaozi.certservices.tests.factories import matrix_objects as certsvc_objects
from jiaozi.confirmation.testing import matrix_api_bodies as confirmation_api_bodies
from jiaozi.confirmation.testing import matrix_path_kwargs as confirmation_path_kwargs
from jiaozi.confirmation.testing import matrix_world as confirmation_matrix_world
from jiaozi.core import clock
from jiaozi.notifications.services import notify
from jiaozi.orgs.tests.factories import LUYANG, confirmation_point
from jiaozi.registration import notices
from jiaozi.registration.models import Material
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    applicant_for,
    application,
    chain,
    due_teacher,
    link,
)
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import ImportJob

pytestmark = pytest.mark.django_db

# The matrix is one file per wing: authz_matrix.csv (registration and the workspace) and
# authz_matrix_<wing>.csv beside it, all with the same columns.
MATRIX_DIR = Path(__file__).resolve().parent.parent
MATRIX_FILES = sorted(MATRIX_DIR.glob("authz_matrix*.csv"))
ROLES = (
    "anonymous",
    "applicant",
    Role.SCHOOL_REVIEWER.value,
    Role.REGISTRATION_REVIEWER.value,
    Role.CITY_RECHECKER.value,
    Role.PROVINCE_REVIEWER.value,
    Role.CONFIRMATION_USER.value,
    Role.CERTIFYING_OFFICER.value,
    Role.INSTITUTION_ADMIN.value,
    Role.PROVINCE_ADMIN.value,
    Role.SECURITY_ADMIN.value,
    Role.AUDIT_ADMIN.value,
)
# URL names that are not pages of the product: Django's admin (gated, its own tests) and
# the API's catch-all, schema and docs pages (rows of their own below).
NOT_IN_MATRIX_NAMESPACES = frozenset({"admin"})
# URL names of the API that are no operation: its schema and its root.
API_PAGES = frozenset({"api:openapi-json", "api:openapi-view", "api:api-root"})
# The API's catch-all for unknown paths: a problem+json 404 whoever asks.
API_CATCH_ALL = "api:not-found"


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    object: str
    scope: str
    expected: dict[str, str]
    note: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.method, self.scope)


def load() -> list[Row]:
    rows: list[Row] = []
    for matrix_file in MATRIX_FILES:
        with matrix_file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(line for line in handle if not line.startswith("#"))
            rows.extend(
                Row(
                    name=r["name"],
                    method=r["method"],
                    object=r["object"],
                    scope=r["scope"],
                    expected={role: r[role] for role in ROLES},
                    note=r.get("note", ""),
                )
                for r in reader
            )
    return rows


ROWS = load()


# ── every URL and every operation is in the file ──────────────────────────────────


def site_url_names() -> set[str]:
    """Every named URL of the site outside the API, ``namespace:name``."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if ns in NOT_IN_MATRIX_NAMESPACES or ns == "api":
                    continue
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, "")
    return names


def api_url_names() -> set[str]:
    """Every named URL under /api/v1/, ``api:name``."""
    for p in get_resolver().url_patterns:
        if isinstance(p, URLResolver) and p.namespace == "api":
            return {f"api:{q.name}" for q in p.url_patterns if isinstance(q, URLPattern) and q.name}
    return set()


def api_operations() -> set[tuple[str, str]]:
    """Every operation of the API, (``api:<operation id>``, method)."""
    from config.api import api

    schema = api.get_openapi_schema()
    return {
        (f"api:{op['operationId']}", method.upper())
        for ops in schema["paths"].values()
        for method, op in ops.items()
    }


def test_every_url_and_operation_is_in_the_matrix() -> None:
    in_file = {row.name for row in ROWS}
    missing_urls = site_url_names() - in_file
    missing_ops = api_operations() - {(row.name, row.method) for row in ROWS}
    assert not missing_urls, f"URL names missing from the authz_matrix*.csv files: {sorted(missing_urls)}"
    assert not missing_ops, f"API operations missing from the authz_matrix*.csv files: {sorted(missing_ops)}"
    operation_names = {name for name, _m in api_operations()}
    stray = api_url_names() - operation_names - API_PAGES - {API_CATCH_ALL}
    assert not stray, f"API URLs that are neither an operation nor a known page: {sorted(stray)}"
    known = site_url_names() | {name for name, _m in api_operations()} | API_PAGES
    unknown = in_file - known
    assert not unknown, f"rows naming no URL or operation: {sorted(unknown)}"


def test_every_object_url_has_both_scopes() -> None:
    scopes: dict[tuple[str, str], set[str]] = {}
    for row in ROWS:
        scopes.setdefault((row.name, row.method), set()).add(row.scope)
        assert row.scope in {"-", "own", "other"}, row
        assert row.object != "-" or row.scope == "-", row
        for role, cell in row.expected.items():
            assert cell.isdigit(), (row.key, role, cell)
    for key, found in scopes.items():
        assert found in ({"-"}, {"own", "other"}), (key, found)
    assert len({row.key for row in ROWS}) == len(ROWS), "a row repeats"


# ── the world every cell runs in ──────────────────────────────────────────────────


@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[tuple[str, str], Any] = field(default_factory=dict)


def _material(app: Any, c: Chain) -> Material:
    data = b"%PDF-1.4\n% matrix\n"
    material = Material(
        application=app,
        kind=Material.Kind.TRAINING,
        original_name="培训证明.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=c.applicant,
        uploaded_at=clock.now(),
    )
    material.file.save("m.pdf", ContentFile(data), save=False)
    material.save()
    return material


def _objects(c: Chain, admin: User) -> dict[str, Any]:
    """One object of each kind belonging to chain ``c``."""
    app = application(c, status=Status.REGISTRATION_REVIEW)
    owner, cert = due_teacher(c.school, name="公示人")
    published = application(c, status=Status.CONCLUDED, applicant=applicant_for(owner), certificate_=cert)
    notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[published.pk])
    objection = notices.objection_submit(
        notice_id=notice.pk,
        application_id=published.pk,
        anonymous=False,
        name="李四",
        contact="13800138000",
        content="该教师近五年有一年未参加年度考核，与公示结论不符。",
        ip="203.0.113.7",
    )
    return {
        "application": app,
        "material": _material(app, c),
        "staff": make_staff(role=Role.SCHOOL_REVIEWER, institution=c.school),
        "institution": c.school,
        "teacher": c.teacher,
        "import_job": ImportJob.objects.create(
            created_by=admin, institution=admin.institution, original_name="a.xlsx", status="rejected"
        ),
        "notice": notice,
        "objection": objection,
        "notification": notify(user=c.applicant, kind="t", title="t", body="", channels=["inbox"]),
        **_certification_objects(c),
    }


def _portal_objects(admin: User) -> dict[str, Any]:
    """The portal wing's objects of one chain: an announcement of the chain's bureau,
    published, with one attachment."""
    from jiaozi.announcements import services as announcements

    announcement = announcements.announcement_create(actor=admin, title="矩阵公告", body="正文")
    data = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\nstartxref\n0\n%%EOF\n"
    attachment = announcements.attachment_add(
        actor=admin, announcement_id=announcement.pk, file=ContentFile(data, name="附件.pdf")
    )
    announcements.announcement_publish(actor=admin, pk=announcement.pk, version=1)
    # Live already when each cell's clock starts again at OPEN.
    type(announcement).objects.filter(pk=announcement.pk).update(
        publish_at=clock.now() - dt.timedelta(hours=1)
    )
    return {"announcement": announcement, "attachment": attachment}


# ── certification (authz_matrix_cert.csv) ─────────────────────────────────────────────


def _certification_objects(c: Chain) -> dict[str, Any]:
    from jiaozi.certification.tests.factories import matrix_application

    point_code = f"{c.authority.code}QR01"
    return {"certification": matrix_application(c.applicant, c.authority, point_code)}


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> Iterator[World]:
    settings.MEDIA_ROOT = str(tmp_path)
    with clock.travel(OPEN):
        c, other = chain(), chain("susong")
        c_applicant = link(c.applicant, c.teacher)
        users: dict[str, User | None] = {
            "anonymous": None,
            "applicant": c_applicant,
            Role.SCHOOL_REVIEWER: c.school_reviewer,
            Role.REGISTRATION_REVIEWER: c.registration_reviewer,
            Role.CITY_RECHECKER: c.city_rechecker,
            Role.PROVINCE_REVIEWER: c.province_reviewer,
            Role.CONFIRMATION_USER: make_staff(
                role=Role.CONFIRMATION_USER, institution=confirmation_point("340103QR01", LUYANG)
            ),
            Role.CERTIFYING_OFFICER: make_staff(role=Role.CERTIFYING_OFFICER, institution=c.authority),
            Role.INSTITUTION_ADMIN: make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority),
            Role.PROVINCE_ADMIN: make_staff(role=Role.PROVINCE_ADMIN, institution=c.province),
            Role.SECURITY_ADMIN: make_staff(role=Role.SECURITY_ADMIN, institution=c.province),
            Role.AUDIT_ADMIN: make_staff(role=Role.AUDIT_ADMIN, institution=c.province),
        }
        admin = users[Role.INSTITUTION_ADMIN]
        other_admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=other.authority)
        assert admin is not None
        w = World(users=users)
        for scope, ch, adm in (("own", c, admin), ("other", other, other_admin)):
            for kind, obj in _objects(ch, adm).items():
                w.objects[(kind, scope)] = obj
        w.objects[("campaign", "-")] = c.campaign
        # The clock runs while the world is built; every cell runs at OPEN, so each notice
        # is made to start then (a later start would hide it from the public).
        for scope in ("own", "other"):
            notice = w.objects[("notice", scope)]
            type(notice).objects.filter(pk=notice.pk).update(
                starts_at=OPEN, ends_at=OPEN + (notice.ends_at - notice.starts_at)
            )
        # ── portal wing: announcements (published, each with an attachment) ──
        for scope, adm in (("own", admin), ("other", other_admin)):
            w.objects.update({(kind, scope): obj for kind, obj in _portal_objects(adm).items()})
        w.objects[("audit_event", "-")] = audit_record(
            kind=AuditKind.STAFF_UPDATED, actor=admin, obj=admin, details={"field": "post"}
        )
        w.objects[("token", "-")] = "A" * 40
        # Registration rules wing: a live window extension of the campaign.
        w.objects[("extension", "-")] = _rules_extension(c)
        # certservices (authz_matrix_certsvc.csv): each chain's certificate, a request, its material.
        for scope, ch, holder in (("own", c, c_applicant), ("other", other, other.applicant)):
            w.objects[("certificate", scope)] = ch.certificate
            request_row, material = certsvc_objects(ch.certificate, holder, ch.authority)
            w.objects[("service_request", scope)], w.objects[("request_material", scope)] = (
                request_row,
                material,
            )
            w.objects[("authenticity_check", scope)] = certsvc_check(
                ch.certificate, ch.registration_reviewer, ch.authority
            )
        oversight_objects(w, c, other)
        _share_and_export_objects(w, (("own", c, c_applicant), ("other", other, other.applicant)))
        # confirmation (authz_matrix_confirm.csv): a point, day, slot, booking and record per scope.
        w.objects.update(
            confirmation_matrix_world(
                own=(c.authority, users[Role.CONFIRMATION_USER].institution, c_applicant),  # type: ignore[union-attr]
                other=(other.authority, confirmation_point("340826QR01", "340826"), other.applicant),
            )
        )
        assert AuditEvent.objects.exists()
        yield w
        w.objects[("reference_source", "-")].uninstall()


# ── oversight: spot checks, their items, certificates ──────────────────────────


def oversight_objects(w: World, c: Chain, other: Chain) -> None:
    """A spot check per scope: "own" holds an item of the Luyang chain assigned to its
    city rechecker, "other" an item of 宿松县 given to nobody."""
    from jiaozi.oversight import spotchecks

    for scope, ch in (("own", c), ("other", other)):
        owner, cert = due_teacher(ch.school, name="抽查人")
        # Filed the day before: always inside the population of a draw at OPEN.
        filed_at = OPEN - dt.timedelta(days=1)
        application(
            ch,
            status=Status.COMPLETED,
            applicant=applicant_for(owner),
            certificate_=cert,
            completed_at=filed_at,
        )
        w.objects[("certificate", scope)] = ch.certificate
    province = c.province_reviewer
    for scope, division in (("own", c.school.division_id), ("other", other.school.division_id)):
        spot_check = spotchecks.spot_check_draw(
            actor=province,
            campaign_id=c.campaign.pk,
            title=f"矩阵抽查{scope}",
            mode="size",
            size=2,
            seed=scope,
        )
        item = spot_check.items.get(division_id=division)
        if scope == "own":
            assert c.city_rechecker is not None
            spotchecks.spot_check_assign(
                actor=province,
                spot_check_id=spot_check.pk,
                item_ids=[item.pk],
                assignee_id=c.city_rechecker.pk,
            )
        w.objects[("spot_check", scope)] = spot_check
        w.objects[("spot_check_item", scope)] = item


def oversight_bodies(w: World) -> dict[str, dict[str, Any]]:
    item = w.objects[("spot_check_item", "own")]
    return {
        "api:spot_check_draw": {
            "campaign_id": w.objects[("campaign", "-")].pk,
            "title": "t",
            "mode": "size",
            "size": 1,
        },
        "api:spot_check_assign": {"item_ids": [item.pk], "assignee_id": w.users[Role.PROVINCE_REVIEWER].pk},  # type: ignore[union-attr]
        "api:spot_check_close": {"version": 999, "conclusion": "完成"},
        "api:spot_check_item_record": {"version": 999, "outcome": "confirmed"},
        "api:spot_check_item_revoke": {"version": 999, "target": "registration", "reason": "虚假材料"},
        "api:oversight_registration_revoke": {"version": 999, "reason": "虚假材料"},
        "api:oversight_certificate_revoke": {"version": 999, "reason": "虚假材料"},
        "api:oversight_settings_update": {"version": 999},
    }


def _share_and_export_objects(w: World, chains: Any) -> None:
    """Per scope: a share link of the chain's certificate (its holder's), and an export
    request of the chain's registration reviewer."""
    from jiaozi.certservices.sharing import share_link_create
    from jiaozi.exports.services import export_request_create

    for scope, ch, holder in chains:
        if scope == "other":
            holder = link(holder, ch.teacher)  # the other chain's holder, to own the link
        created = share_link_create(holder=holder, certificate_id=ch.certificate.pk, days=7)
        w.objects[("share_link", scope)] = created.link
        w.objects[("share_token", scope)] = created.token
        w.objects[("link", scope)] = created.link  # the API's {link_id}
        w.objects[("request", scope)] = w.objects[("service_request", scope)]  # {request_id}
        w.objects[("check", scope)] = w.objects[("authenticity_check", scope)]  # {check_id}
        w.objects[("export_request", scope)] = w.objects[("export", scope)] = export_request_create(
            actor=ch.registration_reviewer,
            dataset="registration_applications",
            campaign_id=ch.campaign.pk,
            purpose="矩阵核对导出",
        )


def _rules_extension(c: Chain) -> Any:
    from jiaozi.registration.models import WindowExtension

    return WindowExtension.objects.create(
        campaign=c.campaign,
        institution=c.authority,
        window="review",
        closes_at=c.campaign.review_closes_at + dt.timedelta(days=3),
        reason="矩阵",
        granted_by=c.province_reviewer,
        granted_at=clock.now(),
    )


# ── one request ───────────────────────────────────────────────────────────────────


# Bodies that reach the permission check of an operation without changing anything a
# refused caller could see (a stale version, a decision already taken). Each cell is rolled
# back; a body the schema refuses answers 400 before any role check, for every role.
def api_body(row: Row, w: World) -> dict[str, Any]:
    own_app = w.objects[("application", "own")]
    notice = w.objects[("notice", row.scope if row.scope != "-" else "own")]
    bodies: dict[str, dict[str, Any]] = {
        "api:application_transition": {"action": "conclude", "version": 999, "conclusion": "qualified"},
        "api:application_batch": {
            "action": "conclude",
            "items": [{"application_id": own_app.pk, "version": 999, "conclusion": "qualified"}],
        },
        "api:application_update": {"version": 999},
        "api:application_submit": {"version": 999},
        "api:application_withdraw": {"version": 999},
        "api:application_resubmit": {"version": 999},
        "api:application_start": {"certificate_id": w.objects[("application", "own")].certificate_id},
        "api:objection_resolve": {"upheld": False, "resolution": "经核实，异议不成立。", "version": 999},
        "api:objection_submit": {
            "application_id": notice.applications.first().pk,
            "anonymous": True,
            "content": "该教师近五年有一年未参加年度考核，与公示结论不符。",
        },
        "api:notice_publish": {"application_ids": [own_app.pk]},
        "api:staff_disable": {"reason": "离岗"},
        "api:institution_public_info_update": {"version": 999},
        "api:campaign_update": {"version": 999},
        # Registration rules wing: a grant refused for its window (the institution is the
        # own chain's authority, which already has a live review extension).
        "api:extension_grant": {
            "institution_id": w.objects[("extension", "-")].institution_id,
            "window": "review",
            "closes_at": "2024-12-20T17:00:00+08:00",
            "reason": "矩阵",
        },
        "api:extension_revoke": {"reason": "矩阵"},
        "api:application_request_review": {"version": 999, "reason": "请复核"},
        # portal wing
        "api:announcement_create": {"title": "矩阵公告", "body": "正文"},
        "api:announcement_update": {"version": 999},
        "api:announcement_publish": {"version": 999},
        "api:announcement_withdraw": {"version": 999, "reason": "矩阵"},
        "api:registration_plan_save": {"expected": {"primary": 1}},
    }
    bodies |= oversight_bodies(w)
    bodies |= confirmation_api_bodies(w.objects)
    bodies |= _certification_bodies(row, w)
    bodies |= _late_bodies(w)
    return bodies.get(row.name, {})


def _late_bodies(w: World) -> dict[str, dict[str, Any]]:
    """authz_matrix_late.csv: certificate services' and exports' API bodies (a stale
    version where the operation changes a row). The request submission is a multipart
    form: a JSON body is refused by its schema for every role."""
    return {
        "api:certsvc_share_link_create": {"days": 7},
        "api:certsvc_share_link_revoke": {"version": 999},
        "api:certsvc_my_request_act": {"action": "withdraw", "version": 999},
        "api:certsvc_request_decide": {"action": "reject", "version": 999, "reason": "矩阵"},
        "api:certsvc_check_open": {"holder_name": "矩阵", "reason": "证书不在系统内"},
        "api:certsvc_check_act": {"action": "withdraw", "version": 999},
        "api:export_request_create": {
            "campaign_id": w.objects[("campaign", "-")].pk,
            "purpose": "矩阵核对导出",
        },
        "api:export_request_approve": {"version": 999, "reason": "矩阵"},
        "api:export_request_reject": {"version": 999, "reason": "矩阵"},
    }


def _certification_bodies(row: Row, w: World) -> dict[str, dict[str, Any]]:
    """authz_matrix_cert.csv: bodies that reach each certification operation's checks."""
    own = w.objects[("certification", "own")]
    data = {
        "qualification_type": "2",
        "subject": "语文",
        "authority_id": own.authority_id,
        "confirmation_point_id": own.confirmation_point_id,
        "education": "bachelor",
        "mandarin": "2a",
        "ntce_type": "2",
        "ntce_date": "2023-06-01",
        "commitment": True,
    }
    return {
        "api:certification_start": data,
        "api:certification_update": data | {"version": 999},
        "api:certification_submit": {"version": 999},
        "api:certification_resubmit": {"version": 999},
        "api:certification_withdraw": {"version": 999},
        "api:certification_confirm": {"version": 999, "decision": "confirm"},
        "api:certification_health": {"version": 999, "health": "fit"},
        "api:certification_decide": {"version": 999, "conclusion": "certified"},
        "api:certification_batch_decide": {
            "conclusion": "certified",
            "items": [{"application_id": own.pk, "version": 999}],
        },
    }


def path_for(row: Row, w: World) -> str:
    kwargs: dict[str, Any] = {}
    if row.object != "-":
        obj = w.objects[(row.object, row.scope)]
        if row.name.startswith("api:"):
            kwargs[f"{row.object}_id"] = obj.pk
        else:
            kwargs["pk"] = obj.pk
    if row.name == "certificates:verify_token":
        kwargs = {"token": w.objects[("token", "-")]}
    if row.name == "teachers:import_job_errors":
        kwargs["fmt"] = "csv"
    # portal wing
    if row.name == "announcements_public:attachment":
        kwargs["announcement_pk"] = w.objects[("attachment", row.scope)].announcement_id
    if row.name == "api:announcement_delete":
        return reverse(row.name, kwargs=kwargs) + "?version=999"
    if row.name == "certservices_applicant:request_new":
        kwargs["kind"] = "reissue"
    if row.name == "certservices_applicant:share_revoke":
        kwargs["link_pk"] = w.objects[("share_link", row.scope)].pk
    if row.name == "certservices_share:share_verify":
        kwargs = {"token": w.objects[("share_token", row.scope)]}
    if row.name.startswith("confirmation"):
        special = confirmation_path_kwargs(row.name, w.objects.get((row.object, row.scope)), w.objects)
        kwargs = special if special is not None else kwargs
    return reverse(row.name, kwargs=kwargs or None)


def client_for(role: str, w: World) -> Client:
    client = Client()
    user = w.users[role]
    if user is None:
        return client
    if user.kind == User.Kind.STAFF:
        return sign_in(client, user)
    client.force_login(user)
    return client


_keys = count(1)


def send(row: Row, role: str, w: World) -> int:
    cache.clear()
    client = client_for(role, w)
    path = path_for(row, w)
    api = row.name.startswith("api:")
    method = row.method.lower()
    if method == "get":
        response = client.get(path)
    elif api:
        body = api_body(row, w)
        response = getattr(client, method)(
            path, body, content_type="application/json", headers={"Idempotency-Key": f"matrix-{next(_keys)}"}
        )
    else:
        response = getattr(client, method)(path, {})
    return int(response.status_code)


def observe(row: Row, w: World) -> dict[str, int]:
    seen: dict[str, int] = {}
    with clock.travel(OPEN):
        for role in ROLES:
            with transaction.atomic():
                seen[role] = send(row, role, w)
                transaction.set_rollback(True)
    return seen


def _record(observed: dict[tuple[str, str, str], dict[str, int]]) -> None:
    target = os.environ.get("JZ_AUTHZ_RECORD")
    if not target:
        return
    lines = MATRIX_FILES[0].read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    out = lines[: header_at + 1]
    for row in ROWS:
        seen = observed.get(row.key, {})
        cells = [str(seen.get(role, row.expected[role])) for role in ROLES]
        out.append(",".join([row.name, row.method, row.object, row.scope, *cells, row.note]))
    Path(target).write_text("\n".join(out) + "\n", encoding="utf-8")


def _mismatches(w: World) -> list[str]:
    found: list[str] = []
    observed: dict[tuple[str, str, str], dict[str, int]] = {}
    only = os.environ.get("JZ_AUTHZ_RECORD") and os.environ.get("JZ_AUTHZ_ONLY", "")
    for row in ROWS:
        if only and not row.name.startswith(only):
            continue
        roles = list(ROLES)
        seen = observe(row, w)
        observed[row.key] = seen
        for role in roles:
            want = int(row.expected[role])
            if seen[role] != want:
                found.append(f"{row.name} {row.method} {row.scope} {role}: expected {want}, got {seen[role]}")
    _record(observed)
    return found


def test_every_cell(world: World) -> None:
    """Every cell answers what the file says."""
    wrong = _mismatches(w=world)
    assert not wrong, "\n".join(wrong)
