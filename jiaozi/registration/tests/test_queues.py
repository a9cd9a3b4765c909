"""The reviewer queues (registration/review/selectors.py): what each level sees, in each tab, with
each filter — and never anything outside the user's jurisdiction (SECURITY 8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_staff
from jiaozi.audit.models import AuditEvent, AuditKind
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, PermissionDenied
from jiaozi.orgs.models import Institution
from jiaozi.orgs.routing import review_chain
from jiaozi.orgs.tests.factories import ANQING, HEFEI, PROVINCE, SUSONG, YAOHAI, bureau, school
from jiaozi.registration.models import Application, ApplicationStep
from jiaozi.registration.review import selectors as queues
from jiaozi.registration.review import services as review_services
from jiaozi.registration.review.selectors import QueueFilters, SearchKind, Tab, search_kind
from jiaozi.registration.tests.factories_applications import (
    OPEN,
    Chain,
    active_campaign,
    another_applicant,
    applicant_for,
    application,
    chain,
    due_teacher,
)
from jiaozi.registration.workflow import Action, Actor, Status

pytestmark = pytest.mark.django_db

_serial = count(1)


@pytest.fixture(autouse=True)
def _open() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


def chain_in(county: str) -> Chain:
    """A chain like ``factories_applications.chain("county")`` in any county."""
    n = next(_serial)
    school_ = school(f"{county}{7600 + n:04d}", county, name=f"队列测试学校{county}-{n}")
    links = review_chain(school_)
    authority, province = links[1], links[-1]
    city = links[2] if len(links) == 4 else None

    def staff(role: str, institution: Institution | None) -> Any:
        if institution is None:
            return None
        return make_staff(username=f"q_{role}_{county}_{n}", role=role, institution=institution)

    owner, cert = due_teacher(school_)
    return Chain(
        campaign=active_campaign(),
        school=school_,
        authority=authority,
        city=city,
        province=province,
        school_reviewer=staff(Role.SCHOOL_REVIEWER, school_),
        registration_reviewer=staff(Role.REGISTRATION_REVIEWER, authority),
        city_rechecker=staff(Role.CITY_RECHECKER, city),
        province_reviewer=staff(Role.PROVINCE_REVIEWER, province),
        teacher=owner,
        certificate=cert,
        applicant=applicant_for(owner),
    )


def more(c: Chain, status: str, **fields: Any) -> Application:
    """One more application at the chain's school, of a new due teacher."""
    applicant, cert = another_applicant(c)
    return application(c, status=status, applicant=applicant, certificate_=cert, **fields)


def ids(queryset: Any) -> set[int]:
    if isinstance(queryset, queues.QueueList):
        queryset = queryset.queryset
    return set(queryset.values_list("pk", flat=True))


def todo(user: Any, **filters: Any) -> set[int]:
    return ids(queues.application_queue(user=user, filters=QueueFilters(tab=Tab.TODO, **filters)))


def listed(user: Any, tab: str, **filters: Any) -> set[int]:
    return ids(queues.application_queue(user=user, filters=QueueFilters(tab=tab, **filters)))


# --- Levels -----------------------------------------------------------------------------


def test_level_comes_from_the_role() -> None:
    c = chain()
    assert queues.level_for(c.school_reviewer).actor == Actor.SCHOOL  # type: ignore[union-attr]
    assert queues.level_for(c.registration_reviewer).actor == Actor.REGISTRATION  # type: ignore[union-attr]
    assert queues.level_for(c.city_rechecker).actor == Actor.CITY  # type: ignore[union-attr]
    assert queues.level_for(c.province_reviewer).actor == Actor.PROVINCE  # type: ignore[union-attr]
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=c.authority)
    assert queues.level_for(admin) is None
    assert queues.level_for(c.applicant) is None
    assert not queues.queue_base(user=admin, tab=Tab.ALL).exists()


