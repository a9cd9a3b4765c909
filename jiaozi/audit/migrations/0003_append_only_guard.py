"""Append-only guard on the audit tables (SECURITY check 18): PostgreSQL triggers refuse
UPDATE, DELETE and TRUNCATE of audit_auditevent; SQLite gets the equivalent
``RAISE(ABORT, …)`` triggers. Only audit_prune may delete rows, and only old ones.

The SQL lives in jiaozi.audit.guard; a later change to it ships as a new migration
calling ``guard.install`` again (it is idempotent)."""

from django.db import migrations


def install(apps, schema_editor):
    from jiaozi.audit import guard

    if schema_editor.connection.vendor in {"postgresql", "sqlite"}:
        guard.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from jiaozi.audit import guard

    if schema_editor.connection.vendor in {"postgresql", "sqlite"}:
        guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_chain_pruned_boundary"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
