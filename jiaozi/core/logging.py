"""A log filter that keeps personal data and secrets out of the logs (SECURITY 19),
for our own logs and for every server's access log: Django's runserver
(``django.server``, RedactingServerFormatter) and gunicorn (config/gunicorn.py). A URL's
query string is cleaned parameter by parameter: a search box's value, and any value
that holds an ID number or a phone once percent-decoded, becomes ``[redacted]``
(docs/decisions/0167-access-log-redaction.md)."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from django.utils.log import ServerFormatter

_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SECRET = re.compile(r"(?i)(password|passwd|otp_token|token|sessionid|jiaozi_session|secret)=([^&\s]+)")


# Query parameters whose value is typed by a person (search boxes) or names a person:
# never logged, whatever they hold. Keys are compared lower-cased.
SENSITIVE_QUERY_KEYS = frozenset(
    {
        "q",
        "query",
        "search",
        "keyword",
        "name",
        "id_number",
        "resident_id",
        "idcard",
        "phone",
        "mobile",
        "email",
        "token",
        "code",
        "password",
    }
)
# A query (after "?") in a log line: up to whitespace or a quote.
_QUERY = re.compile(r"\?([^\s\"'<>]+)")
_LONG_DIGITS = re.compile(r"\d{11,}")
REDACTED = "[redacted]"


def _sensitive_value(key: str, value: str) -> bool:
    if not value:
        return False
    if unquote_plus(key).strip().lower() in SENSITIVE_QUERY_KEYS:
        return True
    decoded = unquote_plus(value)
    # Once decoded, a value may hold a whole URL (next=/x%3Fq%3D…): the same rules apply.
    return (
        bool(_LONG_DIGITS.search(decoded))
        or _mask(decoded) != decoded
        or redact_query_in_text(decoded) != decoded
    )


def redact_query(query: str) -> str:
    """A query string (without the "?") with every sensitive value replaced by
    ``[redacted]``; keys and harmless values (page=2, sort=name) stay."""
    pairs = []
    for pair in re.split(r"([&;])", query):
        if pair in {"&", ";"}:
            pairs.append(pair)
            continue
        key, sep, value = pair.partition("=")
        pairs.append(f"{key}{sep}{REDACTED}" if sep and _sensitive_value(key, value) else pair)
    return "".join(pairs)


def redact_query_in_text(text: str) -> str:
    """Every URL query inside ``text`` (a request line, a referer, a message) cleaned
    by ``redact_query``."""
    return _QUERY.sub(lambda m: "?" + redact_query(m.group(1)), text)


def _mask(text: str) -> str:
    text = _ID.sub(r"\1********\2", text)
    return _PHONE.sub(r"\1****\2", text)


def redact_values(text: str) -> str:
    """Mask ID numbers, phones, secrets and sensitive query values; keep the text's lines."""
    text = redact_query_in_text(text)
    text = _ID.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _SECRET.sub(r"\1=[redacted]", text)


def redact(text: str) -> str:
    """Mask values and encode CR/LF, so user input cannot forge log lines."""
    return redact_values(text).replace("\r", "\\r").replace("\n", "\\n")


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the formatted message and, keeping their lines, tracebacks and stacks:
    an ID inside an exception message must not reach the logs either."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return redact(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return redact_values(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact_values(super().formatStack(stack_info))


class RedactingServerFormatter(ServerFormatter):
    """Django runserver's request log (logger ``django.server``), redacted like the
    rest: the request line keeps its path but not an ID in its query."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return redact(super().formatMessage(record))
