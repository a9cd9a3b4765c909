"""Real-name sign-up: validation, duplicates, the generated username, consent, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core.idcard import make

from ..services import PRIVACY_NOTICE_VERSION, USERNAME_PREFIX

pytestmark = pytest.mark.django_db

URL = "/me/signup/"
RID = make("34010419850612001")
PHONE = "13912345678"
GOOD = "Jz-teach2024"


def form(**overrides: Any) -> dict[str, Any]:
    return {
        "real_name": "张三",
        "resident_id": RID,
        "phone": PHONE,
        "password1": GOOD,
        "password2": GOOD,
        "consent": "on",
    } | overrides


def test_the_url_name_is_the_contract_one() -> None:
    assert reverse("applicants:signup") == URL


def test_the_page_shows_the_form_and_the_privacy_notice_link(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    for name in ("real_name", "resident_id", "phone", "password1", "password2", "consent"):
        assert f'name="{name}"' in response.text
    assert reverse("applicants:privacy") in response.text
    assert "no-store" in response["Cache-Control"]


def test_sign_up_creates_a_signed_in_applicant_with_a_generated_username(client: Client) -> None:
    response = client.post(URL, form())

    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:home")
    user = User.objects.get(**User._meta.get_field("resident_id").lookup(RID))  # type: ignore[attr-defined]
    assert user.kind == User.Kind.APPLICANT
    assert user.role == ""
    assert user.institution_id is None
    assert user.real_name == "张三"
    assert user.phone == PHONE
    assert user.check_password(GOOD)
    # The username carries neither the ID nor the phone.
    assert user.username.startswith(USERNAME_PREFIX)
    assert RID not in user.username
    assert PHONE not in user.username
    assert int(client.session["_auth_user_id"]) == user.pk
    home = client.get(reverse("applicants:home"))
    assert user.username in home.text  # told once, in the welcome message
    event = AuditEvent.objects.get(kind=AuditKind.APPLICANT_SIGNED_UP)
    assert event.actor_id == user.pk
    assert event.details == {"privacy_notice": PRIVACY_NOTICE_VERSION}
    assert RID not in str(event.details)
    assert PHONE not in str(event.details)


def test_the_id_and_phone_are_stored_encrypted(client: Client) -> None:
    client.post(URL, form())

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT resident_id, phone FROM {User._meta.db_table} WHERE kind = 'applicant'")  # noqa: S608 # nosec B608 # names from model metadata
        stored_id, stored_phone = cursor.fetchone()
    assert RID not in stored_id
    assert PHONE not in stored_phone


def test_a_lower_case_x_is_accepted_and_normalised(client: Client) -> None:
    rid = next(make(f"3401041985061200{n}") for n in range(10) if make(f"3401041985061200{n}").endswith("X"))

    response = client.post(URL, form(resident_id=rid.lower()))

    assert response.status_code == 302
    assert User.objects.filter(**User._meta.get_field("resident_id").lookup(rid)).exists()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("resident_id", RID[:-1] + ("0" if RID[-1] != "0" else "1"), "校验位"),
        ("resident_id", "34010419851312001X", "出生日期"),
        ("resident_id", "３４０１０４１９８５０６１２００１" + RID[-1], "18位"),  # full-width digits
        ("phone", "12345678901", "手机号"),
        ("phone", "１３９１２３４５６７８", "手机号"),
        ("real_name", "张", "真实姓名"),
        ("real_name", "Robert'); DROP", "真实姓名"),
    ],
)
def test_invalid_fields_are_refused_with_a_message(
    client: Client, field: str, value: str, message: str
) -> None:
    response = client.post(URL, form(**{field: value}))

    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.filter(kind=User.Kind.APPLICANT).exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1A", "8"),
        ("alllowercaseletters", "至少3类"),
        ("Password1", "太常见"),
        ("Password123!", "太常见"),
        (f"Ab#{RID}", "身份证号"),
    ],
)
def test_weak_passwords_are_refused_by_the_project_validators(
    client: Client, password: str, message: str
) -> None:
    response = client.post(URL, form(password1=password, password2=password))

    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.filter(kind=User.Kind.APPLICANT).exists()


def test_the_two_passwords_must_match(client: Client) -> None:
    response = client.post(URL, form(password2=GOOD + "x"))

    assert "两次输入的密码不一致" in response.text
    assert not User.objects.filter(kind=User.Kind.APPLICANT).exists()


def test_consent_is_required(client: Client) -> None:
    data = form()
    del data["consent"]

    response = client.post(URL, data)

    assert "个人信息处理规则" in response.text
    assert not User.objects.filter(kind=User.Kind.APPLICANT).exists()


def test_a_registered_resident_id_gets_the_one_message_and_no_second_account(client: Client) -> None:
    client.post(URL, form())
    client.logout()

    response = client.post(URL, form(phone="13900000001", real_name="李四"))

    assert response.status_code == 200
    assert "该身份证号已注册，请直接登录或找回密码" in response.text
    assert "张三" not in response.text  # nothing of the other account
    assert User.objects.filter(kind=User.Kind.APPLICANT).count() == 1


def test_a_staff_member_who_is_a_teacher_can_sign_up_as_an_applicant(client: Client) -> None:
    # Staff filings carry the resident ID (docs/decisions/0169): a reviewer who is also a
    # teacher keeps one staff and one applicant account; the conflict-of-interest check
    # compares the two. Only another applicant account makes the ID "registered".
    make_staff(resident_id=RID)

    response = client.post(URL, form())

    assert "该身份证号已注册" not in response.text
    assert User.objects.filter(kind=User.Kind.APPLICANT).count() == 1


def test_a_registered_phone_is_refused(client: Client) -> None:
    client.post(URL, form())
    client.logout()

    response = client.post(URL, form(resident_id=make("34010419900101002")))

    assert "该手机号已注册" in response.text
    assert User.objects.filter(kind=User.Kind.APPLICANT).count() == 1


def test_posted_role_or_institution_are_ignored(client: Client) -> None:
    client.post(URL, form(kind="staff", role="province_admin", institution="340000", is_superuser="1"))

    user = User.objects.get(kind=User.Kind.APPLICANT)
    assert user.role == ""
    assert not user.is_superuser
    assert user.institution_id is None


def test_sign_ups_are_rate_limited_per_address(client: Client) -> None:
    for n in range(10):
        client.post(URL, form(resident_id="bad", phone=f"1390000{n:04d}"))

    response = client.post(URL, form())

    assert response.status_code == 429
    assert not User.objects.filter(kind=User.Kind.APPLICANT).exists()


def test_a_signed_in_staff_member_cannot_sign_up(client: Client, as_staff: Any) -> None:
    as_staff(make_staff())

    response = client.get(URL)

    assert response.status_code == 403
