"""The applicant's postal address is personal data: stored encrypted like the phone.
Existing addresses are encrypted in place (a value already a ciphertext is left alone)."""

from django.db import migrations

import jiaozi.core.fields

CONTEXT = "registration.application.address"


def encrypt_addresses(apps, schema_editor):
    from jiaozi.core import crypto

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quote('address')} FROM registration_application WHERE {quote('address')} <> ''"
        )
        rows = cursor.fetchall()
        for pk, address in rows:
            if crypto.key_id_of(address) and address.split("$", 1)[0] in crypto.ALGORITHMS:
                continue
            cursor.execute(
                f"UPDATE registration_application SET {quote('address')} = %s WHERE id = %s",
                [crypto.encrypt(address, context=CONTEXT), pk],
            )


def decrypt_addresses(apps, schema_editor):
    from jiaozi.core import crypto

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quote('address')} FROM registration_application WHERE {quote('address')} <> ''"
        )
        for pk, stored in cursor.fetchall():
            cursor.execute(
                f"UPDATE registration_application SET {quote('address')} = %s WHERE id = %s",
                [crypto.decrypt(stored, context=CONTEXT)[:200], pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0008_application_certificate_in_registry"),
    ]

    operations = [
        migrations.AlterField(
            model_name="application",
            name="address",
            field=jiaozi.core.fields.EncryptedField(blank=True, default="", index="", verbose_name="通讯地址"),
        ),
        migrations.RunPython(encrypt_addresses, decrypt_addresses),
    ]
