#!/usr/bin/env bash
# The restore drill (docs/operations.md, "Backups"): restore a pg_dump backup into a
# scratch database, check it with `manage.py audit_verify` (every hash chain intact, the
# append-only triggers in place) and count what came back; drop the scratch database
# afterwards. Run it after every change of the backup set-up and at least monthly.
#
#   deploy/restore_drill.sh BACKUP.dump            # a custom-format dump (pg_dump -Fc)
#   deploy/restore_drill.sh --dump-now             # take a dump of DATABASE_URL first
#   KEEP=1 deploy/restore_drill.sh BACKUP.dump     # keep the scratch database to look at
#
# Environment: DATABASE_URL (the live database: its server receives the scratch database;
# with --dump-now also the source), and the keys the application needs to read the data
# (AUDIT_CHAIN_KEY above all: the chains are keyed), as in /etc/jiaozi/jiaozi.env;
# DJANGO_SETTINGS_MODULE defaults to config.settings.production. Exit status 0 only when
# the restore and the audit verification both pass.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.production}
: "${DATABASE_URL:?set DATABASE_URL to the live database (postgres://…)}"

server_url() { # the URL with another database name
  "$PY" -c 'import sys; from urllib.parse import urlsplit, urlunsplit; p = urlsplit(sys.argv[1]); print(urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, p.fragment)))' "$1" "$2"
}

elapsed() { "$PY" -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = "--dump-now" ]; then
  backup="$work/now.dump"
  echo "== pg_dump of the live database (custom format)"
  start=$(date +%s.%N)
  pg_dump --format=custom --no-owner --file="$backup" "$DATABASE_URL"
  echo "   $(du -h "$backup" | cut -f1) in $(elapsed "$start") s"
else
  backup=${1:?usage: deploy/restore_drill.sh BACKUP.dump | --dump-now}
  [ -r "$backup" ] || { echo "cannot read $backup" >&2; exit 2; }
fi

scratch="jiaozi_restore_drill_$(date +%Y%m%d%H%M%S)_$$"
admin=$(server_url "$DATABASE_URL" postgres)
target=$(server_url "$DATABASE_URL" "$scratch")
cleanup() {
  if [ -z "${KEEP:-}" ]; then
    psql -q "$admin" -c "DROP DATABASE IF EXISTS \"$scratch\"" >/dev/null 2>&1 || true
  else
    echo "   kept: $target"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== Restore into the scratch database $scratch"
psql -q "$admin" -c "CREATE DATABASE \"$scratch\"" >/dev/null
start=$(date +%s.%N)
pg_restore --exit-on-error --no-owner --jobs=2 --dbname="$target" "$backup"
echo "   restored in $(elapsed "$start") s"

echo "== What came back"
psql -q -At "$target" -c "
  SELECT 'applications', count(*)::text FROM registration_application
  UNION ALL SELECT 'teachers', count(*)::text FROM teachers_teacher
  UNION ALL SELECT 'certificates', count(*)::text FROM teachers_certificate
  UNION ALL SELECT 'audit rows', count(*)::text FROM audit_auditevent
  UNION ALL SELECT 'last audit row', coalesce(max(at)::text, '-') FROM audit_auditevent" |
  sed 's/|/: /; s/^/   /'

echo "== Migrations applied match this release"
DATABASE_URL="$target" "$PY" manage.py migrate --check >/dev/null && echo "   yes"

echo "== audit_verify on the restored copy"
DATABASE_URL="$target" "$PY" manage.py audit_verify
echo "== Restore drill PASSED"
