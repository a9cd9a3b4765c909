"""``make cluster`` / ``make cluster-stop``: production mode on this machine.

Starts, on 127.0.0.1, what a province runs on several machines — two app servers
(gunicorn) behind nginx, a Celery worker and Celery beat — over the local PostgreSQL and
Redis, with ``config.settings.production``. The files it runs are the deployed ones, used
as they are: the systemd units of ``deploy/systemd/`` (their ``ExecStart``,
``Environment`` and ``WorkingDirectory``, with the install paths mapped to this checkout)
and nginx's ``deploy/nginx/`` site and upstream files. Only what differs per machine is
written here: ``var/cluster/jiaozi.env`` (generated keys, kept between runs; the
EnvironmentFile of the units) and nginx's ``jiaozi-local.conf`` (listen address, log).

    python deploy/cluster.py start     # migrate, collect static, start, wait for /healthz
    python deploy/cluster.py stop      # stop everything it started (by its pid files)
    python deploy/cluster.py status

Environment: ``CLUSTER_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/jiaozi_cluster,
created when missing), ``CLUSTER_REDIS`` (default redis://127.0.0.1:6379, databases
10–12 so a developer's own Redis data is not touched), ``CLUSTER_PORT`` (nginx, default
8100), ``CLUSTER_APP_PORTS`` (default 8101,8102 — the ones upstream.conf lists).

Plain HTTP on 127.0.0.1 only: ``SECURE_SSL_REDIRECT=0`` and ``COOKIES_SECURE=0`` in the
generated environment (a province's nginx ends TLS; docs/operations.md).
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VAR = ROOT / "var" / "cluster"
ENV_FILE = VAR / "jiaozi.env"
INSTALL_DIR = "/opt/jiaozi"
STATE_DIR = "/var/lib/jiaozi"
ENV_PATH = "/etc/jiaozi/jiaozi.env"

DATABASE_URL = os.environ.get("CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiaozi_cluster")
REDIS = os.environ.get("CLUSTER_REDIS", "redis://127.0.0.1:6379").rstrip("/")
PORT = int(os.environ.get("CLUSTER_PORT", "8100"))
APP_PORTS = [int(p) for p in os.environ.get("CLUSTER_APP_PORTS", "8101,8102").split(",")]
BASE_URL = f"http://127.0.0.1:{PORT}"


def _key(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


def environment_file() -> dict[str, str]:
    """The cluster's EnvironmentFile: keys generated once and kept (the data encrypted
    and chained with them stays readable across restarts)."""
    VAR.mkdir(parents=True, exist_ok=True)
    values: dict[str, str] = {}
    if ENV_FILE.is_file():
        for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value
    defaults = {
        "DJANGO_SECRET_KEY": _key(48),
        "STAFF_URL_PREFIX": "staff-cluster-" + re.sub(r"[^a-z0-9]", "", _key(12).lower())[:8],
        "FIELD_ENCRYPTION_KEYS": f"c1:{_key(16)}",
        "FIELD_ENCRYPTION_ACTIVE_KEY": "c1",
        "BLIND_INDEX_KEY": _key(32),
        "AUDIT_CHAIN_KEY": _key(32),
    }
    fixed = {
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": f"{REDIS}/10",
        "CELERY_RESULT_BACKEND": f"{REDIS}/11",
        "REDIS_CACHE_URL": f"{REDIS}/12",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": BASE_URL,
        "TRUSTED_PROXIES": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "COOKIES_SECURE": "0",
        "MEDIA_ROOT": str(VAR / "media"),
        "NOTIFICATION_OUTBOX_DIR": str(VAR / "outbox"),
        "GUNICORN_ACCESSLOG": "",
        "LOAD_FLOOR_VIEW": "1",
        # Every load-test client comes from 127.0.0.1 through nginx; the locust profile
        # sends X-Forwarded-For per simulated client, so per-address limits still count
        # per client.
        "LOG_LEVEL": "WARNING",
    }
    values = {**defaults, **values, **fixed}
    ENV_FILE.write_text(
        "# make cluster's EnvironmentFile (deploy/cluster.py); keys generated once.\n"
        + "".join(f"{k}={v}\n" for k, v in values.items()),
        encoding="utf-8",
    )
    ENV_FILE.chmod(0o600)
    return values


def unit(name: str, instance: str = "") -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of a systemd unit's ExecStart, paths mapped to this checkout."""
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
    env: dict[str, str] = {}
    argv: list[str] = []
    for raw in text.splitlines():
        line = raw.strip().replace("%i", instance)
        line = line.replace(INSTALL_DIR, str(ROOT)).replace(STATE_DIR, str(VAR))
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = value
        elif line.startswith("ExecStart="):
            argv = shlex.split(line.removeprefix("ExecStart="))
    if not argv:
        raise SystemExit(f"{name}: no ExecStart")
    return argv, env


