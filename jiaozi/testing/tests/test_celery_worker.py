"""Background work through a real Celery worker on Redis and PostgreSQL (issue 13
item 2, docs/decisions/0275): one job of each kind the project queues — a teacher import,
the notifications of a registration's steps (SMS and e-mail deliveries), the stamped
form's PDF of a completed registration, and a periodic job (notice closing) — leaves
this process through Redis, runs in a worker process with production settings, and
its result is in the database.

Marked ``services`` (see ``jiaozi.testing.services``): skipped on SQLite, and without
Redis outside CI."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from config.celery import app
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.core import clock
from jiaozi.core.tasks import run_job
from jiaozi.notifications.models import Delivery
from jiaozi.registration.models import Notice, RegistrationForm
from jiaozi.registration.tests.factories_applications import OPEN, chain, drive, make_notice
from jiaozi.registration.workflow import Status
from jiaozi.teachers.models import ImportJob, Teacher
from jiaozi.teachers.tests.workbook import TemplateBook
from jiaozi.teachers.uploads import import_job_create
from jiaozi.testing.services import REDIS, production_env, redis_flush, require_services, running

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BROKER_DB, CACHE_DB = 15, 14


def _until(check: Callable[[], bool], what: str, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(
        f"the worker did not {what} within {seconds:.0f} s:\n{log.read_text(errors='replace')[-3000:]}"
    )


def _forget_connections() -> None:
    """Drop the connection pool and the producer pool the app made for the broker it had
    (an earlier test's tasks built them on ``memory://``), so this test publishes to the
    worker's Redis and the tests after it get the inline configuration back."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def worker(transactional_db: None, settings: object, tmp_path: Path) -> Iterator[Path]:
    """A worker process over this test's database; this process queues to it."""
    require_services()
    redis_flush(BROKER_DB)
    redis_flush(CACHE_DB)
    media, outbox = tmp_path / "media", tmp_path / "outbox"
    settings.MEDIA_ROOT = media  # type: ignore[attr-defined]
    settings.NOTIFICATION_OUTBOX_DIR = str(outbox)  # type: ignore[attr-defined]
    env = production_env(media_root=media, outbox=outbox, broker_db=BROKER_DB, cache_db=CACHE_DB)
    log_path = tmp_path / "worker.log"
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    with running(
        [*argv, "--without-mingle", "--without-gossip", "--without-heartbeat"],
        env=env,
        log_path=log_path,
        stop_seconds=60,
    ):
        app.conf.update(task_always_eager=False, broker_url=f"{REDIS}/{BROKER_DB}")
        _forget_connections()
        try:
            _until(lambda: b"ready." in log_path.read_bytes(), "start", log_path, seconds=90)
            yield log_path
        finally:
            app.conf.update(saved)
            _forget_connections()


def test_one_job_of_each_kind_runs_on_a_real_worker(worker: Path) -> None:
    c = chain()

    # A teacher import of the §12 template, queued when its job row commits.
    staff = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.school, username="worker_importer")
    book = TemplateBook()
    book.full_teacher(school=c.school.code)
    upload = SimpleUploadedFile("teachers.xlsx", book.xlsx())
    job = import_job_create(actor=staff, upload=upload)

    # A registration driven to the end through the services: every step notifies the
    # applicant (SMS / e-mail deliveries) and the province's approval queues the form.
    with clock.travel(OPEN):
        application = drive(c, to=Status.COMPLETED)

    # A notice that ended a week ago (the worker's clock is the real one), closed by the
    # periodic job beat would queue.
    now = timezone.now()
    notice = make_notice(c, starts_at=now - dt.timedelta(days=14), days=7)
    run_job.delay("registration.notice_close_expired")

    _until(
        lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.SUCCEEDED,
        "import the teachers",
        worker,
    )
    assert Teacher.objects.filter(school=c.school).count() > 1  # the chain's own and the imported
    _until(
        lambda: RegistrationForm.objects.filter(application=application).exclude(file="").exists(),
        "render the stamped form",
        worker,
    )
    deliveries = Delivery.objects.filter(notification__recipient=c.applicant)
    assert deliveries.exists()
    _until(
        lambda: not deliveries.exclude(status=Delivery.Status.SENT).exists(),
        "send every notification",
        worker,
    )
    _until(
        lambda: Notice.objects.get(pk=notice.pk).state != Notice.State.OPEN,
        "close the expired notice",
        worker,
    )
    # Each kind ran in the worker, not inline in this process.
    ran = worker.read_text(errors="replace")
    for task in (
        "jiaozi.teachers.tasks.import_job_run_task",
        "jiaozi.registration.tasks.registration_form_render",
        "jiaozi.notifications.tasks.deliver",
        "jiaozi.core.tasks.run_job",
    ):
        assert re.search(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", ran), task
