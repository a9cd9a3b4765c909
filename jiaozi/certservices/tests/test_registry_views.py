"""Registry views (issue 11 item 1): the holder's certificates, the staff list in a
jurisdiction with its searches, and each certificate's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import make_applicant
from jiaozi.certificates.models import CertificateEvent, CertificateStatus, Conclusion
from jiaozi.certificates.services import certificate_event_record
from jiaozi.certificates.tests.factories import TeacherFactory
from jiaozi.core import clock
from jiaozi.core.masking import mask_resident_id
from jiaozi.orgs.models import Institution

from ..authority import issuing_authority, number_parts
from ..selectors import Validity, certificate_list_visible_to, certificate_search, validity_of
from .factories import certificate_of, holder_with_certificate

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


# --- the number names the issuing authority ---------------------------------------------


def test_number_parts_read_the_six_fields() -> None:
    parts = number_parts("20153401021000042")
    assert parts is not None
    assert (parts.year, parts.province, parts.authority_code) == ("2015", "340000", "010")
    assert (parts.qualification_type, parts.sex, parts.serial) == ("2", "1", "000042")
    assert number_parts("2015340102100004") is None
    assert number_parts("2015340102100004X") is None


def test_issuing_authority_is_the_bureau_with_the_code(luyang: Institution, hefei: Institution) -> None:
    certificate = certificate_of(luyang)
    assert issuing_authority(certificate.number) == luyang
    assert issuing_authority(certificate_of(hefei, kind="4").number) == hefei
    # Another province's number names no bureau of ours.
    assert issuing_authority("2015" + "32" + luyang.authority_code + "21000001") is None


# --- validity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "conclusion", "valid_to", "expected"),
    [
        (CertificateStatus.REVOKED, Conclusion.QUALIFIED, dt.date(2029, 8, 31), Validity.INVALID),
        (CertificateStatus.LOST, "", None, Validity.INVALID),
        (CertificateStatus.VALID, "", None, Validity.UNREGISTERED),
        (CertificateStatus.VALID, Conclusion.QUALIFIED, dt.date(2026, 12, 5), Validity.VALID),
        (CertificateStatus.VALID, Conclusion.QUALIFIED, dt.date(2026, 12, 4), Validity.EXPIRED),
        (CertificateStatus.VALID, Conclusion.DEFERRED, None, Validity.NOT_QUALIFIED),
    ],
)
def test_validity_of(
    luyang: Institution, status: str, conclusion: str, valid_to: dt.date | None, expected: str
) -> None:
    certificate = certificate_of(luyang, status=status, last_conclusion=conclusion, valid_to=valid_to)
    assert validity_of(certificate, today=dt.date(2026, 12, 5)) == expected


# --- the holder ----------------------------------------------------------------------------


def test_holder_sees_their_certificates_with_status_and_validity(
    client: Client, luyang: Institution, hefei: Institution
) -> None:
    user, mine = holder_with_certificate(luyang)
    other = certificate_of(hefei, kind="4")
    client.force_login(user)
    response = client.get(reverse("certservices_applicant:my_certificates"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.number in body
    assert "注册有效" in body
    assert mine.valid_to is not None
    assert mine.valid_to.strftime("%Y-%m-%d") in body
    assert other.number not in body
    assert "no-store" in response["Cache-Control"]


def test_holder_cannot_open_someone_elses_certificate(client: Client, luyang: Institution) -> None:
    user, _mine = holder_with_certificate(luyang)
    _other_user, other = holder_with_certificate(luyang)
    client.force_login(user)
    assert (
        client.get(reverse("certservices_applicant:my_certificate_detail", args=[other.pk])).status_code
        == 404
    )


def test_unlinked_applicant_is_asked_to_link(client: Client) -> None:
    client.force_login(make_applicant())
    response = client.get(reverse("certservices_applicant:my_certificates"))
    assert response.status_code == 200
    assert 'data-state="not-linked"' in response.content.decode()


def test_holder_pages_send_anonymous_to_sign_in_and_refuse_staff(
    client: Client, signed_in: SignIn, ly_reviewer: User
) -> None:
    url = reverse("certservices_applicant:my_certificates")
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("applicants:login") in response["Location"]
    assert signed_in(ly_reviewer).get(url).status_code == 403


def test_holder_sees_the_history_without_staff_names(
    client: Client, luyang: Institution, ly_certifier: User
) -> None:
    user, certificate = holder_with_certificate(luyang)
    certificate_event_record(
        certificate=certificate,
        kind=CertificateEvent.Kind.CORRECTED,
        actor=ly_certifier,
        institution=luyang,
        changes={"subject": ["数学", "语文"]},
    )
    client.force_login(user)
    body = client.get(
        reverse("certservices_applicant:my_certificate_detail", args=[certificate.pk])
    ).content.decode()
    assert 'data-event="corrected"' in body
    assert "语文" in body
    assert ly_certifier.real_name not in body


# --- staff ---------------------------------------------------------------------------------


def test_staff_list_is_the_jurisdiction_held_or_issued(
    luyang: Institution,
    yaohai: Institution,
    hefei: Institution,
    ly_school: Institution,
    yh_school: Institution,
    ly_certifier: User,
    hf_certifier: User,
) -> None:
    held_here = certificate_of(yaohai, teacher__school=ly_school)  # issued elsewhere, held here
    issued_here = certificate_of(luyang, teacher__school=yh_school)  # issued here, held elsewhere
    neither = certificate_of(yaohai, teacher__school=yh_school)
    senior = certificate_of(hefei, kind="4", teacher__school=yh_school)
    seen = set(certificate_list_visible_to(user=ly_certifier))
    assert {held_here, issued_here} <= seen
    assert neither not in seen
    assert senior not in seen
    # The city sees every county's certificates and its own.
    assert {held_here, issued_here, neither, senior} <= set(certificate_list_visible_to(user=hf_certifier))


def test_roles_without_registry_access_see_nothing(
    prov_admin: User, audit_admin: User, luyang: Institution
) -> None:
    certificate_of(luyang)
    assert not certificate_list_visible_to(user=prov_admin).exists()
    assert not certificate_list_visible_to(user=audit_admin).exists()


def test_search_by_number_name_and_resident_id(luyang: Institution, ly_certifier: User) -> None:
    a = certificate_of(luyang, teacher=TeacherFactory(name="王小明"))
    b = certificate_of(luyang, teacher=TeacherFactory(name="李大华"))
    scoped = certificate_list_visible_to(user=ly_certifier)
    assert list(certificate_search(scoped, number=a.number)) == [a]
    assert list(certificate_search(scoped, name="小明")) == [a]
    assert list(certificate_search(scoped, resident_id=b.teacher.resident_id)) == [b]


def test_staff_list_page_searches_and_masks(
    signed_in: SignIn, luyang: Institution, ly_certifier: User
) -> None:
    a = certificate_of(luyang, teacher=TeacherFactory(name="王小明"))
    b = certificate_of(luyang, teacher=TeacherFactory(name="李大华"))
    client = signed_in(ly_certifier)
    body = client.get(reverse("certservices:certificate_list"), {"name": "小明"}).content.decode()
    assert a.number in body
    assert b.number not in body
    response = client.post(
        reverse("certservices:certificate_id_search"), {"resident_id": b.teacher.resident_id}
    )
    body = response.content.decode()
    assert b.number in body
    assert a.number not in body
    assert b.teacher.resident_id not in body
    assert mask_resident_id(b.teacher.resident_id) in body


def test_resident_id_in_the_url_is_sent_away(
    signed_in: SignIn, luyang: Institution, ly_certifier: User
) -> None:
    certificate = certificate_of(luyang)
    response = signed_in(ly_certifier).get(
        reverse("certservices:certificate_list"), {"name": certificate.teacher.resident_id}
    )
    assert response.status_code == 302
    assert certificate.teacher.resident_id not in response["Location"]


def test_invalid_resident_id_is_refused_with_a_message(signed_in: SignIn, ly_certifier: User) -> None:
    response = signed_in(ly_certifier).post(
        reverse("certservices:certificate_id_search"), {"resident_id": "340104199001011234"}
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()


def test_detail_shows_the_full_history_in_order(
    signed_in: SignIn, luyang: Institution, ly_certifier: User, ly_school: Institution
) -> None:
    certificate = certificate_of(luyang, teacher__school=ly_school)
    with clock.travel(dt.datetime(2024, 1, 2, 9, tzinfo=dt.UTC)):
        certificate_event_record(
            certificate=certificate, kind=CertificateEvent.Kind.ISSUED, actor=None, institution=luyang
        )
    with clock.travel(dt.datetime(2025, 1, 2, 9, tzinfo=dt.UTC)):
        certificate_event_record(
            certificate=certificate,
            kind=CertificateEvent.Kind.REISSUED,
            actor=ly_certifier,
            institution=luyang,
        )
    body = (
        signed_in(ly_certifier)
        .get(reverse("certservices:certificate_detail", args=[certificate.pk]))
        .content.decode()
    )
    assert body.index('data-event="issued"') < body.index('data-event="reissued"')
    assert ly_certifier.real_name in body


def test_detail_out_of_scope_is_404(
    signed_in: SignIn, yaohai: Institution, yh_school: Institution, ly_certifier: User
) -> None:
    certificate = certificate_of(yaohai, teacher__school=yh_school)
    assert (
        signed_in(ly_certifier)
        .get(reverse("certservices:certificate_detail", args=[certificate.pk]))
        .status_code
        == 404
    )
