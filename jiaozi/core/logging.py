"""A log filter that keeps personal data and secrets out of the logs (SECURITY 19)."""

from __future__ import annotations

import logging
import re
from typing import Any

_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SECRET = re.compile(r"(?i)(password|passwd|otp_token|token|sessionid|jiaozi_session|secret)=([^&\s]+)")


def redact_values(text: str) -> str:
    """Mask ID numbers, phones and secrets; keep the text's lines."""
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