def test_school_reviewer_sees_only_its_school_waiting_for_school_review() -> None:
    a = chain()
    b = chain()
    mine = application(a, status=Status.SCHOOL_REVIEW)
    further = more(a, Status.REGISTRATION_REVIEW)
    draft = more(a, Status.DRAFT)
    other_school = application(b, status=Status.SCHOOL_REVIEW)
    assert todo(a.school_reviewer) == {mine.pk}
    # 全部 holds the school's own applications at any stage, never a draft or another school's.
    assert listed(a.school_reviewer, Tab.ALL) == {mine.pk, further.pk}
    assert other_school.pk not in listed(a.school_reviewer, Tab.ALL)
    assert draft.pk not in listed(a.school_reviewer, Tab.ALL)


def test_registration_reviewer_holds_review_concluded_and_paused_of_its_authority() -> None:
    a = chain()
    waiting = application(a, status=Status.REGISTRATION_REVIEW)
    concluded = more(a, Status.CONCLUDED)
    paused = more(a, Status.NOTICE_PAUSED)
    on_notice = more(a, Status.NOTICE)
    at_school = more(a, Status.SCHOOL_REVIEW)
    assert todo(a.registration_reviewer) == {waiting.pk, concluded.pk, paused.pk}
    assert listed(a.registration_reviewer, Tab.ALL) == {
        waiting.pk,
        concluded.pk,
        paused.pk,
        on_notice.pk,
        at_school.pk,
    }
    assert todo(a.registration_reviewer, status=Status.CONCLUDED) == {concluded.pk}


def test_county_a_never_sees_county_b() -> None:
    a = chain()  # 庐阳区
    b = chain_in(YAOHAI)
    mine = application(a, status=Status.REGISTRATION_REVIEW)
    theirs = application(b, status=Status.REGISTRATION_REVIEW)
    theirs_later = more(b, Status.CITY_RECHECK)
    for tab in Tab.values:
        seen = listed(a.registration_reviewer, tab)
        assert theirs.pk not in seen
        assert theirs_later.pk not in seen
    assert todo(a.registration_reviewer) == {mine.pk}
    assert todo(b.registration_reviewer) == {theirs.pk}
    # Searching for county B's teacher by full resident ID finds nothing in county A.
    assert todo(a.registration_reviewer, q=b.teacher.resident_id) == set()
    assert listed(a.registration_reviewer, Tab.ALL, q=b.certificate.number) == set()


def test_city_sees_its_counties_but_not_a_province_direct_county() -> None:
    luyang = chain()
    yaohai = chain_in(YAOHAI)
    susong = chain("susong")  # 宿松县: in 安庆's territory, reports to the province directly
    anqing_county = chain_in("340822")  # 怀宁县 under 安庆市
    hf_1 = application(luyang, status=Status.CITY_RECHECK)
    hf_2 = application(yaohai, status=Status.CITY_RECHECK)
    ss = application(susong, status=Status.PROVINCE_REVIEW)
    aq = application(anqing_county, status=Status.CITY_RECHECK)

    hefei = luyang.city_rechecker
    assert hefei is not None
    assert hefei.institution_id == bureau(HEFEI).pk
    assert todo(hefei) == {hf_1.pk, hf_2.pk}
    assert listed(hefei, Tab.ALL) == {hf_1.pk, hf_2.pk}

    anqing = anqing_county.city_rechecker
    assert anqing is not None
    assert anqing.institution_id == bureau(ANQING).pk
    assert todo(anqing) == {aq.pk}
    assert ss.pk not in listed(anqing, Tab.ALL)
    assert susong.city_rechecker is None
    assert susong.authority.code == SUSONG


def test_province_sees_all() -> None:
    luyang = chain()
    susong = chain("susong")
    yaohai = chain_in(YAOHAI)
    a = application(luyang, status=Status.PROVINCE_REVIEW)
    b = application(susong, status=Status.PROVINCE_REVIEW)
    c = application(yaohai, status=Status.CITY_RECHECK)
    province = luyang.province_reviewer
    assert province.institution_id == bureau(PROVINCE).pk
    assert {a.pk, b.pk} <= todo(province)
    assert c.pk not in todo(province)
    assert {a.pk, b.pk, c.pk} <= listed(province, Tab.ALL)


