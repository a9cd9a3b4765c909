"""The public verification pages: allowed and refused cases, masking, 404 for unknown
tokens, rate limits, and headers that keep the pages out of caches and indexes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from jiaozi.certificates.models import Conclusion, VerificationToken

from .factories import make_certificate, make_teacher, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> VerificationToken:
    certificate = make_certificate(teacher=make_teacher(name="张三丰"))
    return make_token(certificate=certificate, holder_name_masked="张**")


def test_the_token_page_confirms_the_form_with_the_name_masked(
    client: Client, token: VerificationToken
) -> None:
    response = client.get(reverse("certificates:verify_token", kwargs={"token": token.token}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "张**" in body
    assert "张三丰" not in body
    assert token.certificate_number in body
    assert "注册合格" in body
    assert "2029-08-31" in body
    assert token.institution_name in body
    assert 'data-state="current"' in body
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_token_page_shows_a_revoked_form_as_revoked(client: Client, token: VerificationToken) -> None:
    VerificationToken.objects.filter(pk=token.pk).update(revoked=True)
    response = client.get(reverse("certificates:verify_token", kwargs={"token": token.token}))
    assert response.status_code == 200
    assert 'data-state="revoked"' in response.content.decode()


def test_an_unknown_token_answers_404(client: Client, token: VerificationToken) -> None:
    response = client.get(reverse("certificates:verify_token", kwargs={"token": "A" * 43}))
    assert response.status_code == 404
    assert token.certificate_number not in response.content.decode()


def test_a_malformed_token_does_not_route(client: Client) -> None:
    assert client.get("/verify/short/").status_code == 404
    assert client.get("/verify/" + "a" * 40 + "%21/").status_code == 404


def test_the_token_page_refuses_post(client: Client, token: VerificationToken) -> None:
    response = client.post(reverse("certificates:verify_token", kwargs={"token": token.token}))
    assert response.status_code == 405


@override_settings(VERIFY_TOKEN_RATE_LIMIT=(3, 60))
def test_the_token_page_is_rate_limited_per_address(client: Client, token: VerificationToken) -> None:
    url = reverse("certificates:verify_token", kwargs={"token": token.token})
    unknown = reverse("certificates:verify_token", kwargs={"token": "B" * 43})
    assert client.get(url).status_code == 200
    assert client.get(unknown).status_code == 404  # misses count too: no free guessing
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert token.certificate_number not in refused.content.decode()
    # Another address is not affected.
    assert client.get(url, REMOTE_ADDR="10.0.0.2").status_code == 200


# --- lookup ---------------------------------------------------------------------------


def test_the_lookup_form_is_public(client: Client) -> None:
    response = client.get(reverse("certificates:verify_lookup"))
    assert response.status_code == 200
    assert 'name="certificate_number"' in response.content.decode()
    assert reverse("certificates:verify") == reverse("certificates:verify_lookup") == "/verify/"


def test_lookup_with_number_and_name_answers_masked(client: Client, token: VerificationToken) -> None:
    response = client.post(
        reverse("certificates:verify_lookup"),
        {"certificate_number": token.certificate_number, "name": "张三丰"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "张**" in body
    assert "注册合格" in body
    assert "未查询到" not in body
    # The typed name stays in the form field only, never in the result.
    assert body.count("张三丰") == 1
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("wrong", ["name", "number"])
def test_lookup_with_one_wrong_field_does_not_say_which(
    client: Client, token: VerificationToken, wrong: str
) -> None:
    data = {
        "certificate_number": "20123401041999999" if wrong == "number" else token.certificate_number,
        "name": "张三" if wrong == "name" else "张三丰",
    }
    response = client.post(reverse("certificates:verify_lookup"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "未查询到" in body
    assert "张**" not in body
    assert "请核对证书编号和姓名后重试" in body
    assert "is-invalid" not in body


def test_a_malformed_number_is_a_form_error_not_a_lookup(client: Client, token: VerificationToken) -> None:
    response = client.post(
        reverse("certificates:verify_lookup"), {"certificate_number": "123", "name": "张三丰"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body
    assert "未查询到" not in body


def test_a_deferred_registration_is_reported_in_words(client: Client) -> None:
    certificate = make_certificate(
        teacher=make_teacher(name="李四"),
        last_conclusion=Conclusion.DEFERRED,
        valid_from=None,
        valid_to=None,
    )
    response = client.post(
        reverse("certificates:verify_lookup"), {"certificate_number": certificate.number, "name": "李四"}
    )
    body = response.content.decode()
    assert "暂缓注册" in body
    assert 'data-state="current"' in body


@override_settings(VERIFY_LOOKUP_RATE_LIMIT=(2, 60))
def test_lookup_is_rate_limited_per_address(client: Client, token: VerificationToken) -> None:
    url = reverse("certificates:verify_lookup")
    good = {"certificate_number": token.certificate_number, "name": "张三丰"}
    assert client.post(url, {"certificate_number": "1", "name": "x"}).status_code == 200
    assert client.post(url, good).status_code == 200
    refused = client.post(url, good)
    assert refused.status_code == 429
    assert "张**" not in refused.content.decode()
    # Showing the empty form is not a guess and stays available.
    assert client.get(url).status_code == 200


@override_settings(VERIFY_LOOKUP_NUMBER_RATE_LIMIT=(2, 3600))
def test_lookup_is_rate_limited_per_certificate_number_across_addresses(
    client: Client, token: VerificationToken
) -> None:
    url = reverse("certificates:verify_lookup")
    for n, name in enumerate(["张三", "张四"]):
        data = {"certificate_number": token.certificate_number, "name": name}
        assert client.post(url, data, REMOTE_ADDR=f"10.0.1.{n}").status_code == 200
    data = {"certificate_number": token.certificate_number, "name": "张三丰"}
    assert client.post(url, data, REMOTE_ADDR="10.0.1.9").status_code == 429
    other = make_certificate(teacher=make_teacher(name="赵六"))
    data = {"certificate_number": other.number, "name": "赵六"}
    assert client.post(url, data, REMOTE_ADDR="10.0.1.9").status_code == 200


def test_dates_on_the_page_are_the_snapshot_not_the_registry(client: Client) -> None:
    certificate = make_certificate(valid_to=dt.date(2034, 8, 31))
    row = make_token(certificate=certificate, valid_to=dt.date(2029, 8, 31))
    body = client.get(reverse("certificates:verify_token", kwargs={"token": row.token})).content.decode()
    assert "2029-08-31" in body


@override_settings(VERIFY_TOKEN_RATE_LIMIT=(2, 60), TRUSTED_PROXIES=["10.8.0.0/16"])
def test_a_forged_forwarded_for_does_not_escape_the_address_limit(client: Client) -> None:
    url = reverse("certificates:verify_token", kwargs={"token": "0" * 32})
    # Straight from the internet: each request claims another address, all are one client.
    statuses = [
        client.get(url, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [404, 404, 429]


@override_settings(VERIFY_TOKEN_RATE_LIMIT=(2, 60), TRUSTED_PROXIES=["10.8.0.0/16"])
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client: Client) -> None:
    url = reverse("certificates:verify_token", kwargs={"token": "0" * 32})

    def hit(forwarded_for: str) -> int:
        return client.get(url, REMOTE_ADDR="10.8.0.1", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert [hit("198.51.100.1"), hit("198.51.100.1"), hit("198.51.100.1")] == [404, 404, 429]
    # Another client behind the same proxy is not the first one.
    assert hit("198.51.100.2") == 404
    # The first client cannot escape by prepending a made-up hop.
    assert hit("192.0.2.99, 198.51.100.1") == 429
