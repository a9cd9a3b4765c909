"""gunicorn, the production server: ``gunicorn -c config/gunicorn.py config.wsgi``
(docs/deployment.md).

Its access log is on and goes through the same redaction as every other log
(jiaozi.core.logging, docs/decisions/0167-access-log-redaction.md): an ID number or a
phone in a request line, a query string, a referer or a header never reaches it, and a
search box's value is not logged at all. Its client address (``%(h)s``) is the one the
application uses (jiaozi.core.clientip): X-Forwarded-For counts only from
``TRUSTED_PROXIES``.

Environment (the process's, gunicorn does not read ``.env``): ``GUNICORN_BIND`` (default 127.0.0.1:8000), ``GUNICORN_WORKERS`` (default
2 × CPUs + 1), ``GUNICORN_ACCESSLOG`` ("-" for stderr, a file path, or empty to turn
the access log off), ``TRUSTED_PROXIES``, ``LOG_LEVEL``.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

from gunicorn import glogging

from jiaozi.core import clientip
from jiaozi.core.logging import REDACTED, RedactFilter, redact, redact_query

# Headers that carry credentials: never written, whatever the access log format asks.
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-csrftoken", "proxy-authorization"})


def _trusted_proxies() -> list[str]:
    from django.conf import settings

    if settings.configured:
        return list(getattr(settings, "TRUSTED_PROXIES", ()))
    return [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]


def _secret_header(atom: str) -> bool:
    """``{cookie}i`` (request header), ``{set-cookie}o`` (response header) or
    ``{http_cookie}e`` (the header in the WSGI environ) for a credential header."""
    if not (atom.startswith("{") and atom[-2:] in {"}i", "}o", "}e"}):
        return False
    name = atom[1:-2].lower()
    if atom.endswith("}e"):
        if not name.startswith("http_"):
            return False
        name = name[5:].replace("_", "-")
    return name in SECRET_HEADERS


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with the project's redaction on the access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactFilter) for f in log.filters):
                log.addFilter(RedactFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = (
            clientip.resolve(
                environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), _trusted_proxies()
            )
            or "-"
        )
        cleaned: dict[str, Any] = {}
        for key, value in atoms.items():
            if _secret_header(key):
                cleaned[key] = REDACTED
            elif key == "q" or key == "{query_string}e":
                cleaned[key] = redact_query(value or "")
            elif isinstance(value, str):
                cleaned[key] = redact(value)
            else:
                cleaned[key] = value
        return cleaned


logger_class = RedactingLogger
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy's X-Forwarded-Proto decides the scheme only from a trusted proxy.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "") or "127.0.0.1,::1"
