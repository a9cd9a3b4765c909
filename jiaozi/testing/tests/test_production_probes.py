"""The probes of issue 14, over HTTP against a running app server as deployed (gunicorn,
``deploy/gunicorn.conf.py``, ``config.settings.production``, secure cookies, its access
log to a file), behind a trusted proxy that terminates TLS (``X-Forwarded-Proto`` and
``X-Forwarded-For`` from 127.0.0.1, as nginx sends them): what the public can reach
names no URL pattern and no staff entrance, the admin's files and the API schema are not
public, the security headers and cookie flags are on, an error answer shows no
internals, and the access log keeps no resident ID, phone or search text while it
records the client behind the proxy (SECURITY checks 19–21, 23; docs/security.md §2).

Marked ``services`` like the other real-server tests: PostgreSQL and Redis."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from jiaozi.testing.services import app_servers, production_env, redis_flush, require_services

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RESIDENT_ID = "34010419900101123X"
PHONE = "13912345678"
CLIENT = "203.0.113.7"


@dataclass
class Server:
    base: str
    access_log: Path
    media: Path


@pytest.fixture
def server(transactional_db: None, tmp_path: Path, static_root: Path) -> Iterator[Server]:
    require_services()
    redis_flush(14)
    access_log = tmp_path / "access.log"
    env = production_env(
        media_root=tmp_path / "media",
        outbox=tmp_path / "outbox",
        broker_db=13,
        cache_db=14,
        static_root=static_root,
    )
    env |= {
        "COOKIES_SECURE": "1",
        "SECURE_SSL_REDIRECT": "1",
        "TRUSTED_PROXIES": "127.0.0.1",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": str(access_log),
    }
    with app_servers(env, tmp_path) as [base]:
        yield Server(base, access_log, tmp_path / "media")


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: str

    def header(self, name: str) -> str:
        return ", ".join(self.headers.get(name.lower(), []))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _get(base: str, path: str, *, https: bool = True, headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(base + path)  # noqa: S310 — 127.0.0.1 only
    request.add_header("Host", "127.0.0.1")
    if https:
        request.add_header("X-Forwarded-Proto", "https")
        request.add_header("X-Forwarded-For", CLIENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=30) as response:
            raw = response
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        raw, status, body = error, error.code, error.read()
    except OSError:
        return Answer(0, {}, "")
    collected: dict[str, list[str]] = {}
    for name, value in raw.headers.items():
        collected.setdefault(name.lower(), []).append(value)
    return Answer(status, collected, body.decode(errors="replace"))


def _no_internals(answer: Answer) -> None:
    for leak in ("URLconf", "Traceback", "urlpatterns", "DEBUG = True", settings.STAFF_URL_PREFIX):
        assert leak not in answer.body, leak


def test_what_the_public_reaches_names_no_pattern_and_no_staff_entrance(server: Server) -> None:
    missing = _get(server.base, "/no-such-page/")
    assert missing.status == 404
    assert "页面不存在" in missing.body
    _no_internals(missing)
    under_prefix = _get(server.base, f"/{settings.STAFF_URL_PREFIX}/no-such-page/")
    assert under_prefix.status == 404
    assert "URLconf" not in under_prefix.body
    for path in ("/", "/robots.txt", "/verify/", "/notices/"):
        answer = _get(server.base, path)
        assert answer.status in {200, 404}, path
        _no_internals(answer)
    # An upload stored under MEDIA_ROOT is reachable only through the checked download.
    (server.media / "materials").mkdir(parents=True)
    (server.media / "materials" / "scan.pdf").write_bytes(b"%PDF-1.4 stored upload")
    for path in (
        "/media/materials/scan.pdf",
        "/static/materials/scan.pdf",
        "/materials/scan.pdf",
        "/static/admin/css/base.css",
        "/static/admin/js/core.js",
        "/admin/",
        "/api/v1/openapi.json",
        "/api/v1/docs",
    ):
        assert _get(server.base, path).status == 404, path


def test_headers_and_cookie_flags_behind_the_tls_proxy(server: Server) -> None:
    home = _get(server.base, "/")
    assert home.status == 200
    assert "max-age=31536000" in home.header("Strict-Transport-Security")
    csp = home.header("Content-Security-Policy")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";", 1)[0]
    assert home.header("X-Content-Type-Options") == "nosniff"
    assert home.header("Referrer-Policy")
    # Plain HTTP straight to the app server is sent to HTTPS.
    plain = _get(server.base, "/me/login/", https=False)
    assert plain.status in {301, 302}
    assert plain.header("Location").startswith("https://")
    sign_in = _get(server.base, "/me/login/")
    assert sign_in.status == 200
    assert "no-store" in sign_in.header("Cache-Control")
    cookies = sign_in.headers.get("set-cookie", [])
    assert cookies, "the sign-in page sets its CSRF cookie"
    for cookie in cookies:
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert "secure" in flags, cookie
        assert "samesite" in flags, cookie


def test_an_api_error_is_a_problem_without_internals(server: Server) -> None:
    answer = _get(server.base, "/api/v1/registration/applications")
    assert answer.status == 401
    assert answer.header("Content-Type").startswith("application/problem+json")
    assert "no-store" in answer.header("Cache-Control")
    _no_internals(answer)


def test_the_access_log_records_the_client_and_no_personal_data(server: Server) -> None:
    _get(server.base, f"/no-such-page/?q={RESIDENT_ID}&phone={PHONE}")
    _get(server.base, f"/verify/?number={RESIDENT_ID}", headers={"Referer": f"https://x/?id={RESIDENT_ID}"})
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        text = server.access_log.read_text(errors="replace") if server.access_log.exists() else ""
        if text.count("\n") >= 2 and "/verify/" in text:
            break
        time.sleep(0.2)
    assert "/no-such-page/" in text, text
    assert "/verify/" in text, text
    assert RESIDENT_ID not in text
    assert RESIDENT_ID[:6] + "19900101" not in text
    assert PHONE not in text
    # The client behind the trusted proxy, not the proxy, is the one logged.
    assert CLIENT in text
