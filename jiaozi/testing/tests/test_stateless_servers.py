"""Nothing is kept in an app server's memory (issue 13 item 1, docs/decisions/0273): two
real app servers (gunicorn, ``deploy/gunicorn.conf.py``, production settings) over the
test's PostgreSQL database and Redis, and one client whose requests go to them
alternately. The session started on one is valid on the other, the sign-in lockout
counts failures from both, and a rate limit counts the hits of both.

Marked ``services``: it needs PostgreSQL (the test database, shared with the servers)
and Redis on 127.0.0.1:6379 (``.ci/run`` starts it). On SQLite it is skipped (the test
database lives in this process's memory); without Redis it is skipped too, except in CI
(``CI`` set), where a missing Redis is a failure."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

from jiaozi.accounts.models import User
from jiaozi.testing.services import app_servers, production_env, redis_flush, require_services

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "Load-Test@2024"


@pytest.fixture
def servers(transactional_db: None, tmp_path: Path, static_root: Path) -> Iterator[list[str]]:
    require_services()
    redis_flush(14)
    env = production_env(
        media_root=tmp_path / "media",
        outbox=tmp_path / "outbox",
        broker_db=13,
        cache_db=14,
        static_root=static_root,
    )
    env |= {
        "VERIFY_TOKEN_RATE_HITS": "4",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": "",
    }
    with app_servers(env, tmp_path, count=2) as bases:
        yield bases


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One client (one cookie jar) whose requests alternate between the servers."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.turn = 0
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def next_base(self) -> str:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        base = self.next_base()
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(base + path, data=body)  # noqa: S310
        if body is not None:
            request.add_header("Referer", base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), base
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), base

    def csrf(self) -> str:
        return next(str(c.value) for c in self.jar if c.name == settings.CSRF_COOKIE_NAME)

    def sign_in(self, username: str, password: str) -> tuple[int, str]:
        status, page, _base = self.request("/me/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        status, page, base = self.request(
            "/me/login/", {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        )
        return status, base


def _applicant(username: str) -> User:
    user = User.objects.create(username=username, kind=User.Kind.APPLICANT, real_name="负载测")
    # The servers run production's hashers, not the test settings' fast one.
    user.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    user.save(update_fields=["password"])
    return user


def test_a_session_started_on_one_server_is_valid_on_the_other(servers: list[str]) -> None:
    _applicant("stateless_a")
    client = Browser(servers)
    status, _signed_in_at = client.sign_in("stateless_a", PASSWORD)
    assert status == 302
    served = set()
    for _ in range(4):  # the applicant's pages now, on both servers alternately
        status, _page, base = client.request("/me/profile/")
        assert status == 200, (base, status)
        served.add(base)
    assert served == set(servers)
    status, _page, _base = Browser(servers).request("/me/profile/")  # and not for a stranger
    assert status == 302


def test_the_lockout_counts_failures_on_both_servers(servers: list[str]) -> None:
    _applicant("stateless_b")
    client = Browser(servers)
    seen = set()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        status, base = client.sign_in("stateless_b", "wrong-password-1")
        seen.add(base)
        assert status == 200  # the form again, with its error
        client.turn += 1  # the next attempt's POST goes to the other server
    assert seen == set(servers)
    status, _base = client.sign_in("stateless_b", "wrong-password-1")  # the limit: locked
    assert status == 429
    status, _base = client.sign_in("stateless_b", PASSWORD)  # right, but locked
    assert status == 429


def test_a_rate_limit_counts_the_hits_of_both_servers(servers: list[str]) -> None:
    client = Browser(servers)
    token = "x" * 40
    statuses = [client.request(f"/verify/{token}/")[0] for _ in range(5)]
    assert 429 not in statuses[:4]  # four hits (an unknown token: its page says so)
    assert statuses[4] == 429
