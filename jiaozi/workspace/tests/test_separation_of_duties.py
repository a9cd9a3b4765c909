"""三员分立 (issue 14, deliverable 3; SECURITY check 7; docs/decisions/0171), one test per
rule, on the pages and on the API:

1. the system (province), security and audit admins are distinct roles held by distinct
   accounts of distinct people (the person is the resident ID; see also
   accounts/tests/test_staff_resident_id.py for every filing path);
2. the audit admin reads the audit log but changes nothing: every page and every API
   operation it posts to leaves every table as it was;
3. the system admin cannot read the audit log (pages, and no API serves it);
4. the system admin reads no personal data: no page and no API answer it gets carries a
   teacher's or applicant's name, resident ID or phone, masked or not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.services import staff_create
from jiaozi.accounts.testing import sign_in
from jiaozi.core import clock
from jiaozi.core.api.testing import token_client
from jiaozi.core.errors import ValidationFailed
from jiaozi.core.masking import mask_phone, mask_resident_id
from jiaozi.orgs.models import Institution
from jiaozi.registration.models import Application
from jiaozi.registration.tests.factories_applications import OPEN, Chain, application, chain
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db

STAFF_NAMESPACES = ("accounts", "orgs", "audit", "teachers", "registration", "notifications", "workspace")
# Tables a request may write without changing anything of the system: its own audit
# row, session, sign-in bookkeeping and rate-limit counters.
BOOKKEEPING = {
    "audit.auditevent",
    "audit.auditchain",
    "sessions.session",
    "otp_totp.totpdevice",
    "accounts.servicetoken",  # last_used_at
}
NO_POST = {"accounts:logout", "accounts:login", "accounts:otp_verify", "accounts:otp_setup"}


@pytest.fixture(autouse=True)
def _open_clock() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


@pytest.fixture
def c() -> Chain:
    c = chain()
    application(c, status=Status.SCHOOL_REVIEW)
    return c


def fingerprint() -> str:
    """Every row of every table but the bookkeeping ones."""
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label_lower):
        label = model._meta.label_lower
        if label in BOOKKEEPING or label.startswith("axes."):
            continue
        rows = model._default_manager.order_by("pk").values_list()
        digest.update(label.encode())
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


def staff_urls(ids: list[int]) -> list[tuple[str, str]]:
    """(name, path) of every named page of the staff area, ids filled from ``ids``."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(
                    p.url_patterns,
                    f"{namespace}:{p.namespace}" if namespace and p.namespace else p.namespace or namespace,
                )
            elif (
                isinstance(p, URLPattern) and p.name and namespace in (*STAFF_NAMESPACES, "applicants_staff")
            ):
                name = f"{namespace}:{p.name}"
                groups = list(p.pattern.regex.groupindex)
                if not groups:
                    found.append((name, reverse(name)))
                    continue
                for pk in ids:
                    kwargs = {k: (pk if k == "pk" or k.endswith("_id") else "csv") for k in groups}
                    try:
                        found.append((name, reverse(name, kwargs=kwargs)))
                    except NoReverseMatch:
                        break

    walk(get_resolver().url_patterns, "")
    return found


def api_operations() -> list[tuple[str, str]]:
    from config.api import api

    schema = api.get_openapi_schema()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


def personal_data(c: Chain) -> list[str]:
    t, a = c.teacher, c.applicant
    values = [t.name, t.resident_id, mask_resident_id(t.resident_id), a.real_name]
    if t.phone:
        values += [t.phone, mask_phone(t.phone)]
    return [v for v in values if v]


# --- 1. distinct roles, distinct accounts, distinct people ---------------------------------


def test_the_three_admins_are_three_accounts_of_three_people(prov_admin: User, province: Institution) -> None:
    sec, _ = staff_create(
        actor=prov_admin,
        institution=province,
        username="sec_one",
        real_name="郑安",
        phone="13811110001",
        post="安全管理员",
        role=Role.SECURITY_ADMIN,
        resident_id="340104198503151237",
    )
    # One account holds one role: the role is a single value of the account.
    assert not User._meta.get_field("role").is_relation
    for role in (Role.AUDIT_ADMIN, Role.PROVINCE_ADMIN):
        with pytest.raises(ValidationFailed) as caught:
            staff_create(
                actor=prov_admin,
                institution=province,
                username=f"again_{role}",
                real_name="郑安",
                phone="13811110002",  # another phone: still the same person
                post="管理员",
                role=role,
                resident_id=sec.resident_id or "",
            )
        assert caught.value.code == "separation_of_duties"


def test_the_filing_page_refuses_the_same_person_for_a_second_admin_role(
    prov_admin: User, province: Institution
) -> None:
    staff_create(
        actor=prov_admin,
        institution=province,
        username="aud_one",
        real_name="王审",
        phone="13811110003",
        post="审计管理员",
        role=Role.AUDIT_ADMIN,
        resident_id="340104198503151245",
    )
    client = sign_in(Client(), prov_admin)
    response = client.post(
        reverse("accounts:staff_create"),
        {
            "real_name": "王审",
            "phone": "13811110004",
            "resident_id": "340104198503151245",
            "post": "安全管理员",
            "username": "sec_two",
            "role": Role.SECURITY_ADMIN,
            "institution": province.code,
        },
    )
    assert response.status_code == 200
    assert "三员分立" in str(response.context["form"].errors)
    assert not User.objects.filter(username="sec_two").exists()


