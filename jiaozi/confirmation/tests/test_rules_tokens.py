"""The pure pieces: the change deadline, the check-in and no-show moments, the check-in
code, and the registries the apps above fill."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiaozi.core.errors import NotFound, ValidationFailed

from .. import rules, tokens
from ..references import Reference, reference_resolve, register_reference_source, unregister_reference_source
from .factories import SHANGHAI

DAY = dt.date(2024, 10, 10)


def test_the_deadline_is_the_day_before_at_17_by_default() -> None:
    assert rules.change_deadline(DAY) == dt.datetime(2024, 10, 9, 17, tzinfo=SHANGHAI)
    assert rules.may_change(dt.datetime(2024, 10, 9, 16, 59, 59, tzinfo=SHANGHAI), DAY)
    assert not rules.may_change(dt.datetime(2024, 10, 9, 17, tzinfo=SHANGHAI), DAY)
    # 09:00 UTC is 17:00 in Shanghai.
    assert not rules.may_change(dt.datetime(2024, 10, 9, 9, tzinfo=dt.UTC), DAY)


def test_the_deadline_follows_the_settings(settings: object) -> None:
    settings.CONFIRMATION_CHANGE_DAYS_BEFORE = 2  # type: ignore[attr-defined]
    settings.CONFIRMATION_CHANGE_AT = "12:00"  # type: ignore[attr-defined]
    assert rules.change_deadline(DAY) == dt.datetime(2024, 10, 8, 12, tzinfo=SHANGHAI)


def test_check_in_on_the_local_day_only() -> None:
    assert rules.may_check_in(dt.datetime(2024, 10, 10, 0, 0, tzinfo=SHANGHAI), DAY)
    assert rules.may_check_in(dt.datetime(2024, 10, 9, 16, 30, tzinfo=dt.UTC), DAY)  # 00:30 local
    assert not rules.may_check_in(dt.datetime(2024, 10, 9, 23, 59, tzinfo=SHANGHAI), DAY)
    assert not rules.may_check_in(dt.datetime(2024, 10, 11, 0, 0, tzinfo=SHANGHAI), DAY)


def test_no_show_from_the_end_of_the_slot() -> None:
    end = dt.time(10)
    assert not rules.may_mark_no_show(dt.datetime(2024, 10, 10, 9, 59, tzinfo=SHANGHAI), DAY, end)
    assert rules.may_mark_no_show(dt.datetime(2024, 10, 10, 10, 0, tzinfo=SHANGHAI), DAY, end)


@given(st.integers(min_value=0, max_value=2**60 - 1))
def test_every_code_reads_back_to_its_nonce(n: int) -> None:
    nonce = tokens._encode(n.to_bytes(8, "big"), tokens.NONCE_CHARS)
    code = tokens.code_of(nonce)
    assert len(code) == 24
    assert code.count("-") == 4
    assert tokens.nonce_of(code) == nonce
    assert tokens.nonce_of(code.lower().replace("-", " ")) == nonce


def test_a_code_with_one_character_changed_is_refused() -> None:
    nonce = tokens.nonce_new()
    raw = tokens.normalise(tokens.code_of(nonce))
    refused = 0
    for i in range(len(raw)):
        for ch in "0Z":
            if raw[i] == ch:
                continue
            changed = raw[:i] + ch + raw[i + 1 :]
            try:
                tokens.nonce_of(changed)
            except ValidationFailed:
                refused += 1
    assert refused == sum(2 - (raw[i] in "0Z") for i in range(len(raw)))


def test_letters_read_as_digits_are_accepted() -> None:
    nonce = "0000111100001"[:12]
    code = tokens.code_of(nonce)
    assert tokens.nonce_of(code.replace("0", "O").replace("1", "l")) == nonce


@pytest.mark.parametrize("code", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-TVWU", "x" * 200])
def test_malformed_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        tokens.nonce_of(code)
    assert exc.value.code == "invalid_code"


def _resolver(kind: str, reference_id: int, user: object) -> Reference | None:
    return (
        Reference(kind=kind, id=reference_id, applicant_id=1, authority_id=2, label="x")
        if reference_id == 7
        else None
    )


def test_a_registered_source_resolves_and_a_missing_record_is_not_found() -> None:
    register_reference_source("unit", _resolver)
    try:
        register_reference_source("unit", _resolver)  # again: harmless
        assert reference_resolve("unit", 7, None).authority_id == 2
        with pytest.raises(NotFound):
            reference_resolve("unit", 8, None)
        with pytest.raises(ValueError, match="already registered"):
            register_reference_source("unit", lambda k, i, u: None)
    finally:
        unregister_reference_source("unit")
    with pytest.raises(NotFound):
        reference_resolve("unit", 7, None)
