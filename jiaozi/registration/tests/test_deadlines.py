"""§5 "deadlines cascade": per-institution window extensions granted and revoked by
the province, publication refused (naming the dates) when the notice would end after
the next level's window, and the list of applications that cannot finish in time.

Anhui 2024: apply … city recheck close 2024-12-15 17:00, final review and the system
2024-12-27 17:00; the notice runs 7 natural days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed, WindowClosed
from jiaozi.registration import notices
from jiaozi.registration.applications.deadlines import applications_at_risk
from jiaozi.registration.campaigns.extensions import extension_grant, extension_revoke
from jiaozi.registration.campaigns.windows import effective_close, window_check
from jiaozi.registration.dashboard import registration_cards
from jiaozi.registration.models import Application, WindowExtension
from jiaozi.registration.tests.factories import at
from jiaozi.registration.tests.factories_applications import OPEN, Chain, application, chain, step
from jiaozi.registration.workflow import Action, Status

pytestmark = pytest.mark.django_db

RECHECK_CLOSES = at(2024, 12, 15, 17)
SYSTEM_CLOSES = at(2024, 12, 27, 17)
EXT_END = at(2024, 12, 20, 17)


@pytest.fixture
def c() -> Iterator[Chain]:
    with clock.travel(OPEN):
        yield chain()


def admin(c: Chain):  # type: ignore[no-untyped-def]
    return make_staff(role=Role.PROVINCE_ADMIN, institution=c.province)


def grant(
    c: Chain, *, window: str = "recheck", closes_at: dt.datetime = EXT_END, institution: Any = None
) -> WindowExtension:
    with clock.travel(OPEN):
        return extension_grant(
            actor=admin(c),
            campaign_id=c.campaign.pk,
            institution_id=(institution or c.authority).pk,
            window=window,
            closes_at=closes_at,
            reason="县级审核积压，经研究延长市级复核时间",
        )


# --- windows with an extension -------------------------------------------------------------------


def test_an_extension_moves_the_close_only_for_chains_through_its_institution(c: Chain) -> None:
    other = chain("susong")
    grant(c, window="review", closes_at=at(2024, 12, 18, 17))
    chain_ids = (c.school.pk, c.authority.pk, c.city.pk if c.city else None, c.province.pk)
    assert effective_close(c.campaign, "review", chain_ids) == at(2024, 12, 18, 17)
    assert effective_close(c.campaign, "review", (other.school.pk, other.authority.pk)) == RECHECK_CLOSES
    # Half-open, as every window: 17:00:00 of the new day is closed.
    window_check(campaign=c.campaign, action="review", at=at(2024, 12, 18, 16, 59, 59), chain=chain_ids)
    with pytest.raises(WindowClosed) as caught:
        window_check(campaign=c.campaign, action="review", at=at(2024, 12, 18, 17), chain=chain_ids)
    assert "2024年9月13日至12月18日17时" in str(caught.value)
    with pytest.raises(WindowClosed):
        window_check(
            campaign=other.campaign, action="review", at=at(2024, 12, 16, 10), chain=(other.authority.pk,)
        )


def test_a_late_action_passes_with_the_extension_and_fails_once_it_is_revoked(c: Chain) -> None:
    with clock.travel(OPEN):
        app = application(c, status=Status.REGISTRATION_REVIEW)
    with clock.travel(at(2024, 12, 16, 10)), pytest.raises(WindowClosed):
        step(c, app, Action.RETURN_DOWN, reason="请补充材料")
    extension = grant(c, window="review", closes_at=at(2024, 12, 18, 17))
    with clock.travel(at(2024, 12, 16, 10)):
        assert step(c, app, Action.RETURN_DOWN, reason="请补充材料").status == Status.SCHOOL_REVIEW
    with clock.travel(at(2024, 12, 16, 11)):
        extension_revoke(actor=admin(c), extension_id=extension.pk, reason="已办结")
    app2 = application(c, status=Status.REGISTRATION_REVIEW, certificate_=_other_cert(c))
    with clock.travel(at(2024, 12, 16, 12)), pytest.raises(WindowClosed):
        step(c, app2, Action.RETURN_DOWN, reason="请补充材料")


def _other_cert(c: Chain):  # type: ignore[no-untyped-def]
    from jiaozi.registration.tests.factories_applications import due_teacher

    return due_teacher(c.school)[1]


# --- granting and revoking --------------------------------------------------------------------------


def test_a_grant_is_audited_with_its_reason_and_dates(c: Chain) -> None:
    extension = grant(c)
    event = AuditEvent.objects.get(kind=AuditKind.REGISTRATION_WINDOW_EXTENDED, object_id=str(extension.pk))
    assert event.details["window"] == "recheck"
    assert event.details["closes_at"].startswith("2024-12-20T17:00:00+08:00")
    assert event.details["original_closes_at"].startswith("2024-12-15T17:00:00+08:00")
    assert event.details["reason"] == "县级审核积压，经研究延长市级复核时间"


@pytest.mark.parametrize(
    ("closes_at", "field"),
    [
        (RECHECK_CLOSES, "closes_at"),  # not later than the campaign's close
        (SYSTEM_CLOSES + dt.timedelta(seconds=1), "closes_at"),  # after the system closes
    ],
)
def test_the_new_close_lies_after_the_old_and_within_the_system(
    c: Chain, closes_at: dt.datetime, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        grant(c, closes_at=closes_at)
    assert field in caught.value.field_errors
    assert not WindowExtension.objects.exists()


def test_the_system_close_itself_is_allowed(c: Chain) -> None:
    assert grant(c, closes_at=SYSTEM_CLOSES).closes_at == SYSTEM_CLOSES


def test_only_the_province_admin_grants_and_one_live_per_institution_and_window(c: Chain) -> None:
    with clock.travel(OPEN), pytest.raises(PermissionDenied):
        extension_grant(
            actor=c.province_reviewer, campaign_id=c.campaign.pk, institution_id=c.authority.pk,
            window="recheck", closes_at=at(2024, 12, 20, 17), reason="x",
        )  # fmt: skip
    first = grant(c)
    with pytest.raises(Conflict) as caught:
        grant(c, closes_at=at(2024, 12, 21, 17))
    assert caught.value.code == "extension_exists"
    with clock.travel(OPEN):
        extension_revoke(actor=admin(c), extension_id=first.pk, reason="改为21日")
    assert grant(c, closes_at=at(2024, 12, 21, 17)).closes_at == at(2024, 12, 21, 17)
    with clock.travel(OPEN), pytest.raises(Conflict):
        extension_revoke(actor=admin(c), extension_id=first.pk, reason="again")
    assert AuditEvent.objects.filter(kind=AuditKind.REGISTRATION_WINDOW_EXTENSION_REVOKED).count() == 1


def test_a_revocation_needs_a_reason(c: Chain) -> None:
    extension = grant(c)
    with clock.travel(OPEN), pytest.raises(ValidationFailed):
        extension_revoke(actor=admin(c), extension_id=extension.pk, reason="  ")
    extension.refresh_from_db()
    assert extension.is_live


# --- publication refused when the notice would end too late -----------------------------------------


def _concluded(c: Chain) -> Application:
    with clock.travel(OPEN):
        return application(c, status=Status.CONCLUDED)


def test_a_notice_ending_after_the_city_window_is_refused_naming_the_dates(c: Chain) -> None:
    app = _concluded(c)
    with clock.travel(at(2024, 12, 9, 10)), pytest.raises(Conflict) as caught:
        notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])
    assert caught.value.code == "notice_after_next_window"
    message = str(caught.value)
    assert "2024年12月16日10时" in message  # when the notice would end
    assert "市级复核截止时间2024年12月15日17时" in message
    app.refresh_from_db()
    assert app.status == Status.CONCLUDED
    assert not app.notice_id


@pytest.mark.parametrize(
    ("published", "ok"),
    [
        (at(2024, 12, 8, 16, 59, 59), True),  # ends 12-15 16:59:59: the city can still act
        (at(2024, 12, 8, 17), False),  # ends exactly at the close: nobody can act
    ],
)
def test_the_boundary_of_the_cascade(c: Chain, published: dt.datetime, ok: bool) -> None:
    app = _concluded(c)
    with clock.travel(published):
        if ok:
            notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])
            assert notice.ends_at == published + dt.timedelta(days=7)
        else:
            with pytest.raises(Conflict):
                notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])


def test_a_province_extension_makes_the_late_notice_possible(c: Chain) -> None:
    app = _concluded(c)
    grant(c, window="recheck", closes_at=at(2024, 12, 20, 17))
    with clock.travel(at(2024, 12, 9, 10)):
        notice = notices.notice_publish(actor=c.registration_reviewer, application_ids=[app.pk])
    assert Application.objects.get(pk=app.pk).status == Status.NOTICE
    # The city then acts after the campaign's close, inside the extension.
    with clock.travel(notice.ends_at + dt.timedelta(minutes=5)):
        app = step(c, Application.objects.get(pk=app.pk), Action.NOTICE_END)
        assert app.status == Status.CITY_RECHECK
        assert step(c, app, Action.CITY_APPROVE).status == Status.PROVINCE_REVIEW


def test_without_a_city_step_the_province_window_is_the_next_one() -> None:
    with clock.travel(OPEN):
        susong = chain("susong")
        app = application(susong, status=Status.CONCLUDED)
    with clock.travel(at(2024, 12, 9, 10)):
        notices.notice_publish(actor=susong.registration_reviewer, application_ids=[app.pk])
    # The county's own window extended, the cascade is judged on the province's window.
    grant(susong, window="review", closes_at=at(2024, 12, 25, 17))
    with clock.travel(at(2024, 12, 21, 10)):
        app2 = application(susong, status=Status.CONCLUDED, certificate_=_other_cert(susong))
        with pytest.raises(Conflict) as caught:
            notices.notice_publish(actor=susong.registration_reviewer, application_ids=[app2.pk])
    assert "省级终审截止时间2024年12月27日17时" in str(caught.value)


# --- the list of applications that cannot finish ----------------------------------------------------


def test_at_risk_lists_each_case_at_its_level_and_respects_extensions(c: Chain) -> None:
    with clock.travel(OPEN):
        in_review = application(c, status=Status.REGISTRATION_REVIEW)
        at_school = application(c, status=Status.SCHOOL_REVIEW, certificate_=_other_cert(c))
        fine = application(c, status=Status.CITY_RECHECK, certificate_=_other_cert(c))
    qs = Application.objects.all()
    # Early: nothing.
    assert applications_at_risk(qs, campaign=c.campaign, now=OPEN) == []
    # 12-09: a conclusion noticed now would end after the city's close.
    found = {
        r.application_id: r.reason
        for r in applications_at_risk(qs, campaign=c.campaign, now=at(2024, 12, 9, 10))
    }
    assert found == {in_review.pk: "notice_would_end_late"}
    # 12-16: the school and the county have no window left; the city has none either.
    found = {
        r.application_id: r.reason
        for r in applications_at_risk(qs, campaign=c.campaign, now=at(2024, 12, 16, 10))
    }
    assert found == {in_review.pk: "stranded", at_school.pk: "stranded", fine.pk: "stranded"}
    # The province extends the school review and the review for this county's chain.
    grant(c, window="school_review", closes_at=at(2024, 12, 20, 17))
    grant(c, window="review", closes_at=at(2024, 12, 20, 17))
    grant(c, window="recheck", closes_at=at(2024, 12, 27, 17))
    found = {
        r.application_id: r.reason
        for r in applications_at_risk(qs, campaign=c.campaign, now=at(2024, 12, 16, 10))
    }
    assert found == {}


def test_every_reviewing_level_sees_a_dashboard_card_of_its_own(c: Chain) -> None:
    with clock.travel(OPEN):
        application(c, status=Status.REGISTRATION_REVIEW)
    with clock.travel(at(2024, 12, 9, 10)):
        for user in (c.school_reviewer, c.registration_reviewer, c.city_rechecker, c.province_reviewer):
            assert user is not None
            cards = registration_cards(user)
            assert cards[-1].title == "办理时限预警"
            assert "1份申请" in str(cards[-1].text)
        other = chain("susong")
        assert "没有" in str(registration_cards(other.registration_reviewer)[-1].text)


# --- the publish preview says it first (docs/decisions/0255) ----------------------------------


@pytest.mark.parametrize(
    ("published", "refused"),
    [
        (at(2024, 12, 8, 16, 59, 59), False),  # ends 12-15 16:59:59: the city can still act
        (at(2024, 12, 8, 17), True),  # ends exactly at the close
    ],
)
def test_the_preview_names_the_refusal_and_offers_no_publish_button(
    c: Chain, published: dt.datetime, refused: bool
) -> None:
    from django.test import Client
    from django.urls import reverse

    from jiaozi.accounts.testing import sign_in

    app = _concluded(c)
    with clock.travel(published):
        client = sign_in(Client(), c.registration_reviewer)
        response = client.post(
            reverse("registration:notice_publish"), {"step": "preview", "applications": [app.pk], "days": 7}
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert ('data-testid="publication-refused"' in page) is refused
    assert ("disabled aria-disabled" in page) is refused
    if refused:
        assert "市级复核截止时间2024年12月15日17时" in page
        assert app.teacher.name in page
    assert Application.objects.get(pk=app.pk).status == Status.CONCLUDED  # a preview writes nothing


def test_with_the_extension_the_preview_offers_publishing(c: Chain) -> None:
    from django.test import Client
    from django.urls import reverse

    from jiaozi.accounts.testing import sign_in

    app = _concluded(c)
    grant(c)
    with clock.travel(at(2024, 12, 10, 10)):
        client = sign_in(Client(), c.registration_reviewer)
        page = client.post(
            reverse("registration:notice_publish"), {"step": "preview", "applications": [app.pk], "days": 7}
        ).content.decode()
    assert 'data-testid="publication-refused"' not in page
    assert "disabled aria-disabled" not in page
