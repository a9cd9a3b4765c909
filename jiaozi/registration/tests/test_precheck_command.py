"""``manage.py registration_precheck`` on a small database, and the set-based loader
checked against the pure rules over full, unfiltered records."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiaozi.certificates.models import Certificate
from jiaozi.registration import rules
from jiaozi.registration.precheck.facts import iter_precheck
from jiaozi.registration.precheck.selectors import due_q, precheck_context
from jiaozi.registration.rules import TeacherFacts
from jiaozi.registration.tests.factories import (
    appraisals,
    breaks,
    certificate,
    clean_periodic,
    ethics,
    teacher,
    training,
)
from jiaozi.registration.tests.factories import (
    campaign as make_campaign,
)
from jiaozi.teachers.models import Teacher

pytestmark = pytest.mark.django_db
D = dt.date


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("registration_precheck", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small_db() -> dict[str, str]:
    """Six teachers, seven rows; returns certificate numbers by role."""
    numbers: dict[str, str] = {}

    ok = teacher(name="合格")
    clean_periodic(ok)
    numbers["ok"] = certificate(ok, number="20153400131000001").number

    short = teacher(name="学时不足")
    clean_periodic(short, hours=200)
    numbers["short"] = certificate(short, number="20153400131000002", valid_to=D(2025, 3, 1)).number

    newcomer = teacher(name="新教师", probation_passed_on=D(2024, 8, 31), health="unfit")
    numbers["first"] = certificate(
        newcomer, number="20203400132000003", last_conclusion="", valid_to=None
    ).number

    two = teacher(name="两证")
    clean_periodic(two)
    numbers["two_b"] = certificate(two, number="20183400142000005", valid_to=D(2027, 8, 31)).number
    numbers["two_a"] = certificate(two, number="20183400142000004", last_conclusion="deferred").number

    teacher(name="无证", post_type="other")

    barred = teacher(name="不合格")
    numbers["barred"] = certificate(
        barred, number="20123400131000006", last_conclusion="unqualified", status="revoked"
    ).number
    return numbers


def test_command_writes_one_row_per_certificate_to_stdout(small_db: dict[str, str]) -> None:
    assert run("--date", "2024-12-31").splitlines() == [
        "certificate_number,due,suggestion,reasons",
        f"{small_db['ok']},periodic,qualified,validity_ending",
        f"{small_db['short']},periodic,deferred,validity_ending;training_hours_short",
        f"{small_db['first']},first,deferred,never_registered;late_first_registration;health_unfit",
        f"{small_db['two_a']},after_deferral,qualified,previously_deferred",
        f"{small_db['two_b']},not_yet_due,,validity_current",
        ",out_of_scope,,no_certificate;post_out_of_scope",
        f"{small_db['barred']},barred,,previously_unqualified;certificate_revoked",
    ]


def test_command_uses_unix_line_ends_and_no_other_output(small_db: dict[str, str]) -> None:
    text = run("--date", "2024-12-31")
    assert "\r" not in text
    assert text.endswith("\n")
    assert text.count("\n") == 8


def test_command_writes_the_same_csv_to_a_file(small_db: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "precheck.csv"
    message = run("--date", "2024-12-31", "--out", str(target))
    assert target.read_text(encoding="utf-8") == run("--date", "2024-12-31")
    assert "7 rows for 6 teachers" in message


def test_command_with_another_date(small_db: dict[str, str]) -> None:
    lines = dict(
        line.split(",", 1) for line in run("--date", "2027-07-01").splitlines()[1:] if line[0] != ","
    )
    # R + 60 days = 2027-08-30: a validity ending 2027-08-31 is not yet due.
    assert lines[small_db["two_b"]] == "not_yet_due,,validity_current"
    lines = dict(
        line.split(",", 1) for line in run("--date", "2027-07-02").splitlines()[1:] if line[0] != ","
    )
    assert lines[small_db["two_b"]].startswith("periodic,")


def test_empty_database_gives_the_header_only() -> None:
    assert run("--date", "2024-12-31") == "certificate_number,due,suggestion,reasons\n"


@pytest.mark.parametrize(
    "value", ["2024-13-01", "2024/12/31", "20241231", "2024-2-1", "2024-W01-1", "2024-02-30", "", "tomorrow"]
)
def test_command_refuses_a_bad_date(value: str) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", value)


def test_command_reports_an_unwritable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot write"):
        run("--date", "2024-12-31", "--out", str(tmp_path / "missing" / "x.csv"))


def test_command_needs_a_date() -> None:
    with pytest.raises(CommandError):
        run()


def test_training_threshold_comes_from_the_campaign_of_that_date() -> None:
    campaign = make_campaign(training_hours_required=Decimal(300))
    r = campaign.registration_date
    person = teacher()
    appraisals(person, dict.fromkeys(range(r.year - 5, r.year), "qualified"))
    training(person, [(r - dt.timedelta(days=100), 300)])
    number = certificate(person, valid_to=r).number
    assert run("--date", r.isoformat()).splitlines()[1] == f"{number},periodic,qualified,validity_ending"
    assert run("--date", r.isoformat(), "--training-hours", "360").splitlines()[1] == (
        f"{number},periodic,deferred,validity_ending;training_hours_short"
    )
    with pytest.raises(CommandError):
        run("--date", r.isoformat(), "--training-hours", "lots")


def test_query_count_does_not_grow_with_the_teachers(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for index in range(40):
        person = teacher()
        clean_periodic(person)
        certificate(person, last_conclusion="deferred" if index % 2 else "qualified")
        breaks(person, [(D(2021, 1, 1), D(2021, 12, 31), False)])
    # teachers, certificates, appraisals, ethics, training, breaks, the campaign lookup,
    # and the empty next chunk.
    with django_assert_max_num_queries(8):
        text = run("--date", "2024-12-31")
    assert text.count("unapproved_break") == 40


# --- The loader against the pure rules --------------------------------------------------


def _random_teachers(seed: int, count: int) -> None:
    rng = random.Random(seed)
    edge_days = [
        D(2019, 12, 31),
        D(2020, 1, 1),
        D(2024, 12, 31),
        D(2025, 1, 1),
        D(2019, 2, 28),
        D(2019, 3, 1),
    ]

    def day() -> dt.date:
        if rng.random() < 0.3:
            return rng.choice(edge_days)
        return D(2017, 1, 1) + dt.timedelta(days=rng.randrange(365 * 9))

    for _ in range(count):
        person = teacher(
            post_type=rng.choice(["full_time"] * 8 + ["other", "lab"]),
            employment_type=rng.choice(["public_established"] * 8 + ["other", "private_hired"]),
            health=rng.choice(["fit"] * 9 + ["unfit"]),
            probation_passed_on=rng.choice([None, day(), D(2024, 11, 1), D(2024, 10, 31)]),
        )
        for _c in range(rng.choice([0, 1, 1, 1, 2])):
            certificate(
                person,
                status=rng.choice(["valid"] * 8 + ["revoked", "lost"]),
                last_conclusion=rng.choice(["qualified"] * 4 + ["", "deferred", "unqualified"]),
                valid_to=rng.choice(
                    [None, day(), D(2025, 3, 1), D(2025, 3, 2), D(2024, 4, 29), D(2024, 4, 30)]
                ),
            )
        appraisals(
            person,
            {
                year: rng.choice(["qualified"] * 6 + ["excellent", "basic", "failed", "failed"])
                for year in range(2017, 2026)
                if rng.random() < 0.93
            },
        )
        ethics(person, {year: rng.choice(["passed"] * 12 + ["failed"]) for year in range(2017, 2026)})
        training(
            person,
            [(day(), Decimal(rng.randrange(0, 1200)) / 10) for _t in range(rng.randrange(0, 10))],
        )
        breaks(
            person,
            [
                (
                    start,
                    start + dt.timedelta(days=rng.choice([179, 180, 181, rng.randrange(400)])),
                    rng.random() < 0.4,
                )
                for start in (day() for _b in range(rng.choice([0, 0, 1, 2])))
            ],
        )


def _expected(r: dt.date) -> list[tuple[str, rules.Precheck]]:
    """The rules over every record, loaded the plain way (no SQL narrowing)."""
    out = []
    for person in Teacher.objects.order_by("pk").prefetch_related(
        "certificates", "annual_appraisals", "ethics_appraisals", "training_records", "teaching_breaks"
    ):
        base = TeacherFacts(
            post_type=person.post_type,
            employment_type=person.employment_type,
            health=person.health,
            probation_passed_on=person.probation_passed_on,
            certificate_status=None,
            appraisals={a.year: a.grade for a in person.annual_appraisals.all()},
            ethics={e.year: e.result for e in person.ethics_appraisals.all()},
            training=[(t.date, t.hours) for t in person.training_records.all()],
            breaks=[(b.start, b.end, b.approved) for b in person.teaching_breaks.all()],
        )
        certs = sorted(person.certificates.all(), key=lambda c: c.number)
        if not certs:
            out.append(("", rules.precheck(base, registration_date=r)))
        for cert in certs:
            facts = replace(
                base,
                certificate_status=cert.status,
                last_conclusion=cert.last_conclusion,
                valid_to=cert.valid_to,
            )
            out.append((cert.number, rules.precheck(facts, registration_date=r)))
    return out


@pytest.mark.parametrize("r", [D(2024, 12, 31), D(2024, 2, 29), D(2025, 1, 1)])
def test_loader_matches_the_rules_over_full_records(r: dt.date) -> None:
    _random_teachers(seed=r.toordinal(), count=120)
    expected = _expected(r)
    assert len({p.due for _n, p in expected}) >= 5, "the sample covers most due lines"
    assert len({p.suggestion for _n, p in expected}) == 4
    got = [
        (row.certificate_number, row.result) for row in iter_precheck(precheck_context(registration_date=r))
    ]
    assert got == expected
    # Small chunks give the same stream.
    small = [
        (row.certificate_number, row.result)
        for row in iter_precheck(precheck_context(registration_date=r), chunk_size=7)
    ]
    assert small == expected
    scoped = [
        (row.certificate_number, row.result)
        for row in iter_precheck(
            precheck_context(registration_date=r), teachers=Teacher.objects.all(), chunk_size=9
        )
    ]
    assert scoped == expected


def test_due_filter_in_sql_matches_the_rules() -> None:
    r = D(2024, 12, 31)
    _random_teachers(seed=7, count=150)
    ctx = precheck_context(registration_date=r)
    by_number = dict(_expected(r))
    for due in ("", "first", "periodic", "after_deferral"):
        in_sql = set(Certificate.objects.filter(due_q(ctx, due)).values_list("number", flat=True))
        wanted = {
            number
            for number, result in by_number.items()
            if number and (result.due == due if due else result.due in rules.DUE_TO_APPLY)
        }
        assert in_sql == wanted, due
        assert wanted or due == "", f"the sample has {due} certificates"