def test_done_tab_lists_what_my_institution_handled() -> None:
    a = chain()
    handled = application(a, status=Status.NOTICE)
    untouched = more(a, Status.REGISTRATION_REVIEW)
    ApplicationStep.objects.create(
        application=handled,
        action=Action.CONCLUDE,
        from_status=Status.REGISTRATION_REVIEW,
        to_status=Status.CONCLUDED,
        actor=a.registration_reviewer,
        institution=a.authority,
        at=clock.now(),
    )
    # The school's approval is a step of the school, not of the county.
    ApplicationStep.objects.create(
        application=untouched,
        action=Action.SCHOOL_APPROVE,
        from_status=Status.SCHOOL_REVIEW,
        to_status=Status.REGISTRATION_REVIEW,
        actor=a.school_reviewer,
        institution=a.school,
        at=clock.now(),
    )
    assert listed(a.registration_reviewer, Tab.DONE) == {handled.pk}
    assert listed(a.school_reviewer, Tab.DONE) == {untouched.pk}


# --- Filters and search -------------------------------------------------------------


def test_filters() -> None:
    a = chain()
    other_school = chain()
    plain = application(
        a, status=Status.REGISTRATION_REVIEW, step_deadline=clock.now() + dt.timedelta(days=3)
    )
    deferred = more(
        a,
        Status.REGISTRATION_REVIEW,
        suggestion="deferred",
        suggestion_reasons=["training_hours_short"],
        due="after_deferral",
        step_deadline=clock.now() - dt.timedelta(hours=1),
    )
    elsewhere = application(other_school, status=Status.REGISTRATION_REVIEW, due="first")
    reviewer = a.registration_reviewer
    assert todo(reviewer) == {plain.pk, deferred.pk, elsewhere.pk}
    assert todo(reviewer, school=a.school.pk) == {plain.pk, deferred.pk}
    assert todo(reviewer, suggestion="deferred") == {deferred.pk}
    assert todo(reviewer, due="first") == {elsewhere.pk}
    assert todo(reviewer, overdue=True) == {deferred.pk}
    assert todo(reviewer, due="periodic", suggestion="deferred") == set()


def test_search_by_full_resident_id_name_and_certificate_number() -> None:
    a = chain()
    target = application(a, status=Status.REGISTRATION_REVIEW)
    other = more(a, Status.REGISTRATION_REVIEW)
    reviewer = a.registration_reviewer
    full_id = target.teacher.resident_id
    assert todo(reviewer, q=full_id) == {target.pk}
    assert todo(reviewer, q=full_id.lower()) == {target.pk}
    # A part of an ID is not searchable (the column is encrypted) and finds nothing.
    assert todo(reviewer, q=full_id[:10]) == set()
    # A wrong check digit is nobody's number.
    wrong = full_id[:17] + ("0" if full_id[17] != "0" else "1")
    assert todo(reviewer, q=wrong) == set()
    assert todo(reviewer, q=target.certificate.number) == {target.pk}
    assert todo(reviewer, q=other.teacher.name) == {other.pk}


def test_search_kind() -> None:
    assert search_kind("34010419900101123X") == SearchKind.RESIDENT_ID
    assert search_kind("34010419900101123x") == SearchKind.RESIDENT_ID
    assert search_kind("20153400131000001") == SearchKind.CERTIFICATE
    assert search_kind("2015") == SearchKind.CERTIFICATE
    assert search_kind("张三") == SearchKind.NAME
    # Full-width digits are not digits of an ID.
    assert search_kind("３４０１０４１９９００１０１１２３Ｘ") == SearchKind.NAME


def test_sorting_and_masked_rows() -> None:
    a = chain()
    late = application(a, status=Status.REGISTRATION_REVIEW, step_deadline=clock.now() + dt.timedelta(days=9))
    soon = more(a, Status.REGISTRATION_REVIEW, step_deadline=clock.now() + dt.timedelta(days=1))
    rows = queues.queue_rows(
        queues.application_queue(user=a.registration_reviewer, filters=QueueFilters()),
        user=a.registration_reviewer,
    )
    assert [r.pk for r in rows] == [soon.pk, late.pk]  # the nearest deadline first
    full_id = soon.teacher.resident_id
    assert rows[0].resident_id_masked == full_id[:6] + "********" + full_id[-4:]
    assert rows[0].held
    assert not rows[0].overdue
    newest_first = queues.application_queue(
        user=a.registration_reviewer, filters=QueueFilters(), order_by=["-step_deadline", "pk"]
    )
    assert [x.pk for x in newest_first] == [late.pk, soon.pk]


