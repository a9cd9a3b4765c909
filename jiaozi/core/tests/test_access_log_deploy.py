"""The access logs of the servers as deployed keep no query string (SECURITY 19, issue 14
finding 9): nginx logs through the project's ``jiaozi`` format only, which has the path
(``$uri``) and never the request line, the query or the referrer; the app server's
deployed config (``deploy/gunicorn.conf.py``, what systemd and ``make cluster`` run)
keeps the redacting logger of ``config/gunicorn.py``."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from config.gunicorn import RedactingLogger

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
# nginx variables that carry the query string or a URL with one.
LEAKY = re.compile(r"\$(request|request_uri|args|query_string|arg_\w+|http_referer|request_body)\b")


def _nginx_sources() -> dict[Path, str]:
    files = [*DEPLOY.glob("nginx/*.conf"), *DEPLOY.glob("nginx/*.conf.example"), DEPLOY / "cluster.py"]
    return {path: path.read_text(encoding="utf-8") for path in files}


def test_the_nginx_log_format_has_no_query() -> None:
    formats = {
        m.group(1): m.group(2)
        for text in _nginx_sources().values()
        for m in re.finditer(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", text)
    }
    assert set(formats) == {"jiaozi"}, formats
    assert "$uri" in formats["jiaozi"]
    assert not LEAKY.search(formats["jiaozi"]), LEAKY.search(formats["jiaozi"])


def test_every_nginx_access_log_uses_that_format_or_is_off() -> None:
    directives = [
        (path.name, m.group(1).strip())
        for path, text in _nginx_sources().items()
        for m in re.finditer(r"^\s*f?\"?access_log\s+([^;]*);", text, re.MULTILINE)
    ]
    assert directives, "no access_log directive found: the default 'combined' format logs the query"
    for where, args in directives:
        assert args == "off" or args.split()[-1] == "jiaozi", (where, args)
    # The main configuration of make cluster sets no access log of its own (nginx's
    # default would be the "combined" format, with the query).
    assert "access_log" not in (DEPLOY / "nginx" / "cluster.conf").read_text(encoding="utf-8")


def test_the_deployed_gunicorn_config_keeps_the_redacting_logger() -> None:
    deployed = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert deployed["logger_class"] is RedactingLogger
    assert "access_log_format" not in deployed  # gunicorn's default atoms, redacted by the logger
