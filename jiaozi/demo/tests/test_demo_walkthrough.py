"""The demo can be walked through (issue 9, item 6): applications at every stage in
several counties, the sign-in sheet names everything a presenter needs, the demo's date
moves by a command (audited), and the demo serves its real error pages (item 1)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.models import F

from jiaozi.accounts.models import User
from jiaozi.applicants.models import TeacherLink
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.fields import field_lookup
from jiaozi.demo.applications import USERNAME_PREFIX
from jiaozi.registration.models import Application, Notice, Objection
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import Teacher

pytestmark = pytest.mark.django_db


def run(*args: str, **options: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_the_demo_holds_applications_at_every_stage_in_several_counties() -> None:
    run("seed_demo", teachers=1)
    demo = Application.objects.filter(applicant__username__startswith=USERNAME_PREFIX)
    # Every stage of the registration path (revocation after a spot check is oversight's).
    path = {
        Status.DRAFT, Status.SCHOOL_REVIEW, Status.RETURNED, Status.WITHDRAWN, Status.REGISTRATION_REVIEW,
        Status.CONCLUDED, Status.NOTICE, Status.NOTICE_PAUSED, Status.CITY_RECHECK, Status.PROVINCE_REVIEW,
        Status.COMPLETED,
    }  # fmt: skip
    # The demo's spot check revoked one filing (jiaozi/demo/oversight.py).
    assert set(demo.values_list("status", flat=True)) == path | {Status.REVOKED}
    authorities = set(demo.values_list("registration_authority__code", flat=True))
    assert authorities == {"340103", "340102", "340202", "340826"}  # 庐阳 瑶海 镜湖 宿松
    # One registration institution's queue is longer than a page (20).
    assert demo.filter(registration_authority__code="340103", status=Status.REGISTRATION_REVIEW).count() > 20
    # The rechecks include conclusions that depart from the suggestion.
    departing = demo.filter(status__in=[Status.CITY_RECHECK, Status.PROVINCE_REVIEW]).exclude(
        conclusion=F("suggestion")
    )
    assert departing.exists()
    assert all(a.override_reason for a in departing)
    # A notice runs on the demo date, one of its entries under objection.
    demo_day = dt.datetime(2024, 10, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert Notice.objects.filter(starts_at__lte=demo_day, ends_at__gt=demo_day).exists()
    assert Objection.objects.filter(application__in=demo).exists()
    # Every step went through the workflow: each submitted application has its audit rows.
    submitted = demo.exclude(status=Status.DRAFT).first()
    assert submitted is not None
    assert AuditEvent.objects.filter(
        kind=AuditKind.APPLICATION_SUBMITTED, object_id=str(submitted.pk)
    ).exists()

    # A second run adds nothing.
    before = Application.objects.count()
    run("seed_demo", teachers=1)
    assert Application.objects.count() == before


def test_the_sign_in_sheet_tells_the_presenter_everything() -> None:
    run("seed_demo", teachers=1, no_applications=True)
    out = run("demo_signins")
    applicant = User.objects.get(username="teacher_demo")
    assert not TeacherLink.objects.filter(user=applicant).exists()  # the walk-through's first step
    owner = Teacher.objects.get(**field_lookup(Teacher, "resident_id", applicant.resident_id or ""))
    number = owner.certificates.get().number
    assert f"教师资格证书编号：{number}" in out
    # The code hint names an interpreter that has the dependencies, not a bare "python".
    hint = re.search(r"动态口令：(\S+) manage\.py demo_totp <用户名>", out)
    assert hint is not None
    assert hint.group(1) != "python"
    assert Path(hint.group(1)).resolve() == Path(sys.executable).resolve()
    assert "manage.py demo_date YYYY-MM-DD" in out
    for username in ("prov_reviewer", "hf_rechecker", "ly_reviewer", "ly_school", "jh_reviewer", "ss_school"):
        assert username in out


def test_demo_date_moves_the_clock_and_is_audited(tmp_path: Path, settings: Any) -> None:
    settings.JIAOZI_CLOCK_DATE_FILE = str(tmp_path / "demo-date")
    out = run("demo_date", "2024-12-20", no_jobs=True)
    assert "→ 2024-12-20" in out
    assert clock.today() == dt.date(2024, 12, 20)
    event = AuditEvent.objects.get(kind=AuditKind.DEMO_DATE_MOVED)
    assert event.details["to"] == "2024-12-20"
    run("demo_date", "reset", no_jobs=True)
    assert not (tmp_path / "demo-date").exists()
    assert clock.today() != dt.date(2024, 12, 20)
    assert AuditEvent.objects.filter(kind=AuditKind.DEMO_DATE_MOVED).count() == 2


def test_demo_date_refuses_a_bad_date(tmp_path: Path, settings: Any) -> None:
    from django.core.management import CommandError

    settings.JIAOZI_CLOCK_DATE_FILE = str(tmp_path / "demo-date")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("demo_date", "15/10/2024")
    assert not AuditEvent.objects.filter(kind=AuditKind.DEMO_DATE_MOVED).exists()


def _with_demo_settings(script: str, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by this interpreter with the settings ``make run`` uses
    (config.settings.local) on a scratch SQLite file, none of this process's
    ``DJANGO_``, ``DATABASE_URL`` or ``JIAOZI_`` variables inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "JIAOZI_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "PYTHONPATH": str(django_settings.BASE_DIR),
        **extra,
    }
    return subprocess.run(  # noqa: S603 — our own interpreter and a fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=django_settings.BASE_DIR,
        timeout=120,
        check=False,
    )


PROBE = """
import django, sys
django.setup()
from django.conf import settings
from django.test import Client
print("DEBUG=%s" % settings.DEBUG)
for path in ("/no-such-page/", "/%s/no-such-page/" % settings.STAFF_URL_PREFIX, "/api/v1/nothing"):
    r = Client().get(path)
    body = r.content.decode()
    print("PAGE %s %s %s" % (path, r.status_code, "URLconf" in body or "staff-" in body.replace(path, "")))
    if path == "/no-such-page/":
        print("CHINESE %s" % ("页面不存在" in body))