def test_counts_and_batch_candidates() -> None:
    a = chain()
    b = chain_in(YAOHAI)
    waiting = application(
        a, status=Status.REGISTRATION_REVIEW, step_deadline=clock.now() - dt.timedelta(days=1)
    )
    more(a, Status.CONCLUDED)
    more(a, Status.NOTICE)
    foreign = application(b, status=Status.REGISTRATION_REVIEW)
    counts = queues.queue_counts(user=a.registration_reviewer)
    assert (counts.todo, counts.overdue) == (2, 1)
    found = queues.applications_for_batch(user=a.registration_reviewer, ids=[foreign.pk, waiting.pk])
    assert [x.pk for x in found] == [waiting.pk]


# --- One application ------------------------------------------------------------------


def test_get_for_review_out_of_scope_is_not_found() -> None:
    a = chain()
    b = chain_in(YAOHAI)
    theirs = application(b, status=Status.REGISTRATION_REVIEW)
    with pytest.raises(NotFound):
        queues.application_get_for_review(user=a.registration_reviewer, pk=theirs.pk)
    assert queues.application_get_for_review(user=b.registration_reviewer, pk=theirs.pk).pk == theirs.pk


def test_reveal_is_audited_and_refused_out_of_scope() -> None:
    a = chain()
    b = chain_in(YAOHAI)
    app = application(a, status=Status.REGISTRATION_REVIEW, phone="13912345678")
    before = AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).count()
    revealed = review_services.application_reveal_personal(user=a.registration_reviewer, pk=app.pk)
    assert revealed.resident_id == a.teacher.resident_id
    assert revealed.phone == "13912345678"
    event = AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).latest("pk")
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).count() == before + 1
    assert event.actor_id == a.registration_reviewer.pk
    assert event.object_id == str(app.pk)
    # The audit row itself never carries the number.
    assert a.teacher.resident_id not in str(event.details)
    with pytest.raises(NotFound):
        review_services.application_reveal_personal(user=b.registration_reviewer, pk=app.pk)
    admin = make_staff(role=Role.INSTITUTION_ADMIN, institution=a.authority)
    with pytest.raises(PermissionDenied):
        review_services.application_reveal_personal(user=admin, pk=app.pk)
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW).count() == before + 1


def test_teacher_records_of_the_cycle() -> None:
    a = chain()
    app = application(a, status=Status.REGISTRATION_REVIEW)
    app = queues.application_get_for_review(user=a.registration_reviewer, pk=app.pk)
    records = queues.teacher_records(application=app)
    # clean_periodic: five qualified years 2019-2023, passed ethics, 360 hours in 2021.
    assert [x.year for x in records.annual] == [2019, 2020, 2021, 2022, 2023]
    assert len(records.ethics) == 5
    assert records.training_hours == 360
    assert not records.training_short
    assert records.breaks == []
    assert records.cycle_last_day == dt.date(2024, 12, 31)


def test_bureaus_exist() -> None:
    # The fixtures above rely on the migration's bureaus.
    assert bureau(ANQING).level == "city"
    assert bureau(SUSONG).parent == bureau(PROVINCE)


def test_pages_of_the_queue_neither_overlap_nor_miss_rows() -> None:
    a = chain()
    apps = [
        application(a, status=Status.REGISTRATION_REVIEW, step_deadline=clock.now() + dt.timedelta(days=3))
    ]
    apps += [
        more(a, Status.REGISTRATION_REVIEW, step_deadline=clock.now() + dt.timedelta(days=3))
        for _ in range(4)
    ]
    listing = queues.application_queue(user=a.registration_reviewer, filters=QueueFilters())
    assert listing.count() == len(listing) == 5
    # Equal deadlines: the primary key decides, so consecutive pages are disjoint.
    pages = [[x.pk for x in listing[start : start + 2]] for start in (0, 2, 4)]
    assert pages == [[apps[0].pk, apps[1].pk], [apps[2].pk, apps[3].pk], [apps[4].pk]]
    with pytest.raises(TypeError):
        listing[0]  # type: ignore[index]
