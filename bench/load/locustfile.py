"""The deadline day, as locust users against ``make cluster`` on 127.0.0.1 (``make load``,
bench/load/run_load.py; docs/decisions/0276). Not part of the test suite nor of CI.

Users (the accounts and ids come from ``seed_load``'s JSON, ``LOAD_ACCOUNTS``):

- ``Applicant``: signs in, checks their status (``/me/``, the API's application read),
  submits their draft once, keeps checking.
- ``Reviewer``: a 庐阳区 registration reviewer, signed in with password and TOTP; pages
  the queue, concludes one application from it, or a batch of up to ten.
- ``Public``: verifies a certificate (number and name), reads the notices and the
  portal's home page; each simulated client has its own address (X-Forwarded-For, which
  nginx passes on and the app believes from 127.0.0.1 only), so the per-address limits
  count per client as they would in production.
- ``Floor``: the bare one-insert view, alone, for the floor phase.
- ``Submitter``: applicants already signed in (sessions from ``seed_load``) only open
  their application and submit it (the submit flow phase).

Which classes run is chosen by ``--tags``-free class names on the command line
(``locust … Applicant Reviewer Public``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import struct
import threading
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, events, task
from locust.clients import HttpSession

DATA = json.loads(
    Path(os.environ.get("LOAD_ACCOUNTS", "var/cluster/load-accounts.json")).read_text(encoding="utf-8")
)
STAFF = "/" + os.environ["LOAD_STAFF_PREFIX"].strip("/")
PASSWORD = DATA["password"]
_lock = threading.Lock()
_drafts = list(DATA["drafts"])
_reviewers = list(DATA["reviewers"])
_sessions = list(DATA.get("sessions", []))
SESSION_COOKIE = os.environ.get("LOAD_SESSION_COOKIE", "jiaozi_session")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_RE = re.compile(r'name="items" value="(\d+):(\d+)"')
SUBMITTED: list[int] = []  # applications whose submit answered with success
DECIDED: list[int] = []


def _take(pool: list[Any]) -> Any | None:
    with _lock:
        return pool.pop() if pool else None


def totp(key_hex: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as django-otp's TOTPDevice checks it."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def _client_ip() -> str:
    return f"10.{random.randrange(1, 250)}.{random.randrange(0, 250)}.{random.randrange(1, 250)}"


def _sign_in(client: Any, path: str, username: str, password: str, name: str) -> bool:
    page = client.get(path, name=f"{name} (form)")
    token = CSRF_RE.search(page.text or "")
    if token is None:
        return False
    with client.post(
        path,
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        name=name,
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"sign-in answered {response.status_code}")
            return False
        response.success()
    return True


def _csrf(client: Any) -> str:
    return str(client.cookies.get("csrftoken", ""))


class Applicant(HttpUser):
    weight = 4
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.account = _take(_drafts)
        self.submitted = False
        if self.account is None:
            self.stop()
            return
        self.headers = {"X-Forwarded-For": _client_ip()}
        self.client.headers.update(self.headers)
        if not _sign_in(self.client, "/me/login/", self.account["username"], PASSWORD, "applicant sign-in"):
            self.stop()

    @task(3)
    def status(self) -> None:
        self.client.get("/me/", name="applicant /me/")

    @task(2)
    def api_status(self) -> None:
        self.client.get(
            f"/api/v1/registration/applications/{self.account['application']}", name="API application"
        )

    @task(2)
    def submit(self) -> None:
        if self.submitted:
            self.status()
            return
        _submit(self.client, self.account["application"])
        self.submitted = True


def _submit(client: Any, application: int) -> None:
    detail = client.get(f"/me/applications/{application}/edit/", name="applicant edit page")
    version = re.search(r'name="version" value="(\d+)"', detail.text or "")
    token = CSRF_RE.search(detail.text or "")
    if version is None or token is None:
        return
    with client.post(
        f"/me/applications/{application}/act/",
        {"csrfmiddlewaretoken": token.group(1), "action": "submit", "version": version.group(1)},
        name="applicant submit",
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code == 302 and f"/me/applications/{application}/" in response.headers.get(
            "Location", ""
        ):
            response.success()
            with _lock:
                SUBMITTED.append(application)
        else:
            response.failure(f"submit answered {response.status_code}")


class Reviewer(HttpUser):
    weight = 1
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.account = _take(_reviewers)
        if self.account is None:
            self.stop()
            return
        self.client.headers.update({"X-Forwarded-For": _client_ip()})
        if not _sign_in(
            self.client, f"{STAFF}/accounts/login/", self.account["username"], PASSWORD, "reviewer sign-in"
        ):
            self.stop()
            return
        page = self.client.get(f"{STAFF}/accounts/otp/", name="reviewer code (form)")
        token = CSRF_RE.search(page.text or "")
        if token is None:
            self.stop()
            return
        self.client.post(
            f"{STAFF}/accounts/otp/",
            {"csrfmiddlewaretoken": token.group(1), "token": totp(self.account["totp_key"])},
            name="reviewer code",
            allow_redirects=False,
        )

    def _queue(self) -> list[tuple[str, str]]:
        page = random.randint(1, 5)
        response = self.client.get(f"{STAFF}/registration/queue/?page={page}", name="reviewer queue page")
        return ITEM_RE.findall(response.text or "")

    @task(4)
    def queue(self) -> None:
        self._queue()

    @task(2)
    def decide_one(self) -> None:
        items = self._queue()
        if not items:
            return
        pk, version = random.choice(items)
        with self.client.post(
            f"{STAFF}/registration/applications/{pk}/act/",
            {
                "csrfmiddlewaretoken": _csrf(self.client),
                "action": "conclude",
                "version": version,
                "conclusion": "qualified",
            },
            name="reviewer decision",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # 302: done; a colleague's decision first is a stale version, shown on the page
            # (also 302, with its message) — neither is an error.
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"decision answered {response.status_code}")

    @task(1)
    def decide_batch(self) -> None:
        items = self._queue()[:10]
        if not items:
            return
        with self.client.post(
            f"{STAFF}/registration/queue/batch/",
            {
                "csrfmiddlewaretoken": _csrf(self.client),
                "action": "conclude",
                "items": [f"{pk}:{version}" for pk, version in items],
                "step": "execute",
                "reason": "材料齐全",
            },
            name="reviewer batch decision",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"batch answered {response.status_code}")


class Public(HttpUser):
    weight = 4
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.client.headers.update({"X-Forwarded-For": _client_ip()})

    @task(3)
    def verify(self) -> None:
        certificate = random.choice(DATA["certificates"])
        page = self.client.get("/verify/", name="public verify (form)")
        token = CSRF_RE.search(page.text or "")
        if token is None:
            return
        self.client.post(
            "/verify/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "certificate_number": certificate["number"],
                "name": certificate["name"],
            },
            name="public verify",
        )

    @task(1)
    def notices(self) -> None:
        self.client.get("/notices/", name="public notices")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="portal home")


class Floor(HttpUser):
    weight = 1
    wait_time = constant(0)

    @task
    def insert(self) -> None:
        self.client.post("/_load/floor", name="floor: one insert")


class Submitter(HttpUser):
    """The submit flow alone, for its ratio to the floor: applicants already signed in
    (sessions ``seed_load --signed-in`` started) open their application and submit it,
    one after another, without pause."""

    weight = 1
    wait_time = constant(0)

    @task
    def submit(self) -> None:
        item = _take(_sessions)
        if item is None:
            time.sleep(1)
            return
        session = HttpSession(self.host, self.environment.events.request, self)
        session.headers.update({"X-Forwarded-For": _client_ip()})
        session.cookies.set(SESSION_COOKIE, item["session"])
        _submit(session, item["application"])


@events.quitting.add_listener
def _write_ids(environment: Any, **kwargs: Any) -> None:
    path = os.environ.get("LOAD_SUBMITTED_OUT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"submitted": SUBMITTED}) + "\n")
