"""EncryptedField and its blind index on a real model (SECURITY check 22)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from jiaozi.accounts.models import User
from jiaozi.core import crypto, idcard
from jiaozi.core.fields import field_lookup
from jiaozi.orgs.models import Institution
from jiaozi.teachers.models import Teacher

from .factories import make_teacher

ID = idcard.make("34010419900101123")
PHONE = "13812345678"


def _raw(table: str, pk: int, *columns: str) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])  # noqa: S608 # nosec B608 # names from model metadata
        return tuple(cursor.fetchone())


def test_raw_sql_shows_ciphertext_not_the_plain_values(school: Institution) -> None:
    teacher = make_teacher(school=school, resident_id=ID, phone=PHONE)
    resident_id, phone, bidx = _raw(
        "teachers_teacher", teacher.pk, "resident_id", "phone", "resident_id_bidx"
    )
    assert resident_id.startswith("sm4-gcm$")
    assert phone.startswith("sm4-gcm$")
    assert ID not in resident_id
    assert PHONE not in phone
    assert ID[6:14] not in resident_id  # not even the birth date
    assert ID not in bidx
    assert bidx == crypto.blind_index(ID, context="resident_id")


def test_values_come_back_in_clear(school: Institution) -> None:
    teacher = make_teacher(school=school, resident_id=ID, phone=PHONE)
    fresh = Teacher.objects.get(pk=teacher.pk)
    assert (fresh.resident_id, fresh.phone) == (ID, PHONE)


def test_lookup_by_blind_index(school: Institution) -> None:
    teacher = make_teacher(school=school, resident_id=ID)
    make_teacher(school=school)
    assert list(Teacher.objects.filter(**field_lookup(Teacher, "resident_id", ID))) == [teacher]
    # Normalised: a lower-case x or stray spaces find the same person.
    field = Teacher._meta.get_field("resident_id")
    assert Teacher.objects.filter(**field.lookup(f" {ID.lower()} ")).get() == teacher  # type: ignore[attr-defined]
    assert not Teacher.objects.filter(
        **field_lookup(Teacher, "resident_id", idcard.make("34010419900101124"))
    )


def test_unique_blind_index_refuses_a_duplicate_resident_id(school: Institution) -> None:
    make_teacher(school=school, resident_id=ID)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_teacher(school=school, resident_id=ID.lower())
    assert Teacher.objects.count() == 1


def test_bulk_create_fills_the_blind_index(school: Institution) -> None:
    ids = [idcard.make(f"3401041990010{n:04d}") for n in range(3)]
    Teacher.objects.bulk_create(
        [
            Teacher(
                resident_id=value,
                phone=PHONE,
                name=f"批量{n}",
                sex="male",
                school=school,
                post_type="full_time",
                employment_type="public_established",
            )
            for n, value in enumerate(ids)
        ]
    )
    for value in ids:
        teacher = Teacher.objects.get(**field_lookup(Teacher, "resident_id", value))
        assert teacher.resident_id == value
    phone_hits = Teacher.objects.filter(**field_lookup(Teacher, "phone", PHONE))
    assert phone_hits.count() == 3


def test_saving_a_changed_value_moves_the_blind_index(school: Institution) -> None:
    teacher = make_teacher(school=school, resident_id=ID)
    new_id = idcard.make("34010419900101124")
    teacher.resident_id = new_id
    teacher.save()
    assert not Teacher.objects.filter(**field_lookup(Teacher, "resident_id", ID)).exists()
    assert Teacher.objects.filter(**field_lookup(Teacher, "resident_id", new_id)).get() == teacher


def test_tampered_column_fails_on_read(school: Institution) -> None:
    teacher = make_teacher(school=school, resident_id=ID, phone=PHONE)
    # The phone's ciphertext copied into the ID column: the bound column name (AAD)
    # makes it fail instead of reading back as somebody's resident ID.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE teachers_teacher SET resident_id = phone WHERE id = %s", [teacher.pk])
    with pytest.raises(crypto.DecryptionError):
        Teacher.objects.get(pk=teacher.pk)


def test_user_encrypted_fields_allow_blank_and_null(db: None) -> None:
    user = User.objects.create_user("applicant1", "Jiaozi@2024", real_name="张三")
    fresh = User.objects.get(pk=user.pk)
    assert fresh.resident_id is None
    assert fresh.phone == ""
    # Two accounts without an ID do not collide on the unique blind index.
    User.objects.create_user("applicant2", "Jiaozi@2024", real_name="李四")
    user.resident_id = ID
    user.phone = PHONE
    user.save()
    assert User.objects.filter(**field_lookup(User, "resident_id", ID)).get() == user
    raw_id, raw_phone = _raw("accounts_user", user.pk, "resident_id", "phone")
    assert ID not in raw_id
    assert PHONE not in raw_phone
