"""Properties of the §4 rules over generated teachers (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from jiaozi.registration import rules
from jiaozi.registration.rules import (
    DUE_TO_APPLY,
    SUGGESTION_RANK,
    Due,
    Reason,
    Suggestion,
    TeacherFacts,
    cycle_context,
    precheck,
)

DUE_REASONS = {
    Due.FIRST: {Reason.NEVER_REGISTERED, Reason.LATE_FIRST_REGISTRATION, Reason.PROBATION_DATE_MISSING},
    Due.PERIODIC: {Reason.VALIDITY_ENDING},
    Due.AFTER_DEFERRAL: {Reason.PREVIOUSLY_DEFERRED},
    Due.NOT_YET_DUE: {Reason.VALIDITY_CURRENT, Reason.PROBATION_NOT_PASSED},
    Due.BARRED: {Reason.PREVIOUSLY_UNQUALIFIED, Reason.CERTIFICATE_REVOKED, Reason.CERTIFICATE_LOST},
    Due.OUT_OF_SCOPE: {Reason.NO_CERTIFICATE, Reason.POST_OUT_OF_SCOPE, Reason.EMPLOYMENT_OUT_OF_SCOPE},
}
SUGGESTION_REASONS = {
    Suggestion.QUALIFIED: set(),
    Suggestion.UNQUALIFIED: {Reason.ETHICS_FAILED, Reason.APPRAISAL_FAILED_CONSECUTIVE},
    Suggestion.DEFERRED: {
        Reason.TRAINING_HOURS_SHORT,
        Reason.UNAPPROVED_BREAK,
        Reason.APPRAISAL_FAILED,
        Reason.APPRAISAL_BASIC,
        Reason.APPRAISAL_MISSING,
        Reason.HEALTH_UNFIT,
    },
}
ORDER = [reason.value for reason in Reason]

dates = st.dates(min_value=dt.date(2012, 1, 1), max_value=dt.date(2032, 12, 31))
registration_dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))
hours = st.decimals(min_value=0, max_value=400, places=1, allow_nan=False, allow_infinity=False)
years = st.integers(min_value=2012, max_value=2032)


@st.composite
def breaks(draw: st.DrawFn, approved: bool | None = None) -> tuple[dt.date, dt.date, bool]:
    start = draw(dates)
    length = draw(st.integers(min_value=0, max_value=900))
    return start, start + dt.timedelta(days=length), draw(st.booleans()) if approved is None else approved


facts_strategy = st.builds(
    TeacherFacts,
    post_type=st.sampled_from(
        ["full_time", "dual", "lab", "mental_health", "young_pioneers", "edu_it", "other"]
    ),
    employment_type=st.sampled_from(["public_established", "public_equal_pay", "private_hired", "other"]),
    health=st.sampled_from(["fit", "fit", "unfit"]),
    probation_passed_on=st.none() | dates,
    certificate_status=st.sampled_from([None, "valid", "valid", "valid", "revoked", "lost"]),
    last_conclusion=st.sampled_from(["", "qualified", "qualified", "deferred", "unqualified"]),
    valid_to=st.none() | dates,
    appraisals=st.dictionaries(
        years, st.sampled_from(["excellent", "qualified", "qualified", "basic", "failed"])
    ),
    ethics=st.dictionaries(years, st.sampled_from(["passed", "passed", "failed"])),
    training=st.lists(st.tuples(dates, hours), max_size=8),
    breaks=st.lists(breaks(), max_size=4),
)


@settings(max_examples=400)
@given(facts=facts_strategy, r=registration_dates)
def test_due_is_total_deterministic_and_well_formed(facts: TeacherFacts, r: dt.date) -> None:
    result = precheck(facts, registration_date=r)
    assert result == precheck(facts, registration_date=r)
    assert result.due in set(Due)
    assert (result.suggestion == "") == (result.due not in DUE_TO_APPLY)
    due_part = [code for code in result.reasons if code in DUE_REASONS[Due(result.due)]]
    assert due_part, "the due line always gives a reason"
    assert list(result.reasons[: len(due_part)]) == due_part, "due codes come first"
    rest = set(result.reasons[len(due_part) :])
    if result.suggestion:
        assert rest <= SUGGESTION_REASONS[Suggestion(result.suggestion)]
        assert (result.suggestion == Suggestion.QUALIFIED) == (not rest)
    else:
        assert not rest
    assert len(set(result.reasons)) == len(result.reasons)
    assert list(result.reasons) == sorted(result.reasons, key=ORDER.index), "reasons in the order of §4"


@given(facts=facts_strategy, r=registration_dates, day=dates, extra=hours)
def test_adding_training_hours_never_worsens_the_suggestion(
    facts: TeacherFacts, r: dt.date, day: dt.date, extra: Decimal
) -> None:
    before = precheck(facts, registration_date=r)
    after = precheck(replace(facts, training=[*facts.training, (day, extra)]), registration_date=r)
    assert after.due == before.due
    if before.suggestion:
        assert SUGGESTION_RANK[after.suggestion] >= SUGGESTION_RANK[before.suggestion]
        assert set(after.reasons) <= set(before.reasons)


@given(facts=facts_strategy, r=registration_dates, data=st.data())
def test_a_record_outside_the_cycle_changes_nothing(
    facts: TeacherFacts, r: dt.date, data: st.DataObject
) -> None:
    ctx = cycle_context(r)
    before = precheck(facts, registration_date=r)
    outside_day = data.draw(
        st.dates(max_value=ctx.cycle_after, min_value=dt.date(2000, 1, 1))
        | st.dates(min_value=r + dt.timedelta(days=1), max_value=dt.date(2040, 1, 1))
    )
    length = data.draw(st.integers(min_value=0, max_value=2000))
    if outside_day <= ctx.cycle_after:
        start = outside_day - dt.timedelta(days=length)
        outside_break = (start, outside_day, data.draw(st.booleans()))
    else:
        outside_break = (outside_day, outside_day + dt.timedelta(days=length), data.draw(st.booleans()))
    outside_year = data.draw(
        st.integers(min_value=2000, max_value=ctx.appraisal_years[0] - 1)
        | st.integers(min_value=r.year, max_value=2040)
    )
    changed = replace(
        facts,
        training=[*facts.training, (outside_day, data.draw(hours))],
        breaks=[*facts.breaks, outside_break],
        appraisals={outside_year: data.draw(st.sampled_from(["failed", "basic"]))} | dict(facts.appraisals),
        ethics={outside_year: "failed"} | dict(facts.ethics),
    )
    assert precheck(changed, registration_date=r) == before


@given(facts=facts_strategy, r=registration_dates, approved=breaks(approved=True))
def test_an_approved_break_changes_nothing(
    facts: TeacherFacts, r: dt.date, approved: tuple[dt.date, dt.date, bool]
) -> None:
    assert precheck(replace(facts, breaks=[*facts.breaks, approved]), registration_date=r) == precheck(
        facts, registration_date=r
    )


@given(facts=facts_strategy, r=registration_dates)
def test_due_line_ignores_the_cycle_records(facts: TeacherFacts, r: dt.date) -> None:
    bare = replace(facts, appraisals={}, ethics={}, training=(), breaks=())
    ctx = cycle_context(r)
    assert rules.due_of(facts, ctx) == rules.due_of(bare, ctx)


@given(facts=facts_strategy, r=registration_dates, data=st.data())
def test_splitting_an_unapproved_break_into_touching_records_changes_nothing(
    facts: TeacherFacts, r: dt.date, data: st.DataObject
) -> None:
    """A stop recorded as two touching records is judged as the one stop it is."""
    start = data.draw(dates)
    length = data.draw(st.integers(min_value=1, max_value=900))
    cut = data.draw(st.integers(min_value=1, max_value=length))
    end = start + dt.timedelta(days=length)
    whole = replace(facts, breaks=[*facts.breaks, (start, end, False)])
    split = replace(
        facts,
        breaks=[
            *facts.breaks,
            (start, start + dt.timedelta(days=cut - 1), False),
            (start + dt.timedelta(days=cut), end, False),
        ],
    )
    assert precheck(split, registration_date=r) == precheck(whole, registration_date=r)


@given(facts=facts_strategy, r=registration_dates, extra=breaks(approved=False))
def test_adding_an_unapproved_break_never_improves_the_suggestion(
    facts: TeacherFacts, r: dt.date, extra: tuple[dt.date, dt.date, bool]
) -> None:
    before = precheck(facts, registration_date=r)
    after = precheck(replace(facts, breaks=[*facts.breaks, extra]), registration_date=r)
    assert after.due == before.due
    if before.suggestion:
        assert SUGGESTION_RANK[after.suggestion] <= SUGGESTION_RANK[before.suggestion]


@given(breaks_=st.lists(breaks(), max_size=8))
def test_merged_breaks_are_disjoint_sorted_and_cover_every_unapproved_day(
    breaks_: list[tuple[dt.date, dt.date, bool]],
) -> None:
    merged = rules.merged_breaks(breaks_)
    for (_, end), (start, _) in itertools.pairwise(merged):
        assert start > end + dt.timedelta(days=1), "stops neither touch nor overlap"
    covered = {s + dt.timedelta(days=i) for s, e in merged for i in range((e - s).days + 1)}
    wanted = {s + dt.timedelta(days=i) for s, e, ok in breaks_ if not ok for i in range((e - s).days + 1)}
    assert covered == wanted


@given(facts=facts_strategy, r=registration_dates)
def test_a_first_registration_reads_line_two_only_for_health(facts: TeacherFacts, r: dt.date) -> None:
    """First registrations (and deferred never-合格 ones) are judged by line 1 over the
    appraisal years; training, breaks and non-failing grades never matter."""
    ctx = cycle_context(r)
    due, _ = rules.due_of(facts, ctx)
    if not rules.judged_by_line_one_only(facts, due):
        return
    stripped = replace(
        facts,
        training=(),
        breaks=(),
        appraisals={y: g for y, g in facts.appraisals.items() if g == "failed"},
    )
    assert precheck(facts, registration_date=r) == precheck(stripped, registration_date=r)
    assert precheck(facts, registration_date=r).suggestion in {"qualified", "unqualified"} or (
        facts.health == "unfit"
    )
