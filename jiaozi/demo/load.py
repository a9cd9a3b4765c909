"""A deadline day's data for ``make load`` (issue 13 item 4; docs/decisions/0276), on a
scratch database only (``make cluster``'s ``jiaozi_cluster``):

- the active campaign's windows moved so that today is the last days of every window
  (the application deadline is the day after tomorrow);
- N teachers in 庐阳区's demo schools, each with a certificate, a real-name applicant
  account (one published password, hashed once), the confirmed record link and an
  application: ``drafts`` of them waiting to be submitted during the run, the rest
  waiting for 庐阳区's registration review (the reviewers' queue);
- ``reviewers`` registration reviewers of 庐阳区 with a confirmed TOTP device each (the
  load test computes their codes);
- a small table ``load_floor`` for the bare one-insert view the run measures as its floor.

It writes what the load test needs (accounts, application ids, TOTP keys, certificate
numbers for the public's verification) to a JSON file, and the ids of the applications
as seeded, with their versions, so ``load_check`` can tell what the run changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.applicants.models import TeacherLink
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock, idcard
from jiaozi.orgs.divisions import ensure_province
from jiaozi.orgs.models import Institution
from jiaozi.orgs.routing import review_chain
from jiaozi.registration.applications.submission import required_kinds
from jiaozi.registration.models import Application, Campaign, Material
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

from .institutions import demo_school_codes, institutions_ensure, region_codes, school_infos
from .teachers import TeacherGenerator, write_teachers

PASSWORD = "Load-Test@2024"  # noqa: S105 — the load test's published password (scratch data only)
COUNTY = "340103"  # 庐阳区
PROVINCE = "340000"
USERNAME_PREFIX = "load_applicant_"
REVIEWER_PREFIX = "load_reviewer_"
WINDOWS = ("system", "apply", "school_review", "review", "recheck", "final_review")


class NotAScratchDatabase(RuntimeError):
    pass


def scratch_only() -> None:
    """Refuse any database but a load test's: its accounts share a published password."""
    name = str(connection.settings_dict.get("NAME") or "")
    if not (
        name.startswith(("jiaozi_cluster", "jiaozi_load", "test_")) or os.environ.get("LOAD_SEED_ALLOWED")
    ):
        raise NotAScratchDatabase(
            f"seed_load writes accounts with a published password; database {name!r} is not a "
            "load test's (jiaozi_cluster…, jiaozi_load…), set LOAD_SEED_ALLOWED=1 to insist."
        )


def deadline_campaign(now: dt.datetime) -> Campaign:
    """The active campaign, every window open now and closing the day after tomorrow."""
    campaign = Campaign.objects.get(province_code=PROVINCE, is_active=True)
    opens, closes = now - dt.timedelta(days=20), now + dt.timedelta(days=2)
    values: dict[str, Any] = {}
    for window in WINDOWS:
        values[f"{window}_opens_at"] = opens
        values[f"{window}_closes_at"] = closes
    Campaign.objects.filter(pk=campaign.pk).update(**values, version=F("version") + 1)
    campaign.refresh_from_db()
    return campaign


def _reviewers(count: int, bureau: Institution, password: str) -> list[dict[str, str]]:
    out = []
    now = clock.now()
    for i in range(count):
        username = f"{REVIEWER_PREFIX}{i:03d}"
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "kind": User.Kind.STAFF,
                "role": Role.REGISTRATION_REVIEWER,
                "institution": bureau,
                "real_name": f"压测审核员{i:03d}",
                "post": "人事科科员",
                "resident_id": idcard.make(f"34990019900101{i % 1000:03d}"),
                "phone": f"1390000{i:04d}",
                "password": password,
                "must_change_password": False,
                "password_changed_at": now,
                "filed_at": now,
                "confirmed_at": now,
                "is_active": True,
            },
        )
        key = secrets.token_hex(20)
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="load", key=key, confirmed=True, tolerance=1)
        out.append({"username": username, "totp_key": key})
    return out


