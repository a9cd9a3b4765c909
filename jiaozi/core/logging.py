"""A log filter that keeps personal data and secrets out of the logs (SECURITY 19)."""

from __future__ import annotations

import logging
import re

_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SECRET = re.compile(r"(?i)(password|passwd|otp_token|token|sessionid|jiaozi_session|secret)=([^&\s]+)")


def redact(text: str) -> str:
    text = _ID.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    text = _SECRET.sub(r"\1=[redacted]", text)
    return text.replace("\r", "\\r").replace("\n", "\\n")


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
