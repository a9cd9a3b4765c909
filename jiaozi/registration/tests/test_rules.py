"""The §4 rules by hand-checked table: every reason code and every boundary.

Reference registration date R = 2024-12-31, so R + 60 days = 2025-03-01, R − 60 days =
2024-11-01, the cycle is (2019-12-31, 2024-12-31] (its first day 2020-01-01) and the
appraisal years are 2019 … 2023. Each row starts from a teacher who is due for periodic
registration with a clean record and changes only what the row names."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from jiaozi.certificates import models as certificate_models
from jiaozi.registration import rules
from jiaozi.registration.rules import Precheck, TeacherFacts, add_years, cycle_context, precheck, validity_for
from jiaozi.teachers import models as teacher_models

R = dt.date(2024, 12, 31)
D = dt.date
H = Decimal
GOOD_YEARS = dict.fromkeys(range(2019, 2024), "qualified")
PASSED = dict.fromkeys(range(2019, 2024), "passed")

BASE = TeacherFacts(
    post_type="full_time",
    employment_type="public_established",
    health="fit",
    probation_passed_on=D(2015, 8, 31),
    certificate_status="valid",
    last_conclusion="qualified",
    valid_to=D(2024, 12, 31),
    appraisals=GOOD_YEARS,
    ethics=PASSED,
    training=((D(2022, 6, 1), H(360)),),
    breaks=(),
)
FIRST = replace(
    BASE, last_conclusion="", valid_to=None, probation_passed_on=D(2024, 12, 1), appraisals={}, training=()
)


def grades(**changes: str) -> dict[int, str]:
    """The good years with some changed: grades(y2021="failed")."""
    out: dict[int, Any] = dict(GOOD_YEARS)
    for key, grade in changes.items():
        year = int(key[1:])
        if grade == "missing":
            out.pop(year, None)
        else:
            out[year] = grade
    return out


CASES: list[tuple[str, TeacherFacts, str, str, str]] = [
    # --- due: periodic / not yet due around R + 60 days -------------------------------
    ("validity ends on R", BASE, "periodic", "qualified", "validity_ending"),
    (
        "validity ends R+60 (inclusive)",
        replace(BASE, valid_to=D(2025, 3, 1)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    ("validity ends R+61", replace(BASE, valid_to=D(2025, 3, 2)), "not_yet_due", "", "validity_current"),
    (
        "validity expired long ago",
        replace(BASE, valid_to=D(2016, 5, 1)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "qualified without an end date",
        replace(BASE, valid_to=None),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "not yet due: bad facts give no suggestion",
        replace(BASE, valid_to=D(2027, 1, 1), health="unfit", appraisals={}, training=()),
        "not_yet_due",
        "",
        "validity_current",
    ),
    # --- due: after deferral -------------------------------------------------------------
    (
        "previously deferred, clean",
        replace(BASE, last_conclusion="deferred"),
        "after_deferral",
        "qualified",
        "previously_deferred",
    ),
    (
        "previously deferred, validity far ahead is irrelevant",
        replace(BASE, last_conclusion="deferred", valid_to=D(2029, 1, 1)),
        "after_deferral",
        "qualified",
        "previously_deferred",
    ),
    (
        "previously deferred, still short of hours",
        replace(BASE, last_conclusion="deferred", training=((D(2023, 1, 1), H(100)),)),
        "after_deferral",
        "deferred",
        "previously_deferred;training_hours_short",
    ),
    # --- due: first registration around R − 60 days -----------------------------------
    (
        "first: probation passed R-60 (not late)",
        replace(FIRST, probation_passed_on=D(2024, 11, 1)),
        "first",
        "qualified",
        "never_registered",
    ),
    (
        "first: probation passed R-61 (late)",
        replace(FIRST, probation_passed_on=D(2024, 10, 31)),
        "first",
        "qualified",
        "never_registered;late_first_registration",
    ),
    (
        "first: probation passed on R",
        replace(FIRST, probation_passed_on=R),
        "first",
        "qualified",
        "never_registered",
    ),
    (
        "first: probation passes R+1",
        replace(FIRST, probation_passed_on=D(2025, 1, 1)),
        "not_yet_due",
        "",
        "probation_not_passed",
    ),
    (
        "first: no probation date → listed for the reviewer to verify",
        replace(FIRST, probation_passed_on=None),
        "first",
        "qualified",
        "never_registered;probation_date_missing",
    ),
    (
        "first: no probation date and an ethics failure",
        replace(FIRST, probation_passed_on=None, ethics={2023: "failed"}),
        "first",
        "unqualified",
        "never_registered;probation_date_missing;ethics_failed",
    ),
    (
        "first: health unfit → deferred",
        replace(FIRST, health="unfit"),
        "first",
        "deferred",
        "never_registered;health_unfit",
    ),
    (
        "first: late and unfit",
        replace(FIRST, probation_passed_on=D(2018, 7, 1), health="unfit"),
        "first",
        "deferred",
        "never_registered;late_first_registration;health_unfit",
    ),
    (
        "first: line 2 facts ignored (no appraisals, no hours, one failed year, long break)",
        replace(
            FIRST,
            appraisals={2022: "failed", 2023: "basic"},
            breaks=((D(2022, 1, 1), D(2023, 12, 31), False),),
        ),
        "first",
        "qualified",
        "never_registered",
    ),
    (
        "first: ethics 不合格 in a cycle year → unqualified",
        replace(FIRST, ethics={2023: "failed"}),
        "first",
        "unqualified",
        "never_registered;ethics_failed",
    ),
    (
        "first: two consecutive 不合格 years → unqualified",
        replace(FIRST, appraisals={2022: "failed", 2023: "failed"}),
        "first",
        "unqualified",
        "never_registered;appraisal_failed_consecutive",
    ),
    (
        "first: 不合格 years not consecutive (2021, 2023) → qualified",
        replace(FIRST, appraisals={2021: "failed", 2023: "failed"}),
        "first",
        "qualified",
        "never_registered",
    ),
    (
        "first: ethics 不合格 of R's own year is outside the appraisal years",
        replace(FIRST, ethics={2024: "failed"}),
        "first",
        "qualified",
        "never_registered",
    ),
    (
        "first: line 1 wins over health",
        replace(FIRST, health="unfit", ethics={2019: "failed"}),
        "first",
        "unqualified",
        "never_registered;ethics_failed",
    ),
    # --- after deferral, never 注册合格 (no validity): judged like a first registration ---------
    (
        "deferred first registration: no hours, no appraisals → qualified",
        replace(FIRST, last_conclusion="deferred"),
        "after_deferral",
        "qualified",
        "previously_deferred",
    ),
    (
        "deferred first registration: unfit → deferred",
        replace(FIRST, last_conclusion="deferred", health="unfit"),
        "after_deferral",
        "deferred",
        "previously_deferred;health_unfit",
    ),
    (
        "deferred first registration: two consecutive 不合格 → unqualified",
        replace(FIRST, last_conclusion="deferred", appraisals={2019: "failed", 2020: "failed"}),
        "after_deferral",
        "unqualified",
        "previously_deferred;appraisal_failed_consecutive",
    ),
    (
        "deferred with a validity recorded: the full cycle applies",
        replace(FIRST, last_conclusion="deferred", valid_to=D(2019, 12, 31)),
        "after_deferral",
        "deferred",
        "previously_deferred;training_hours_short;appraisal_missing",
    ),
    # --- barred, in its order, before out_of_scope ------------------------------------------
    (
        "barred: previously unqualified",
        replace(BASE, last_conclusion="unqualified"),
        "barred",
        "",
        "previously_unqualified",
    ),
    (
        "barred: certificate revoked",
        replace(BASE, certificate_status="revoked"),
        "barred",
        "",
        "certificate_revoked",
    ),
    (
        "barred: qualification lost",
        replace(BASE, certificate_status="lost"),
        "barred",
        "",
        "certificate_lost",
    ),
    (
        "barred: unqualified and revoked, both listed",
        replace(BASE, last_conclusion="unqualified", certificate_status="revoked"),
        "barred",
        "",
        "previously_unqualified;certificate_revoked",
    ),
    (
        "barred wins over out_of_scope",
        replace(BASE, last_conclusion="unqualified", post_type="other", employment_type="other"),
        "barred",
        "",
        "previously_unqualified",
    ),
    (
        "barred (lost) wins over post other",
        replace(BASE, certificate_status="lost", post_type="other"),
        "barred",
        "",
        "certificate_lost",
    ),
    (
        "barred wins over first",
        replace(FIRST, certificate_status="revoked"),
        "barred",
        "",
        "certificate_revoked",
    ),
    # --- out of scope ----------------------------------------------------------------------
    (
        "no certificate",
        replace(BASE, certificate_status=None, last_conclusion="", valid_to=None),
        "out_of_scope",
        "",
        "no_certificate",
    ),
    ("post other", replace(BASE, post_type="other"), "out_of_scope", "", "post_out_of_scope"),
    (
        "employment other",
        replace(BASE, employment_type="other"),
        "out_of_scope",
        "",
        "employment_out_of_scope",
    ),
    (
        "no certificate, post and employment other: all listed in order",
        replace(
            BASE, certificate_status=None, last_conclusion="", post_type="other", employment_type="other"
        ),
        "out_of_scope",
        "",
        "no_certificate;post_out_of_scope;employment_out_of_scope",
    ),
    (
        "out_of_scope wins over not_yet_due",
        replace(BASE, valid_to=D(2028, 1, 1), employment_type="other"),
        "out_of_scope",
        "",
        "employment_out_of_scope",
    ),
    (
        "out_of_scope wins over first",
        replace(FIRST, post_type="other"),
        "out_of_scope",
        "",
        "post_out_of_scope",
    ),
    (
        "every in-scope post counts",
        replace(BASE, post_type="edu_it", employment_type="private_hired"),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    # --- unqualified ---------------------------------------------------------------------------
    (
        "ethics failed 2019 (first appraisal year)",
        replace(BASE, ethics=PASSED | {2019: "failed"}),
        "periodic",
        "unqualified",
        "validity_ending;ethics_failed",
    ),
    (
        "ethics failed 2023 (last appraisal year)",
        replace(BASE, ethics=PASSED | {2023: "failed"}),
        "periodic",
        "unqualified",
        "validity_ending;ethics_failed",
    ),
    (
        "ethics failed 2024 (R's year): not in the cycle",
        replace(BASE, ethics=PASSED | {2024: "failed"}),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "ethics failed 2018: before the cycle",
        replace(BASE, ethics=PASSED | {2018: "failed"}),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    ("missing ethics is no reason", replace(BASE, ethics={}), "periodic", "qualified", "validity_ending"),
    (
        "failed 2020 and 2021: consecutive",
        replace(BASE, appraisals=grades(y2020="failed", y2021="failed")),
        "periodic",
        "unqualified",
        "validity_ending;appraisal_failed_consecutive",
    ),
    (
        "failed 2019 … 2023: consecutive",
        replace(BASE, appraisals=dict.fromkeys(range(2019, 2024), "failed")),
        "periodic",
        "unqualified",
        "validity_ending;appraisal_failed_consecutive",
    ),
    (
        "failed 2019 and 2021: not consecutive → deferred",
        replace(BASE, appraisals=grades(y2019="failed", y2021="failed")),
        "periodic",
        "deferred",
        "validity_ending;appraisal_failed",
    ),
    (
        "failed 2021, 2022 missing, 2023 failed: not consecutive",
        replace(BASE, appraisals=grades(y2021="failed", y2022="missing", y2023="failed")),
        "periodic",
        "deferred",
        "validity_ending;appraisal_failed;appraisal_missing",
    ),
    (
        "failed 2018 and 2019: 2018 is outside",
        replace(BASE, appraisals=grades(y2019="failed") | {2018: "failed"}),
        "periodic",
        "deferred",
        "validity_ending;appraisal_failed",
    ),
    (
        "failed 2023 and 2024: 2024 is outside",
        replace(BASE, appraisals=grades(y2023="failed") | {2024: "failed"}),
        "periodic",
        "deferred",
        "validity_ending;appraisal_failed",
    ),
    (
        "ethics and consecutive failures: both listed",
        replace(BASE, ethics=PASSED | {2022: "failed"}, appraisals=grades(y2022="failed", y2023="failed")),
        "periodic",
        "unqualified",
        "validity_ending;ethics_failed;appraisal_failed_consecutive",
    ),
    (
        "unqualified hides the deferred line",
        replace(
            BASE,
            ethics=PASSED | {2020: "failed"},
            training=(),
            health="unfit",
            appraisals=grades(y2021="basic", y2022="missing"),
        ),
        "periodic",
        "unqualified",
        "validity_ending;ethics_failed",
    ),
    # --- deferred: training hours --------------------------------------------------------------
    (
        "359.5 hours: short",
        replace(BASE, training=((D(2022, 1, 1), H("359.5")),)),
        "periodic",
        "deferred",
        "validity_ending;training_hours_short",
    ),
    (
        "359.5 + 0.5 = 360 hours: enough",
        replace(BASE, training=((D(2022, 1, 1), H("359.5")), (D(2023, 1, 1), H("0.5")))),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "hours dated R−5y (2019-12-31) do not count",
        replace(BASE, training=((D(2019, 12, 31), H(100)), (D(2022, 1, 1), H(300)))),
        "periodic",
        "deferred",
        "validity_ending;training_hours_short",
    ),
    (
        "hours dated the cycle's first day (2020-01-01) count",
        replace(BASE, training=((D(2020, 1, 1), H(60)), (D(2022, 1, 1), H(300)))),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "hours dated R count",
        replace(BASE, training=((R, H(60)), (D(2022, 1, 1), H(300)))),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "hours dated R+1 do not count",
        replace(BASE, training=((D(2025, 1, 1), H(60)), (D(2022, 1, 1), H(300)))),
        "periodic",
        "deferred",
        "validity_ending;training_hours_short",
    ),
    (
        "no training at all",
        replace(BASE, training=()),
        "periodic",
        "deferred",
        "validity_ending;training_hours_short",
    ),
    # --- deferred: breaks -------------------------------------------------------------------------
    (
        "unapproved break of 180 days: not longer than 180",
        replace(BASE, breaks=((D(2022, 1, 1), D(2022, 6, 29), False),)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "unapproved break of 181 days",
        replace(BASE, breaks=((D(2022, 1, 1), D(2022, 6, 30), False),)),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "approved break of 400 days does not count",
        replace(BASE, breaks=((D(2022, 1, 1), D(2023, 2, 4), True),)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "break over the cycle start: 180 days inside (2020-01-01 … 2020-06-28)",
        replace(BASE, breaks=((D(2019, 7, 1), D(2020, 6, 28), False),)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "break over the cycle start: 181 days inside (2020-01-01 … 2020-06-29)",
        replace(BASE, breaks=((D(2019, 7, 1), D(2020, 6, 29), False),)),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "break over R: 180 days inside (2024-07-05 … R)",
        replace(BASE, breaks=((D(2024, 7, 5), D(2025, 6, 30), False),)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "break over R: 181 days inside (2024-07-04 … R)",
        replace(BASE, breaks=((D(2024, 7, 4), D(2025, 6, 30), False),)),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "break ending on R−5y lies outside",
        replace(BASE, breaks=((D(2018, 1, 1), D(2019, 12, 31), False),)),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "two unapproved breaks of 100 days each, apart: judged one by one",
        replace(
            BASE, breaks=((D(2021, 1, 1), D(2021, 4, 10), False), (D(2022, 1, 1), D(2022, 4, 10), False))
        ),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    # --- breaks: touching or overlapping unapproved records are one stop (§4 as revised) ----------
    (
        "touching records 2021-03-01→07-31 and 08-01→12-31: one 306-day stop",
        replace(
            BASE, breaks=((D(2021, 3, 1), D(2021, 7, 31), False), (D(2021, 8, 1), D(2021, 12, 31), False))
        ),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "touching records of 90 + 90 days: 180, not longer than 180",
        replace(
            BASE, breaks=((D(2022, 4, 1), D(2022, 6, 29), False), (D(2022, 1, 1), D(2022, 3, 31), False))
        ),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "touching records of 90 + 91 days: 181",
        replace(
            BASE, breaks=((D(2022, 1, 1), D(2022, 3, 31), False), (D(2022, 4, 1), D(2022, 6, 30), False))
        ),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "a one-day gap keeps records apart (90 and 90 days)",
        replace(
            BASE, breaks=((D(2022, 1, 1), D(2022, 3, 31), False), (D(2022, 4, 2), D(2022, 6, 30), False))
        ),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "overlapping records 01-01→04-30 and 03-01→06-30: 181 days",
        replace(
            BASE, breaks=((D(2022, 1, 1), D(2022, 4, 30), False), (D(2022, 3, 1), D(2022, 6, 30), False))
        ),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "three records chained by touching: 60 + 60 + 61 days",
        replace(
            BASE,
            breaks=(
                (D(2023, 1, 1), D(2023, 3, 1), False),
                (D(2023, 3, 2), D(2023, 4, 30), False),
                (D(2023, 5, 1), D(2023, 6, 30), False),
            ),
        ),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    (
        "an approved record never joins unapproved ones",
        replace(
            BASE,
            breaks=(
                (D(2022, 1, 1), D(2022, 3, 31), False),
                (D(2022, 4, 1), D(2022, 4, 30), True),
                (D(2022, 5, 1), D(2022, 7, 31), False),
            ),
        ),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "a merged stop over the cycle start counts its 180 days inside",
        replace(
            BASE, breaks=((D(2019, 7, 1), D(2019, 12, 31), False), (D(2020, 1, 1), D(2020, 6, 28), False))
        ),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    (
        "a merged stop over the cycle start counts its 181 days inside",
        replace(
            BASE, breaks=((D(2019, 7, 1), D(2019, 12, 31), False), (D(2020, 1, 1), D(2020, 6, 29), False))
        ),
        "periodic",
        "deferred",
        "validity_ending;unapproved_break",
    ),
    # --- deferred: appraisals and health ------------------------------------------------------------
    (
        "one failed year",
        replace(BASE, appraisals=grades(y2022="failed")),
        "periodic",
        "deferred",
        "validity_ending;appraisal_failed",
    ),
    (
        "one basic year",
        replace(BASE, appraisals=grades(y2020="basic")),
        "periodic",
        "deferred",
        "validity_ending;appraisal_basic",
    ),
    (
        "a missing year",
        replace(BASE, appraisals=grades(y2021="missing")),
        "periodic",
        "deferred",
        "validity_ending;appraisal_missing",
    ),
    (
        "no appraisals at all",
        replace(BASE, appraisals={}),
        "periodic",
        "deferred",
        "validity_ending;appraisal_missing",
    ),
    (
        "2018 and 2024 missing are outside the years",
        replace(BASE, appraisals=dict.fromkeys(range(2019, 2024), "excellent")),
        "periodic",
        "qualified",
        "validity_ending",
    ),
    ("health unfit", replace(BASE, health="unfit"), "periodic", "deferred", "validity_ending;health_unfit"),
    (
        "every deferred reason, in order",
        replace(
            BASE,
            training=((D(2022, 1, 1), H(200)),),
            breaks=((D(2021, 1, 1), D(2021, 12, 31), False),),
            appraisals=grades(y2019="failed", y2021="basic", y2023="missing"),
            health="unfit",
        ),
        "periodic",
        "deferred",
        "validity_ending;training_hours_short;unapproved_break;appraisal_failed;appraisal_basic;appraisal_missing;health_unfit",
    ),
]


@pytest.mark.parametrize(
    ("facts", "due", "suggestion", "reasons"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_precheck_table(facts: TeacherFacts, due: str, suggestion: str, reasons: str) -> None:
    result = precheck(facts, registration_date=R)
    assert (result.due, result.suggestion, ";".join(result.reasons)) == (due, suggestion, reasons)


def test_every_reason_code_appears_in_the_table() -> None:
    seen = {code for case in CASES for code in case[4].split(";")}
    assert seen == {reason.value for reason in rules.Reason}


def test_result_is_a_named_triple() -> None:
    due, suggestion, reasons = precheck(BASE, registration_date=R)
    assert (due, suggestion, reasons) == ("periodic", "qualified", ("validity_ending",))
    assert precheck(BASE, registration_date=R) == Precheck("periodic", "qualified", ("validity_ending",))
    assert Precheck("first", "deferred", ("never_registered", "health_unfit")).reasons_text == (
        "never_registered;health_unfit"
    )


def test_training_threshold_is_the_province_setting() -> None:
    facts = replace(BASE, training=((D(2022, 1, 1), H(300)),))
    assert precheck(facts, registration_date=R).suggestion == "deferred"
    assert precheck(facts, registration_date=R, training_hours_required=300).suggestion == "qualified"
    assert (
        precheck(facts, registration_date=R, training_hours_required=Decimal("300.5")).suggestion
        == "deferred"
    )


# --- Calendar: 29 February -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (D(2024, 12, 31), -5, D(2019, 12, 31)),
        (D(2024, 2, 29), -5, D(2019, 2, 28)),
        (D(2024, 2, 29), 5, D(2029, 2, 28)),
        (D(2024, 2, 29), -4, D(2020, 2, 29)),
        (D(2025, 2, 28), -5, D(2020, 2, 28)),
        (D(2025, 3, 1), -5, D(2020, 3, 1)),
    ],
)
def test_add_years_keeps_the_calendar_day_or_clamps_29_february(
    day: dt.date, years: int, expected: dt.date
) -> None:
    assert add_years(day, years) == expected


def test_cycle_of_a_29_february_registration_date() -> None:
    r = D(2024, 2, 29)
    ctx = cycle_context(r)
    assert (ctx.cycle_after, ctx.first_day) == (D(2019, 2, 28), D(2019, 3, 1))
    assert ctx.appraisal_years == (2019, 2020, 2021, 2022, 2023)
    assert ctx.validity_due_by == D(2024, 4, 29)
    assert ctx.late_first_before == D(2023, 12, 31)
    on_edge = replace(BASE, valid_to=r, training=((D(2019, 2, 28), H(10)), (D(2021, 1, 1), H(350))))
    assert precheck(on_edge, registration_date=r).suggestion == "deferred"
    first_day = replace(on_edge, training=((D(2019, 3, 1), H(10)), (D(2021, 1, 1), H(350))))
    assert precheck(first_day, registration_date=r).suggestion == "qualified"


def test_cycle_starting_on_29_february() -> None:
    r = D(2025, 2, 28)  # R − 5 years = 2020-02-28: the cycle's first day is 2020-02-29
    facts = replace(BASE, valid_to=r, appraisals=dict.fromkeys(range(2020, 2025), "qualified"))
    counted = replace(facts, training=((D(2020, 2, 29), H(10)), (D(2022, 1, 1), H(350))))
    assert precheck(counted, registration_date=r).suggestion == "qualified"
    not_counted = replace(facts, training=((D(2020, 2, 28), H(10)), (D(2022, 1, 1), H(350))))
    assert precheck(not_counted, registration_date=r).suggestion == "deferred"


def test_validity_of_a_qualified_conclusion() -> None:
    assert validity_for(D(2024, 12, 31)) == (D(2024, 12, 31), D(2029, 12, 30))
    # The next cycle (R' − 5 years, R'] with R' = 2029-02-28 starts on 2024-02-29: no gap.
    assert validity_for(D(2024, 2, 29)) == (D(2024, 2, 29), D(2029, 2, 27))
    assert cycle_context(D(2029, 2, 28)).first_day == D(2024, 2, 29)


def test_break_days_are_counted_inclusively_inside_the_cycle() -> None:
    ctx = cycle_context(R)
    assert rules.break_days_in_cycle(D(2022, 1, 1), D(2022, 1, 1), ctx) == 1
    assert rules.break_days_in_cycle(D(2010, 1, 1), D(2030, 1, 1), ctx) == (R - D(2019, 12, 31)).days
    assert rules.break_days_in_cycle(D(2025, 1, 1), D(2025, 12, 1), ctx) == 0
    assert rules.break_days_in_cycle(D(2019, 1, 1), D(2019, 12, 31), ctx) == 0


# --- The rule vocabulary matches the teachers app's choices --------------------------------


def test_merged_breaks_join_touching_and_overlapping_unapproved_records() -> None:
    merged = rules.merged_breaks(
        [
            (D(2022, 5, 1), D(2022, 5, 31), False),
            (D(2022, 1, 1), D(2022, 1, 31), False),
            (D(2022, 2, 1), D(2022, 2, 10), False),  # touches January
            (D(2022, 1, 15), D(2022, 1, 20), False),  # inside January
            (D(2022, 2, 12), D(2022, 2, 20), False),  # one day apart: its own stop
            (D(2022, 2, 11), D(2022, 2, 11), True),  # approved: never bridges
        ]
    )
    assert merged == [
        (D(2022, 1, 1), D(2022, 2, 10)),
        (D(2022, 2, 12), D(2022, 2, 20)),
        (D(2022, 5, 1), D(2022, 5, 31)),
    ]


def test_fact_values_match_the_teacher_models() -> None:
    assert rules.POST_OTHER == teacher_models.PostType.OTHER
    assert rules.EMPLOYMENT_OTHER == teacher_models.EmploymentType.OTHER
    assert rules.HEALTH_UNFIT == teacher_models.Health.UNFIT
    assert {rules.STATUS_VALID, rules.STATUS_REVOKED, rules.STATUS_LOST} == set(
        certificate_models.CertificateStatus.values
    )
    assert {rules.CONCLUSION_QUALIFIED, rules.CONCLUSION_DEFERRED, rules.CONCLUSION_UNQUALIFIED} == set(
        certificate_models.Conclusion.values
    )
    assert {rules.GRADE_EXCELLENT, rules.GRADE_QUALIFIED, rules.GRADE_BASIC, rules.GRADE_FAILED} == set(
        teacher_models.AppraisalGrade.values
    )
    assert {rules.ETHICS_PASSED, rules.ETHICS_FAILED} == set(teacher_models.EthicsResult.values)
