"""Spot checks and revocation through the services: the draw is reproducible, items are
assigned and decided, and a revocation changes the application, the certificate, its
history and the public verification in one transaction."""

from __future__ import annotations

from typing import Any

import pytest

from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.certificates.models import Certificate, CertificateEvent, CertificateStatus, VerificationToken
from jiaozi.certificates.selectors import State, verification_get_by_token, verification_lookup
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.notifications.models import Notification
from jiaozi.oversight import spotchecks as svc
from jiaozi.oversight.models import SpotCheck, SpotCheckItem
from jiaozi.registration.models import Application, RegistrationForm
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    SYSTEM_CLOSED,
    Chain,
    another_applicant,
    application,
    chain,
    drive,
)
from jiaozi.registration.workflow import Status

pytestmark = pytest.mark.django_db


def _filed(c: Chain, n: int, *, first: bool = True) -> list[Application]:
    rows = [application(c, status=Status.COMPLETED)] if first else []
    for _ in range(n - len(rows)):
        applicant, cert = another_applicant(c)
        rows.append(application(c, status=Status.COMPLETED, applicant=applicant, certificate_=cert))
    return rows


@pytest.fixture
def two_counties() -> dict[str, Any]:
    with clock.travel(OPEN):
        luyang, susong = chain("county"), chain("susong")
        rows = _filed(luyang, 12) + _filed(susong, 6)
        # Not filed: never in the population.
        applicant, cert = another_applicant(luyang)
        application(luyang, status=Status.PROVINCE_REVIEW, applicant=applicant, certificate_=cert)
    return {"luyang": luyang, "susong": susong, "rows": rows, "province": luyang.province_reviewer}


def _draw(user: Any, c: Chain, **kw: Any) -> SpotCheck:
    values: dict[str, Any] = {
        "campaign_id": c.campaign.pk,
        "title": "2024年定期注册抽查",
        "mode": "size",
        "size": 6,
    }
    return svc.spot_check_draw(actor=user, **(values | kw))


def _ids(spot_check: SpotCheck) -> list[int]:
    return list(spot_check.items.order_by("position").values_list("application_id", flat=True))


def test_the_draw_is_stratified_by_county_and_the_same_seed_gives_the_same_rows(
    two_counties: dict[str, Any],
) -> None:
    user, c = two_counties["province"], two_counties["luyang"]
    with clock.travel(SYSTEM_CLOSED):
        first = _draw(user, c, seed="seed-2024")
        again = _draw(user, c, seed="seed-2024")
        other = _draw(user, c, seed="another-seed")
    assert first.population == 18
    assert first.sample_count == 6
    # Proportional: 12 of 18 in 庐阳区 → 4, 6 in 宿松县 → 2.
    assert {s["division"]: (s["population"], s["sample"]) for s in first.strata} == {
        "340103": (12, 4),
        "340826": (6, 2),
    }
    ids = _ids(first)
    assert len(set(ids)) == 6
    assert set(ids) <= {a.pk for a in two_counties["rows"]}
    assert _ids(again) == ids
    assert _ids(other) != ids  # 6 of 18 by another seed: the chance of the same six is 1 in 6,435
    redraw = svc.spot_check_redraw(spot_check=first)
    assert redraw == {"population": 18, "population_matches": True, "ids": ids, "matches": True}
    drawn = AuditEvent.objects.get(kind=AuditKind.SPOT_CHECK_DRAWN, object_id=str(first.pk))
    assert drawn.details["seed"] == "seed-2024"
    assert drawn.details["sample"] == 6


