"""Logs never hold an ID, a phone or a secret in clear; CR/LF from input is encoded
(SECURITY check 19)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from jiaozi.core.logging import RedactFilter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lookup 34010419900101123X done", "lookup 340104********123X done"),
        ("lookup 34010419900101123x done", "lookup 340104********123x done"),
        ("id=340104199001011234&x", "id=340104********1234&x"),
        ("tel 13812345678.", "tel 138****5678."),
        ("POST password=S3cret!&next=/", "POST password=[redacted]&next=/"),
        (
            "otp_token=123456 sessionid=abcdef jiaozi_session=xyz",
            "otp_token=[redacted] sessionid=[redacted] jiaozi_session=[redacted]",
        ),
        ("name=张三\r\nFAKE 200 OK", "name=张三\\r\\nFAKE 200 OK"),
        ("order 123456789012345678901 stays", "order 123456789012345678901 stays"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def _log_through_filter(message: str, *args: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("jiaozi.tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_filter_redacts_formatted_arguments() -> None:
    out = _log_through_filter(
        "applicant %s phone %s login password=%s", "34010419900101123X", "13812345678", "hunter2"
    )
    assert "34010419900101123X" not in out
    assert "13812345678" not in out
    assert "hunter2" not in out
    assert "340104********123X" in out


def test_filter_encodes_line_breaks_so_no_line_can_be_forged() -> None:
    out = _log_through_filter("user %s signed in", "alice\nERROR admin signed in")
    assert out.count("\n") == 1  # the handler's own terminator only
    assert "alice\\nERROR" in out


def test_filter_leaves_clean_messages_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "count %d", (3,), None)
    assert RedactFilter().filter(record)
    assert record.args == (3,)
    assert record.getMessage() == "count 3"


def test_console_handler_is_configured_with_the_filter() -> None:
    from django.conf import settings

    config: dict[str, Any] = settings.LOGGING
    assert "redact" in config["handlers"]["console"]["filters"]
    assert config["filters"]["redact"]["()"] == "jiaozi.core.logging.RedactFilter"


def test_formatter_redacts_tracebacks_but_keeps_their_lines() -> None:
    import logging as std_logging

    from jiaozi.core.logging import RedactingFormatter

    formatter = RedactingFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad id 34010419900101123X for 13812345678")
    except ValueError:
        import sys

        record = std_logging.LogRecord(
            "x", std_logging.ERROR, __file__, 1, "failed\nforged", None, sys.exc_info()
        )
    text = formatter.format(record)
    assert "34010419900101123X" not in text
    assert "13812345678" not in text
    assert "340104********123X" in text
    assert "failed\\nforged" in text  # the message's newline stays encoded
    assert "Traceback (most recent call last):\n" in text  # the traceback keeps its lines