"""


@pytest.mark.django_db(transaction=False)
def test_the_demo_settings_serve_the_real_error_pages(tmp_path: Path) -> None:
    """`make run` uses config.settings.local: a mistyped address answers the Chinese 404
    page, never Django's technical page listing the URL patterns (the staff entrance)."""
    result = _with_demo_settings(PROBE, tmp_path)
    lines = result.stdout.splitlines()
    assert "DEBUG=False" in lines, result.stderr[-2000:]
    pages = [line for line in lines if line.startswith("PAGE ")]
    assert len(pages) == 3, result.stderr[-2000:]
    for line in pages:
        _, _path, status, leaks = line.split()
        assert status == "404", line
        assert leaks == "False", line
    assert "CHINESE True" in lines


DATE_PROBE = """
import django
django.setup()
from jiaozi.core import clock
print("TODAY %s" % clock.today().isoformat())
"""


@pytest.mark.parametrize("machine_zone", ["Etc/GMT+12", "Pacific/Kiritimati"])
def test_the_demo_date_is_the_same_whatever_the_machines_time_zone(tmp_path: Path, machine_zone: str) -> None:
    """`make run` prints and shows 2024-10-15, on a machine set to UTC-12 as on one at
    UTC+14 (at any hour one of the two is on another day than Shanghai)."""
    result = _with_demo_settings(
        DATE_PROBE, tmp_path, JIAOZI_CLOCK_DATE_FILE=str(tmp_path / "no-demo-date"), TZ=machine_zone
    )
    assert "TODAY 2024-10-15" in result.stdout.splitlines(), result.stdout + result.stderr[-2000:]
