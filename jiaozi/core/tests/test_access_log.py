"""Every server's access log is redacted (SECURITY 19): a GET with an ID number in its
query leaves no ID in Django runserver's request log, in gunicorn's access log (the
project's config/gunicorn.py) or in our own logs."""

from __future__ import annotations

import datetime as dt
import io
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import override_settings
from gunicorn.config import Config

from jiaozi.core.logging import RedactingFormatter, redact, redact_query

ID = "110101199003078515"
PHONE = "13912345678"
CONFIG = Path(__file__).resolve().parents[3] / "config" / "gunicorn.py"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /staff/teachers/?q={ID}&page=2 HTTP/1.1", "GET /staff/teachers/?q=[redacted]&page=2 HTTP/1.1"),
        # Any search box, even without a number (a name is personal data too).
        ("GET /x/?q=%E5%BC%A0%E4%B8%89 HTTP/1.1", "GET /x/?q=[redacted] HTTP/1.1"),
        # An ID under another key, percent-encoded or inside a "next" URL.
        (f"GET /x/?filter={ID[:6]}%20{ID[6:]}x HTTP/1.1", "GET /x/?filter=[redacted] HTTP/1.1"),
        (f"GET /x/?next=%2Fme%2F%3Fq%3D{ID} HTTP/1.1", "GET /x/?next=[redacted] HTTP/1.1"),
        (f"GET /x/?tel={PHONE} HTTP/1.1", "GET /x/?tel=[redacted] HTTP/1.1"),
        # Harmless parameters stay readable.
        ("GET /x/?page=2&sort=-submitted_at HTTP/1.1", "GET /x/?page=2&sort=-submitted_at HTTP/1.1"),
        ("is this ok? yes", "is this ok? yes"),
    ],
)
def test_query_values_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_bare_query_string_is_redacted() -> None:
    assert redact_query(f"q={ID}&page=3") == "q=[redacted]&page=3"
    assert redact_query(f"certificate=1&x={ID}") == "certificate=1&x=[redacted]"


def _runserver_line(requestline: str, code: int = 302) -> str:
    """What runserver's request handler writes for one request, through the handler
    the settings give the ``django.server`` logger."""
    handlers = [
        h for h in logging.getLogger("django.server").handlers if isinstance(h, logging.StreamHandler)
    ]
    assert handlers, "the django.server logger has a handler from settings.LOGGING"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    try:
        handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
        handler.request = None  # type: ignore[assignment]  # no socket: only the log line is made
        handler.requestline = requestline
        handler.log_request(code, 0)
    finally:
        for h, old in zip(handlers, previous, strict=True):
            h.setStream(old)
    return stream.getvalue()


def test_runserver_request_log_has_no_id() -> None:
    line = _runserver_line(f"GET /staff-test/teachers/?q={ID} HTTP/1.1")
    assert "/staff-test/teachers/?q=[redacted]" in line
    assert ID not in line
    assert ID[6:14] not in line
    line = _runserver_line(f"GET /verify/{ID}/?tel={PHONE} HTTP/1.1", code=404)
    assert ID not in line
    assert PHONE not in line


def _gunicorn_logger(tmp_path: Path) -> Any:
    """gunicorn's logger as the project's config file sets it up."""
    cfg = Config()
    for name, value in runpy.run_path(str(CONFIG)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    return cfg.logger_class(cfg)


def _environ(**extra: str) -> dict[str, str]:
    return {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/staff-test/teachers/?q={ID}",
        "PATH_INFO": "/staff-test/teachers/",
        "QUERY_STRING": f"q={ID}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.8.0.1",
        "HTTP_REFERER": f"https://jz.example/staff-test/teachers/?q={ID}&tel={PHONE}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
        **extra,
    }


@override_settings(TRUSTED_PROXIES=["10.8.0.0/16"])
def test_gunicorn_access_log_has_no_id(tmp_path: Path) -> None:
    logger = _gunicorn_logger(tmp_path)
    environ = _environ(HTTP_X_FORWARDED_FOR="198.51.100.9")
    request = SimpleNamespace(
        headers=[("REFERER", environ["HTTP_REFERER"]), ("COOKIE", "jiaozi_session=abc")]
    )
    response = SimpleNamespace(status="302 Found", sent=0, headers=[])
    logger.access(response, request, environ, dt.timedelta(milliseconds=12))
    # A format that asks for every risky atom, the way an operator might configure it.
    logger.cfg.set("access_log_format", '%(q)s %(U)s "%({referer}i)s" %({cookie}i)s %({query_string}e)s')
    logger.access(response, request, environ, dt.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    text = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert ID not in text
    assert PHONE not in text
    assert "abc" not in text
    first, second = text.splitlines()
    assert first.startswith("198.51.100.9 ")  # the client behind the trusted proxy
    assert '"GET /staff-test/teachers/?q=[redacted] HTTP/1.1" 302' in first
    assert "q=[redacted]" in second


def test_gunicorn_error_log_has_no_id(tmp_path: Path) -> None:
    logger = _gunicorn_logger(tmp_path)
    logger.exception("Error handling request %s", f"/x/?q={ID}")
    logger.error("lookup %s", ID)
    for handler in logger.error_log.handlers:
        handler.flush()
    text = (tmp_path / "error.log").read_text(encoding="utf-8")
    assert "Error handling request" in text
    assert ID not in text


def test_our_formatter_redacts_a_logged_url() -> None:
    record = logging.LogRecord("jiaozi", logging.INFO, __file__, 1, "redirecting %s", (f"/x/?q={ID}",), None)
    assert ID not in RedactingFormatter("%(message)s").format(record)
