"""Verification tokens: issued unguessable, looked up with masked output, and the
states the public page reports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from jiaozi.certificates.links import verification_url
from jiaozi.certificates.models import Certificate, CertificateStatus, Conclusion, VerificationToken
from jiaozi.certificates.selectors import State, verification_get_by_token, verification_lookup
from jiaozi.certificates.services import verification_token_issue, verification_tokens_revoke
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, ValidationFailed
from jiaozi.orgs.tests.factories import LUYANG, bureau

from .factories import make_certificate, make_teacher, make_token

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def issue(certificate: Certificate, **kw: Any) -> VerificationToken:
    values: dict[str, Any] = {
        "certificate": certificate,
        "conclusion": Conclusion.QUALIFIED,
        "holder_name": certificate.teacher.name,
        "institution": bureau(LUYANG),
        "valid_from": dt.date(2024, 9, 1),
        "valid_to": dt.date(2029, 8, 31),
        "registered_on": dt.date(2024, 9, 1),
    }
    values.update(kw)
    return verification_token_issue(**values)


def test_issued_tokens_are_long_url_safe_random_and_unique() -> None:
    certificate = make_certificate(teacher=make_teacher(name="张三"))
    tokens = [issue(certificate).token for _ in range(50)]
    assert len(set(tokens)) == 50
    for token in tokens:
        assert len(token) >= 32
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)


def test_the_token_keeps_a_masked_snapshot_of_the_form() -> None:
    certificate = make_certificate(teacher=make_teacher(name="欧阳娜娜"))
    row = issue(certificate)
    assert row.holder_name_masked == "欧***"
    assert row.certificate_number == certificate.number
    assert row.qualification_type == certificate.qualification_type
    assert row.institution_name == bureau(LUYANG).name
    assert row.valid_to == dt.date(2029, 8, 31)
    assert not row.revoked
    assert row.token[:6] in str(row)
    assert row.token not in str(row)


@pytest.mark.parametrize(
    "kw",
    [
        {"conclusion": "passed"},
        {"conclusion": Conclusion.QUALIFIED, "valid_to": None},
        {"conclusion": Conclusion.DEFERRED},  # keeps the default validity: refused
    ],
)
def test_inconsistent_conclusions_are_refused(kw: dict[str, Any]) -> None:
    certificate = make_certificate()
    with pytest.raises(ValidationFailed):
        issue(certificate, **kw)
    assert not VerificationToken.objects.exists()


def test_a_deferred_token_has_no_validity() -> None:
    row = issue(make_certificate(), conclusion=Conclusion.DEFERRED, valid_from=None, valid_to=None)
    assert row.conclusion == Conclusion.DEFERRED


@override_settings(PUBLIC_BASE_URL="https://jiaozi.example.gov.cn/")
def test_the_verification_url_is_absolute_on_the_public_site() -> None:
    assert verification_url("a" * 43) == "https://jiaozi.example.gov.cn/verify/" + "a" * 43 + "/"


# --- by token -------------------------------------------------------------------


def test_a_current_token_confirms_the_form(django_assert_num_queries: Any) -> None:
    row = issue(make_certificate(teacher=make_teacher(name="张三")))
    with django_assert_num_queries(2):
        result = verification_get_by_token(token=row.token)
    assert result.state == State.CURRENT
    assert result.holder_name_masked == "张*"
    assert result.conclusion_label == "注册合格"
    assert result.qualification_type_label == "高级中学"
    assert result.certificate_status == CertificateStatus.VALID
    assert result.institution_name == bureau(LUYANG).name


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 43 + "!", ""])
def test_unknown_or_malformed_tokens_are_not_found(token: str) -> None:
    make_token()
    with pytest.raises(NotFound):
        verification_get_by_token(token=token)


def test_a_later_form_supersedes_an_earlier_one() -> None:
    certificate = make_certificate()
    with clock.travel(dt.datetime(2019, 9, 1, 10, tzinfo=TZ)):
        old = issue(certificate, valid_from=dt.date(2019, 9, 1), valid_to=dt.date(2024, 8, 31))
    new = issue(certificate)
    assert verification_get_by_token(token=old.token).state == State.SUPERSEDED
    result = verification_get_by_token(token=new.token)
    assert result.state == State.CURRENT
    old_result = verification_get_by_token(token=old.token)
    assert old_result.valid_to == dt.date(2024, 8, 31)
    assert old_result.current_valid_to == certificate.valid_to


def test_revoked_tokens_and_invalid_certificates_say_so() -> None:
    certificate = make_certificate()
    row = issue(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED)
    assert verification_get_by_token(token=row.token).state == State.CERTIFICATE_INVALID
    assert verification_tokens_revoke(certificate=certificate, reason="抽查发现材料不实") == 1
    assert verification_get_by_token(token=row.token).state == State.REVOKED
    row.refresh_from_db()
    assert row.revoked
    assert row.revoked_reason == "抽查发现材料不实"
    assert verification_tokens_revoke(certificate=certificate, reason="再次撤销") == 0


def test_revoking_needs_a_reason() -> None:
    certificate = make_certificate()
    issue(certificate)
    with pytest.raises(ValidationFailed):
        verification_tokens_revoke(certificate=certificate, reason="  ")
    assert not VerificationToken.objects.filter(revoked=True).exists()


def test_an_ended_validity_is_reported_as_expired() -> None:
    row = issue(make_certificate())
    with clock.travel(dt.datetime(2029, 9, 1, 9, tzinfo=TZ)):
        assert verification_get_by_token(token=row.token).state == State.EXPIRED
    with clock.travel(dt.datetime(2029, 8, 31, 9, tzinfo=TZ)):
        assert verification_get_by_token(token=row.token).state == State.CURRENT


# --- by number and name ---------------------------------------------------------------


def test_lookup_with_the_right_number_and_name_answers_masked(django_assert_num_queries: Any) -> None:
    certificate = make_certificate(teacher=make_teacher(name="王小明"))
    issue(certificate)
    with django_assert_num_queries(2):
        result = verification_lookup(certificate_number=certificate.number, name=" 王 小明 ")
    assert result is not None
    assert result.holder_name_masked == "王**"
    assert result.certificate_number == certificate.number
    assert result.conclusion_label == "注册合格"
    assert result.valid_to == dt.date(2029, 8, 31)
    assert result.institution_name == bureau(LUYANG).name
    assert result.state == State.CURRENT


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("same", "王小红"),  # wrong name
        ("20123401041999999", "王小明"),  # wrong number
        ("2012340104100000", "王小明"),  # malformed number
        ("same", ""),
    ],
)
def test_lookup_with_a_wrong_field_answers_nothing(number: str, name: str) -> None:
    certificate = make_certificate(teacher=make_teacher(name="王小明"))
    assert (
        verification_lookup(certificate_number=certificate.number if number == "same" else number, name=name)
        is None
    )


def test_lookup_of_a_never_registered_certificate() -> None:
    certificate = make_certificate(
        teacher=make_teacher(name="李四"),
        last_conclusion="",
        valid_from=None,
        valid_to=None,
        registered_on=None,
    )
    result = verification_lookup(certificate_number=certificate.number, name="李四")
    assert result is not None
    assert result.state == State.UNREGISTERED
    assert result.conclusion_label == ""
    assert result.institution_name == ""


def test_lookup_of_a_lost_certificate() -> None:
    certificate = make_certificate(teacher=make_teacher(name="李四"), status=CertificateStatus.LOST)
    result = verification_lookup(certificate_number=certificate.number, name="李四")
    assert result is not None
    assert result.state == State.CERTIFICATE_INVALID
    assert result.certificate_status_label == "丧失"


def test_a_certificate_paper_neither_supersedes_a_form_nor_names_the_registration() -> None:
    """A reissued paper's QR token is a certificate's, not a registration form's: the form
    stays current, the lookup's 注册机构 is still the form's, and the paper's own page
    says it is a certificate (decision 0229)."""
    from django.test import Client
    from django.urls import reverse

    from jiaozi.certificates.services import certificate_paper_token_issue
    from jiaozi.orgs.tests.factories import YAOHAI

    certificate = make_certificate(teacher=make_teacher(name="张三"))
    with clock.travel(dt.datetime(2024, 9, 1, 10, tzinfo=TZ)):
        form = issue(certificate)
    paper = certificate_paper_token_issue(
        certificate=certificate, holder_name="张三", institution=bureau(YAOHAI)
    )
    assert form.document == VerificationToken.Document.FORM
    assert paper.document == VerificationToken.Document.PAPER
    assert verification_get_by_token(token=form.token).state == State.CURRENT
    assert verification_get_by_token(token=paper.token).document == VerificationToken.Document.PAPER
    found = verification_lookup(certificate_number=certificate.number, name="张三")
    assert found is not None
    assert found.institution_name == bureau(LUYANG).name

    paper_page = Client().get(reverse("certificates:verify_token", args=[paper.token])).content.decode()
    assert "证书核验" in paper_page
    assert "发证机关" in paper_page
    assert "注册申请表" not in paper_page
    form_page = Client().get(reverse("certificates:verify_token", args=[form.token])).content.decode()
    assert "注册申请表核验" in form_page
    assert "注册机构" in form_page