def test_a_redraw_after_more_filings_still_gives_the_recorded_rows(two_counties: dict[str, Any]) -> None:
    user, c = two_counties["province"], two_counties["luyang"]
    with clock.travel(SYSTEM_CLOSED):
        spot_check = _draw(user, c, mode="percent", size=None, percent="50", seed="")
    assert len(spot_check.seed) == 16  # a fresh random seed, recorded
    assert spot_check.sample_count == 9
    _filed(c, 5, first=False)  # filed later (now): outside the frozen population
    assert svc.spot_check_redraw(spot_check=spot_check)["matches"] is True


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": "many"}, "size"),
        ({"mode": "percent", "percent": "0"}, "percent"),
        ({"mode": "percent", "percent": "150"}, "percent"),
        ({"mode": "other"}, "mode"),
        ({"title": " "}, "title"),
        ({"seed": "x" * 65}, "seed"),
        ({"campaign_id": 999_999}, "campaign"),
    ],
)
def test_bad_draws_say_which_field_and_write_nothing(
    two_counties: dict[str, Any], kw: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        _draw(two_counties["province"], two_counties["luyang"], **kw)
    assert field in error.value.field_errors
    assert not SpotCheck.objects.exists()


def test_only_the_province_reviewer_draws(two_counties: dict[str, Any]) -> None:
    c = two_counties["luyang"]
    for user in (c.city_rechecker, c.registration_reviewer, c.applicant):
        with pytest.raises(PermissionDenied):
            _draw(user, c)
    assert not SpotCheck.objects.exists()


def test_items_are_assigned_within_the_checkers_jurisdiction_and_findings_recorded(
    two_counties: dict[str, Any],
) -> None:
    user, c = two_counties["province"], two_counties["luyang"]
    spot_check = _draw(user, c, seed="s")
    items = list(spot_check.items.order_by("position"))
    luyang_items = [i.pk for i in items if i.division_id == "340103"]
    susong_items = [i.pk for i in items if i.division_id == "340826"]
    city = c.city_rechecker
    # 合肥市's rechecker may not check 宿松县 (a 省直管县).
    with pytest.raises(ValidationFailed) as error:
        svc.spot_check_assign(
            actor=user, spot_check_id=spot_check.pk, item_ids=susong_items, assignee_id=city.pk
        )
    assert error.value.code == "assignee_out_of_scope"
    assert (
        svc.spot_check_assign(
            actor=user, spot_check_id=spot_check.pk, item_ids=luyang_items, assignee_id=city.pk
        )
        == 4
    )
    assert Notification.objects.filter(recipient=city, kind="oversight.assigned").count() == 1
    # The checker sees their own items only; another city's staff sees nothing.
    assert set(svc.items_visible_to(user=city, spot_check=spot_check).values_list("pk", flat=True)) == set(
        luyang_items
    )
    with pytest.raises(NotFound):
        svc.item_get(user=city, pk=susong_items[0])
    item = SpotCheckItem.objects.get(pk=luyang_items[0])
    with pytest.raises(ValidationFailed):  # a problem needs a written finding
        svc.spot_check_item_record(
            actor=city, item_id=item.pk, version=item.version, finding="", outcome="irregular"
        )
    recorded = svc.spot_check_item_record(
        actor=city, item_id=item.pk, version=item.version, finding="培训学时证明系伪造", outcome="irregular"
    )
    assert recorded.outcome == "irregular"
    assert recorded.decided_by == city
    with pytest.raises(Conflict):  # stale version
        svc.spot_check_item_record(
            actor=city, item_id=item.pk, version=item.version, finding="", outcome="confirmed"
        )
    # The spot check cannot close while items wait.
    with pytest.raises(Conflict) as closing:
        svc.spot_check_close(
            actor=user, spot_check_id=spot_check.pk, version=spot_check.version, conclusion="完成"
        )
    assert closing.value.code == "items_open"


def test_revoking_a_registration_changes_application_certificate_history_and_verification() -> None:
    with clock.travel(OPEN):
        c = chain("county")
        before = Certificate.objects.values("last_conclusion", "registered_on", "valid_from", "valid_to").get(
            pk=c.certificate.pk
        )
        filed = drive(c, to=Status.COMPLETED)
    certificate = Certificate.objects.get(pk=c.certificate.pk)
    assert certificate.registered_on == c.campaign.registration_date
    assert certificate.valid_to != before["valid_to"]
    token = RegistrationForm.objects.get(application=filed).token
    assert verification_get_by_token(token=token.token).state == State.CURRENT
    user = c.province_reviewer
    with clock.travel(SYSTEM_CLOSED):  # after the campaign closed: supervision has no window
        spot_check = _draw(user, c, size=1, seed="one")
        item = spot_check.items.get()
        done = svc.spot_check_item_revoke(
            actor=user,
            item_id=item.pk,
            version=item.version,
            target="registration",
            reason="提供虚假培训证明",
        )
    assert done.outcome == SpotCheckItem.Outcome.REGISTRATION_REVOKED
    filed.refresh_from_db()
    assert filed.status == Status.REVOKED
    assert filed.steps.last().opinion == "提供虚假培训证明"  # type: ignore[union-attr]
    certificate.refresh_from_db()
    # The record goes back to what it was before this filing.
    fields = ("last_conclusion", "registered_on", "valid_from", "valid_to")
    assert {name: getattr(certificate, name) for name in fields} == before
    assert certificate.status == CertificateStatus.VALID
    event = certificate.events.order_by("-pk").first()
    assert event is not None
    assert event.kind == CertificateEvent.Kind.REVOKED
    assert event.changes["valid_to"][1] == (before["valid_to"].isoformat() if before["valid_to"] else None)
    assert verification_get_by_token(token=token.token).state == State.REVOKED
    looked = verification_lookup(certificate_number=certificate.number, name=c.teacher.name)
    assert looked is not None
    assert looked.valid_to == before["valid_to"]
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {AuditKind.REGISTRATION_REVOKED, AuditKind.CERTIFICATE_REGISTRATION_REVOKED} <= kinds
    assert Notification.objects.filter(recipient=filed.applicant, kind="registration.revoked").exists()
    # Twice is refused and changes nothing.
    with pytest.raises(Conflict):
        svc.registration_revoke(actor=user, application_id=filed.pk, version=filed.version, reason="再次")


def test_revoking_a_certificate_shows_at_once_in_the_public_verification() -> None:
    with clock.travel(OPEN):
        c = chain("county")
        filed = drive(c, to=Status.COMPLETED)
    user = c.province_reviewer
    certificate = Certificate.objects.get(pk=c.certificate.pk)
    with pytest.raises(ValidationFailed):
        svc.certificate_revoke_by_province(
            actor=user, certificate_id=certificate.pk, version=certificate.version, reason=" "
        )
    assert c.city_rechecker is not None
    with pytest.raises(PermissionDenied):
        svc.certificate_revoke_by_province(
            actor=c.city_rechecker, certificate_id=certificate.pk, version=certificate.version, reason="x"
        )
    svc.certificate_revoke_by_province(
        actor=user, certificate_id=certificate.pk, version=certificate.version, reason="以欺骗手段取得"
    )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    event = certificate.events.order_by("-pk").first()
    assert event is not None
    assert event.kind == "revoked"
    assert event.changes["status"] == ["valid", "revoked"]
    looked = verification_lookup(certificate_number=certificate.number, name=c.teacher.name)
    assert looked is not None
    assert looked.state == State.CERTIFICATE_INVALID
    token = VerificationToken.objects.get(certificate=certificate)
    assert verification_get_by_token(token=token.token).state == State.CERTIFICATE_INVALID
    assert Notification.objects.filter(
        recipient=filed.applicant, kind="oversight.certificate_revoked"
    ).exists()
    assert (
        AuditEvent.objects.filter(kind=AuditKind.CERTIFICATE_REVOKED, object_id=str(certificate.pk)).count()
        == 1
    )
    with pytest.raises(Conflict):  # stale version: changes nothing
        svc.certificate_revoke_by_province(
            actor=user, certificate_id=certificate.pk, version=1, reason="再次"
        )


def test_a_failed_revocation_rolls_back_the_application(monkeypatch: pytest.MonkeyPatch) -> None:
    with clock.travel(OPEN):
        c = chain("county")
        filed = drive(c, to=Status.COMPLETED)

    def boom(**kwargs: Any) -> None:
        raise Conflict("changed meanwhile", code="stale_version")

    from jiaozi.registration.completion import services as completion

    monkeypatch.setattr(completion, "certificate_registration_revoke", boom)
    with pytest.raises(Conflict):
        svc.registration_revoke(
            actor=c.province_reviewer, application_id=filed.pk, version=filed.version, reason="x"
        )
    filed.refresh_from_db()
    assert filed.status == Status.COMPLETED
    assert not AuditEvent.objects.filter(kind=AuditKind.REGISTRATION_REVOKED).exists()
