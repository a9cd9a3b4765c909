"""The app server as deployed: ``gunicorn -c deploy/gunicorn.conf.py config.wsgi`` (the
systemd unit ``jiaozi-web@.service`` and ``make cluster`` run exactly this).

Everything of ``config/gunicorn.py`` (the redacting access log, the client address,
``GUNICORN_BIND``, ``TRUSTED_PROXIES``) plus the worker model chosen by measurement
(docs/decisions/0274, bench/results.md "Load"): threaded workers, because a request
spends most of its time waiting on PostgreSQL, and a worker holds one database
connection per thread for ``DB_CONN_MAX_AGE`` seconds.

Environment: ``GUNICORN_WORKERS`` (default: the CPU count), ``GUNICORN_THREADS``
(default 4), ``GUNICORN_MAX_REQUESTS`` (default 5000: a worker is replaced after that
many requests, with jitter, so a slow leak cannot grow for weeks).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.gunicorn import *  # noqa: F403  (the logger, bind, logs, proxies)

worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count())
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# nginx keeps connections to the app servers open (upstream keepalive).
keepalive = 30
# A request that takes longer than this is killed and logged: no page of the system
# needs it, and a stuck worker must not hold its database connection.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
# Load the application before forking: workers share its memory and a broken release
# fails at start, not on the first request.
preload_app = True
wsgi_app = "config.wsgi:application"