def _sessions(users: list[User]) -> list[str]:
    """A signed-in session per user, as ``login()`` would leave it (the policy's clocks
    and fingerprint included); returns the session keys."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from jiaozi.accounts.middleware import AUTH_AT, FINGERPRINT, SEEN_AT, fingerprint

    store = import_module(settings.SESSION_ENGINE).SessionStore
    now = clock.now().timestamp()
    keys = []
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[AUTH_AT] = now
        session[SEEN_AT] = now
        session[FINGERPRINT] = fingerprint(user)
        session.create()
        keys.append(str(session.session_key))
    return keys


@transaction.atomic
def _materials(campaign: Campaign, applications: list[Application], now: dt.datetime) -> None:
    """Every application holds §4's required materials (submission checks them): one
    stored scan per kind, shared by the rows, as a bulk import would file them."""
    scans: dict[str, tuple[str, int, str]] = {}
    for kind in required_kinds(campaign, "periodic"):
        data = f"%PDF-1.4\n% load-test scan: {kind}\n%%EOF\n".encode()
        name = default_storage.save(f"materials/load/{kind}.pdf", ContentFile(data))
        scans[kind] = (name, len(data), hashlib.sha256(data).hexdigest())
    Material.objects.bulk_create(
        [
            Material(
                application=a,
                kind=kind,
                file=name,
                original_name=f"{kind}.pdf",
                content_type="application/pdf",
                size=size,
                sha256=digest,
                uploaded_by=a.applicant,
                uploaded_at=now,
            )
            for a in applications
            for kind, (name, size, digest) in scans.items()
        ],
        batch_size=2000,
    )


def seed_deadline_day(
    *, teachers: int, drafts: int, reviewers: int, out: Path, signed_in: int = 0
) -> dict[str, Any]:
    scratch_only()
    ensure_province("anhui")
    institutions_ensure()
    now = clock.now()
    campaign = deadline_campaign(now)
    bureau = Institution.objects.get(kind=Institution.Kind.BUREAU, code=COUNTY)
    codes = [code for code in demo_school_codes() if code.startswith(COUNTY)]
    start = User.objects.filter(username__startswith=USERNAME_PREFIX).count()
    generator = TeacherGenerator(school_infos(codes), region_codes=region_codes(), seed=20261205 + start)
    school_ids = {i.code: i.pk for i in Institution.objects.filter(code__in=codes)}
    before = set(Teacher.objects.filter(school_id__in=school_ids.values()).values_list("pk", flat=True))
    write_teachers(generator.plans(teachers), school_ids=school_ids)
    fresh = list(
        Teacher.objects.filter(school_id__in=school_ids.values())
        .exclude(pk__in=before)
        .select_related("school")
        .order_by("pk")
    )
    certificates = {
        c.teacher_id: c for c in Certificate.objects.filter(teacher__in=fresh).order_by("teacher_id", "pk")
    }
    fresh = [t for t in fresh if t.pk in certificates]
    password = make_password(PASSWORD)  # once: Argon2 is slow on purpose
    users = [
        User(
            username=f"{USERNAME_PREFIX}{start + i:06d}",
            kind=User.Kind.APPLICANT,
            real_name=t.name,
            resident_id=t.resident_id,
            phone=f"1380{(start + i) % 10_000_000:07d}",
            password=password,
            password_changed_at=now,
        )
        for i, t in enumerate(fresh)
    ]
    User.objects.bulk_create(users, batch_size=2000)
    TeacherLink.objects.bulk_create(
        [
            TeacherLink(user=u, teacher=t, certificate=certificates[t.pk], linked_at=now)
            for u, t in zip(users, fresh, strict=True)
        ],
        batch_size=2000,
    )
    chains: dict[int, list[Institution]] = {}
    applications = []
    for index, (user, teacher) in enumerate(zip(users, fresh, strict=True)):
        school = teacher.school
        if school.pk not in chains:
            chains[school.pk] = review_chain(school)
        links = chains[school.pk]
        draft = index < drafts
        applications.append(
            Application(
                campaign=campaign,
                applicant=user,
                teacher=teacher,
                certificate=certificates[teacher.pk],
                school=school,
                registration_authority=links[1],
                city_bureau=links[2] if len(links) == 4 else None,
                province_bureau=links[-1],
                status=Status.DRAFT if draft else Status.REGISTRATION_REVIEW,
                version=1,
                due="periodic",
                suggestion="qualified",
                suggestion_reasons=[],
                facts={},
                phone=user.phone,
                submitted_at=None if draft else now,
                step_deadline=None if draft else campaign.review_closes_at,
            )
        )
    Application.objects.bulk_create(applications, batch_size=2000)
    _materials(campaign, applications, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS load_floor (id bigserial PRIMARY KEY, at timestamp with time zone NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE IF NOT EXISTS load_floor (id integer PRIMARY KEY AUTOINCREMENT, at text NOT NULL)"
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE registration_application")
    staff = _reviewers(reviewers, bureau, password)
    sessions = _sessions(users[:signed_in]) if signed_in else []
    data = {
        "password": PASSWORD,
        "seeded_at": now.isoformat(),
        "drafts": [
            {"username": a.applicant.username, "application": a.pk}
            for a in applications
            if a.status == "draft"
        ],
        "pending": [a.pk for a in applications if a.status != "draft"],
        # Sessions started here for the first drafts' applicants (the submit flow phase
        # measures the submit alone, as a signed-in applicant makes it).
        "sessions": [
            {"session": key, "application": a.pk} for key, a in zip(sessions, applications, strict=False)
        ],
        "reviewers": staff,
        "certificates": [
            {"number": certificates[t.pk].number, "name": t.name} for t in fresh[: min(len(fresh), 500)]
        ],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return {"teachers": len(fresh), "drafts": min(drafts, len(fresh)), "reviewers": len(staff)}
