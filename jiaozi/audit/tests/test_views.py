"""The read-only audit log viewer: the audit admin reads it; the province, security and
system admins cannot (三员分立, SECURITY check 7); nobody writes through it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiaozi.accounts.models import User
from jiaozi.audit import selectors
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.audit.selectors import EventQuery, audit_event_get_visible_to, audit_event_page_visible_to
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, PermissionDenied
from jiaozi.orgs.models import Institution

from .conftest import tamper
from .factories import record, record_many

LIST = reverse("audit:event_list")
SignIn = Callable[[User], Client]


def detail(pk: int) -> str:
    return reverse("audit:event_detail", args=[pk])


def listed_ids(response: Any) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="[^"]*/audit/(\d+)/"', response.content.decode())]


# --- Who may read -------------------------------------------------------------


def test_audit_admin_reads_the_list(signed_in: SignIn, audit_admin: User, luyang: Institution) -> None:
    event = record(institution_id=luyang.pk, outcome="denied")
    response = signed_in(audit_admin).get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert event.kind_label in body
    assert luyang.name in body
    assert listed_ids(response) == [event.pk]
    # Reading is itself recorded.
    viewed = AuditEvent.objects.get(kind=AuditKind.AUDIT_LOG_VIEWED)
    assert viewed.actor_id == audit_admin.pk


@pytest.mark.parametrize("persona", ["prov_admin", "sec_admin", "ly_admin"])
def test_other_admins_cannot_read_the_list(
    signed_in: SignIn, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    record(institution_id=user.institution_id)
    response = signed_in(user).get(LIST)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditKind.AUDIT_LOG_VIEWED).exists()


def test_a_superuser_without_the_role_cannot_read(signed_in: SignIn, prov_admin: User) -> None:
    prov_admin.is_superuser = prov_admin.is_staff = True
    prov_admin.save()
    event = record(institution_id=prov_admin.institution_id)
    client = signed_in(prov_admin)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(event.pk)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client: Client, db: Any) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_unverified_second_factor_is_not_enough(client: Client, audit_admin: User) -> None:
    from jiaozi.accounts.testing import sign_in

    response = sign_in(client, audit_admin, verified=False).get(LIST)
    assert response.status_code == 302


def test_audit_admin_reads_one_event(signed_in: SignIn, audit_admin: User, luyang: Institution) -> None:
    event = record(institution_id=luyang.pk, details={"reason": "材料不全"})
    response = signed_in(audit_admin).get(detail(event.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert event.hash in body
    assert "材料不全" in body
    assert "内容与哈希一致" in body
    viewed = AuditEvent.objects.get(kind=AuditKind.AUDIT_LOG_VIEWED)
    assert (viewed.object_type, viewed.object_id) == ("audit.auditevent", str(event.pk))


def test_province_admin_cannot_read_one_event(signed_in: SignIn, prov_admin: User) -> None:
    event = record(institution_id=prov_admin.institution_id)
    assert signed_in(prov_admin).get(detail(event.pk)).status_code == 403


def test_missing_event_is_404(signed_in: SignIn, audit_admin: User) -> None:
    assert signed_in(audit_admin).get(detail(999999)).status_code == 404


def test_a_tampered_event_shows_as_broken(signed_in: SignIn, audit_admin: User) -> None:
    event = record(institution_id=1)
    tamper("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [event.pk])
    assert "内容与哈希不一致" in signed_in(audit_admin).get(detail(event.pk)).content.decode()


# --- No write path ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_write_method_is_accepted(signed_in: SignIn, audit_admin: User, method: str) -> None:
    event = record(institution_id=1)
    client = signed_in(audit_admin)
    assert getattr(client, method)(LIST).status_code == 405
    assert getattr(client, method)(detail(event.pk)).status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


# --- Filters -----------------------------------------------------------------------


def test_filters(
    signed_in: SignIn, audit_admin: User, ly_admin: User, luyang: Institution, hefei: Institution
) -> None:
    with clock.travel(dt.datetime(2024, 9, 1, 4, 0, tzinfo=dt.UTC)):
        early = record(institution_id=hefei.pk, kind=AuditKind.EXPORT, outcome="failure")
    with clock.travel(dt.datetime(2024, 9, 20, 4, 0, tzinfo=dt.UTC)):
        by_ly = record(actor=ly_admin, kind=AuditKind.STAFF_CREATED)
        denied = record(institution_id=luyang.pk, kind=AuditKind.ACCESS_DENIED, outcome="denied")
    client = signed_in(audit_admin)

    def ids(**params: Any) -> set[int]:
        response = client.get(LIST, params)
        assert response.status_code == 200
        return set(listed_ids(response))

    assert ids(kind=int(AuditKind.EXPORT)) == {early.pk}
    assert ids(outcome="denied") == {denied.pk}
    assert ids(date_from="2024-09-15", date_to="2024-09-30") == {by_ly.pk, denied.pk}
    assert ids(date_to="2024-09-01") == {early.pk}
    assert ids(institution=luyang.code) == {by_ly.pk, denied.pk}
    assert ids(institution=hefei.code) == {early.pk}
    assert ids(institution=hefei.code, include_subordinates="on") == {early.pk, by_ly.pk, denied.pk}
    assert ids(institution="no-such-code") == set()
    assert ids(actor="ly_admin") == {by_ly.pk}


def test_bad_filters_show_errors_and_no_rows(signed_in: SignIn, audit_admin: User) -> None:
    record(institution_id=1)
    response = signed_in(audit_admin).get(LIST, {"date_from": "2024-10-01", "date_to": "2024-09-01"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert listed_ids(response) == []
    assert signed_in(audit_admin).get(LIST, {"kind": "not-a-kind"}).status_code == 200


def test_access_record_keeps_no_username_in_clear(signed_in: SignIn, audit_admin: User) -> None:
    signed_in(audit_admin).get(LIST, {"actor": "13812345678", "outcome": "denied"})
    viewed = AuditEvent.objects.get(kind=AuditKind.AUDIT_LOG_VIEWED)
    assert viewed.details == {"filters": {"outcome": "denied", "actor_username": True}}


# --- Pages ---------------------------------------------------------------------------


def test_pages_walk_the_whole_log_both_ways(audit_admin: User) -> None:
    rows = record_many(7, institution_id=1)
    newest_first = [e.pk for e in reversed(rows)]
    query = EventQuery(institution_code="")
    pages = []
    page = audit_event_page_visible_to(user=audit_admin, query=query, per_page=3)
    assert page.is_first
    while True:
        pages.append([e.pk for e in page.events])
        if not page.older:
            break
        page = audit_event_page_visible_to(user=audit_admin, query=query, cursor=page.older, per_page=3)
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]
    back = audit_event_page_visible_to(
        user=audit_admin, query=query, cursor=page.newer or "", newer=True, per_page=3
    )
    assert [e.pk for e in back.events] == newest_first[3:6]
    top = audit_event_page_visible_to(
        user=audit_admin, query=query, cursor=back.newer or "", newer=True, per_page=3
    )
    assert [e.pk for e in top.events] == newest_first[0:3]
    assert top.is_first


def test_rows_sharing_a_timestamp_are_neither_lost_nor_repeated(audit_admin: User) -> None:
    with clock.travel(dt.datetime(2024, 9, 20, 4, 0, tzinfo=dt.UTC)):
        from jiaozi.audit.services import AuditItem, audit_record_many

        batch = audit_record_many(
            kind=AuditKind.EXPORT, items=[AuditItem(object_id=n) for n in range(5)], institution_id=1
        )
    assert len({e.at for e in batch}) == 1
    seen: list[int] = []
    page = audit_event_page_visible_to(user=audit_admin, query=EventQuery(), per_page=2)
    seen += [e.pk for e in page.events]
    while page.older:
        page = audit_event_page_visible_to(
            user=audit_admin, query=EventQuery(), cursor=page.older, per_page=2
        )
        seen += [e.pk for e in page.events]
    assert sorted(seen) == sorted(e.pk for e in batch)
    assert len(seen) == len(set(seen))


def test_a_garbled_cursor_gives_the_first_page(audit_admin: User) -> None:
    rows = record_many(2, institution_id=1)
    page = audit_event_page_visible_to(user=audit_admin, query=EventQuery(), cursor="x.y")
    assert [e.pk for e in page.events] == [rows[1].pk, rows[0].pk]


def test_page_links_in_the_html(
    signed_in: SignIn, audit_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "PER_PAGE", 2)
    record_many(3, institution_id=1)
    client = signed_in(audit_admin)
    first = client.get(LIST, {"outcome": "success"})
    older = re.search(r'href="\?([^"]*cursor=[^"]*)" rel="next"', first.content.decode())
    assert older is not None
    second = client.get(f"{LIST}?{older.group(1).replace('&amp;', '&')}")
    assert len(listed_ids(second)) == 1
    assert "outcome=success" in older.group(1)


def test_list_query_count_does_not_grow_with_the_page(
    signed_in: SignIn, audit_admin: User, luyang: Institution, yaohai: Institution
) -> None:
    client = signed_in(audit_admin)
    record_many(3, institution_id=luyang.pk)
    client.get(LIST)  # warm the session and the chain heads

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    record_many(20, institution_id=luyang.pk)
    record_many(20, institution_id=yaohai.pk)
    assert count() == few


# --- Jurisdiction ----------------------------------------------------------------------


def test_selectors_refuse_anyone_but_the_audit_admin(prov_admin: User) -> None:
    event = record(institution_id=1)
    with pytest.raises(PermissionDenied):
        audit_event_page_visible_to(user=prov_admin, query=EventQuery())
    with pytest.raises(PermissionDenied):
        audit_event_get_visible_to(user=prov_admin, pk=event.pk)


def test_an_audit_admin_below_the_province_sees_only_its_subtree(
    hefei: Institution, luyang: Institution, db: Any
) -> None:
    from jiaozi.accounts.roles import Role
    from jiaozi.accounts.tests.factories import make_staff

    city_auditor = make_staff(username="hf_auditor", role=Role.AUDIT_ADMIN, institution=hefei)
    inside = record(institution_id=luyang.pk)
    outside = record(institution_id=None)
    page = audit_event_page_visible_to(user=city_auditor, query=EventQuery())
    assert [e.pk for e in page.events] == [inside.pk]
    with pytest.raises(NotFound):
        audit_event_get_visible_to(user=city_auditor, pk=outside.pk)