def _pidfile(name: str) -> Path:
    return VAR / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _running(name: str) -> int | None:
    path = _pidfile(name)
    if not path.is_file():
        return None
    pid = int(path.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


def _spawn(name: str, argv: list[str], env: dict[str, str]) -> None:
    if _running(name):
        print(f"  {name}: already running")
        return
    log = open(VAR / f"{name}.log", "ab")  # noqa: SIM115 (kept open by the child)
    process = subprocess.Popen(  # noqa: S603 (argv from the repository's own unit files)
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    _pidfile(name).write_text(str(process.pid))
    print(f"  {name}: pid {process.pid} ({' '.join(argv[:3])} …), log var/cluster/{name}.log")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def ensure_database() -> None:
    import psycopg

    name = urlsplit(DATABASE_URL).path.lstrip("/")
    with psycopg.connect(_with_database(DATABASE_URL, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"  created database {name}")


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise SystemExit("nginx is missing: `make nginx` installs Debian's package")
    return found


def nginx_prefix() -> Path:
    prefix = VAR / "nginx"
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    links = {
        "nginx.conf": "cluster.conf",
        "jiaozi.conf": "jiaozi.conf",
        "jiaozi-proxy.conf": "jiaozi-proxy.conf",
        "upstream.conf": "upstream.conf",
    }
    for link, target in links.items():
        path = prefix / link
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(DEPLOY / "nginx" / target)
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text(encoding="utf-8")
    listed = sorted(int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", upstream))
    if listed != sorted(APP_PORTS):
        raise SystemExit(f"deploy/nginx/upstream.conf lists ports {listed}, the cluster runs {APP_PORTS}")
    (prefix / "jiaozi-local.conf").write_text(
        f"listen 127.0.0.1:{PORT};\nserver_name 127.0.0.1 localhost;\n"
        f"access_log {VAR / 'nginx-access.log'} jiaozi;\n",
        encoding="utf-8",
    )
    return prefix


def wait_healthy(url: str, seconds: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (127.0.0.1)
                if response.status == 200:
                    import json

                    return dict(json.loads(response.read()))
        except Exception as exc:  # not up yet
            last = str(exc)
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s ({last}); see var/cluster/*.log")


def start() -> None:
    values = environment_file()
    env = {**os.environ, **values, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    print(f"Cluster: PostgreSQL {urlsplit(DATABASE_URL).path.lstrip('/')}, Redis {REDIS}/10–12")
    ensure_database()
    _manage(env, "migrate", "--no-input")
    _manage(env, "collectstatic", "--no-input")
    for port in APP_PORTS:
        argv, unit_env = unit("jiaozi-web@.service", str(port))
        _spawn(f"web-{port}", argv, {**env, **unit_env})
    for name in ("worker", "beat"):
        argv, unit_env = unit(f"jiaozi-{name}.service")
        _spawn(name, argv, {**env, **unit_env})
    prefix = nginx_prefix()
    if not _running("nginx"):
        subprocess.run([nginx_binary(), "-p", str(prefix), "-c", "nginx.conf", "-t", "-q"], check=True)  # noqa: S603
        subprocess.run([nginx_binary(), "-p", str(prefix), "-c", "nginx.conf"], check=True)  # noqa: S603
        shutil.copyfile(prefix / "nginx.pid", _pidfile("nginx"))
        print(f"  nginx: pid {_pidfile('nginx').read_text().strip()}, {BASE_URL} → {APP_PORTS}")
    for port in APP_PORTS:
        wait_healthy(f"http://127.0.0.1:{port}/healthz")
    checks = wait_healthy(f"{BASE_URL}/healthz")
    print(f"Cluster up at {BASE_URL} (health: {checks}); staff entrance /{values['STAFF_URL_PREFIX']}/")
    print("Stop it with: make cluster-stop")


def stop() -> None:
    names = ["nginx", *(f"web-{p}" for p in APP_PORTS), "worker", "beat"]
    stopped = []
    for name in names:
        pid = _running(name)
        if pid is None:
            _pidfile(name).unlink(missing_ok=True)
            continue
        sig = signal.SIGQUIT if name == "nginx" else signal.SIGTERM
        os.kill(pid, sig)
        stopped.append((name, pid))
    deadline = time.monotonic() + 45
    for name, pid in stopped:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL) if name != "nginx" else os.kill(pid, signal.SIGKILL)
        _pidfile(name).unlink(missing_ok=True)
        print(f"  {name}: stopped (pid {pid})")
    if not stopped:
        print("Cluster: nothing was running")


def status() -> int:
    names = ["nginx", *(f"web-{p}" for p in APP_PORTS), "worker", "beat"]
    down = 0
    for name in names:
        pid = _running(name)
        print(f"  {name}: {'pid ' + str(pid) if pid else 'not running'}")
        down += pid is None
    return 1 if down else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "start"
    if command == "start":
        start()
    elif command == "stop":
        stop()
    elif command == "status":
        return status()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