def test_the_api_refuses_the_same_person_for_a_second_admin_role(
    prov_admin: User, province: Institution
) -> None:
    body = {
        "institution_id": province.pk,
        "real_name": "王审",
        "phone": "13811110005",
        "resident_id": "340104198503151253",
        "post": "审计管理员",
        "role": Role.AUDIT_ADMIN.value,
    }
    api = token_client(prov_admin)
    assert api.post_json("/api/v1/staff", {**body, "username": "aud_api"}).status_code == 201
    refused = api.post_json(
        "/api/v1/staff",
        {**body, "username": "sec_api", "role": Role.SECURITY_ADMIN.value, "phone": "13811110006"},
    )
    assert refused.status_code in (400, 422)
    assert refused.json()["code"] == "separation_of_duties"
    assert not User.objects.filter(username="sec_api").exists()


# --- 2. the audit admin reads, and changes nothing ----------------------------------------


def test_the_audit_admin_reads_the_audit_log(audit_admin: User) -> None:
    client = sign_in(Client(), audit_admin)
    assert client.get(reverse("audit:event_list")).status_code == 200


def test_no_page_changes_anything_for_the_audit_admin(c: Chain, audit_admin: User) -> None:
    ids = [c.teacher.pk, c.school.pk, c.certificate.pk, c.applicant.pk, c.school_reviewer.pk]
    ids += list(Application.objects.filter(applicant=c.applicant).values_list("pk", flat=True))
    client = sign_in(Client(), audit_admin)
    before = fingerprint()
    posted = 0
    for name, path in staff_urls(ids):
        if name in NO_POST:
            continue
        response = client.post(path, {"version": 1, "reason": "x", "confirm": "on"})
        posted += 1
        assert response.status_code in (302, 400, 403, 404, 405, 200), (name, response.status_code)
        assert fingerprint() == before, name
    assert posted > 50


def test_no_api_operation_changes_anything_for_the_audit_admin(c: Chain, audit_admin: User) -> None:
    api = token_client(audit_admin)
    app_id = Application.objects.filter(applicant=c.applicant).values_list("pk", flat=True).first()
    before = fingerprint()
    writes = [(m, p) for m, p in api_operations() if m in {"POST", "PUT", "PATCH", "DELETE"}]
    assert writes
    for method, path in writes:
        url = path
        for param in ("{application_id}", "{staff_id}", "{institution_id}", "{campaign_id}", "{material_id}"):
            url = url.replace(param, str(app_id if param == "{application_id}" else c.school_reviewer.pk))
        url = url.replace("{", "").replace("}", "")
        response = api.generic(method, url, data="{}", content_type="application/json")
        assert not 200 <= response.status_code < 300, (method, path, response.status_code)
        assert fingerprint() == before, (method, path)
    # And a well-formed filing is refused for the role, not for the form.
    body = {
        "institution_id": c.school.pk,
        "username": "by_auditor",
        "real_name": "赵六",
        "phone": "13900001111",
        "resident_id": "340104198503151261",
        "post": "审查员",
        "role": Role.SCHOOL_REVIEWER.value,
    }
    assert api.post_json("/api/v1/staff", body).status_code == 403


# --- 3. the system admin cannot read the audit log ----------------------------------------


def test_the_system_admin_gets_no_audit_page(prov_admin: User) -> None:
    client = sign_in(Client(), prov_admin)
    names = [(n, p) for n, p in staff_urls([1]) if n.startswith("audit:")]
    assert names
    for name, path in names:
        assert client.get(path).status_code == 403, name


def test_no_api_operation_serves_the_audit_log() -> None:
    # The audit log's own paths (/audit/…); oversight's data audit (/data-audit) is a
    # report on registration data, not the log.
    assert not [p for _m, p in api_operations() if re.search(r"/audit(/|$|-log)", p.lower())]


# --- 4. the system admin reads no personal data -------------------------------------------


def test_no_page_shows_the_system_admin_personal_data(c: Chain, prov_admin: User) -> None:
    ids = [c.teacher.pk, c.school.pk, c.certificate.pk, c.applicant.pk]
    ids += list(Application.objects.filter(applicant=c.applicant).values_list("pk", flat=True))
    client = sign_in(Client(), prov_admin)
    secrets = personal_data(c)
    for name, path in staff_urls(ids):
        if name in NO_POST:
            continue
        response = client.get(path)
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        for value in secrets:
            assert value not in body, (name, response.status_code)
    assert client.get(reverse("teachers:teacher_list")).status_code == 403
    assert client.get(reverse("teachers:teacher_detail", args=[c.teacher.pk])).status_code == 403


def _api_reads_for_the_system_admin(c: Chain, prov_admin: User, *, applications: bool) -> None:
    api = token_client(prov_admin)
    app_id = Application.objects.filter(applicant=c.applicant).values_list("pk", flat=True).first()
    secrets = personal_data(c)
    reads = [p for m, p in api_operations() if m == "GET" and ("/applications" in p) == applications]
    assert reads
    for path in reads:
        url = path.replace("{application_id}", str(app_id)).replace("{", "").replace("}", "")
        response = api.get(url)
        body = response.content.decode(errors="replace")
        for value in secrets:
            assert value not in body, (path, response.status_code)


def test_no_api_answer_shows_the_system_admin_personal_data(c: Chain, prov_admin: User) -> None:
    _api_reads_for_the_system_admin(c, prov_admin, applications=False)


def test_no_application_api_answer_shows_the_system_admin_personal_data(c: Chain, prov_admin: User) -> None:
    _api_reads_for_the_system_admin(c, prov_admin, applications=True)
