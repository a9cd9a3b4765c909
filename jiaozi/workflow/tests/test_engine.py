"""The workflow engine on a tiny table. The rows are audit chain heads standing in for
a domain model (the engine has none of its own): ``last_hash`` plays the status,
``last_seq`` the version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest
from django.db import models

from jiaozi.audit.models import AuditChain
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.workflow.cas import FirstSet, compare_and_set, compare_and_set_many, narrow
from jiaozi.workflow.engine import BatchResult, Inputs, Plan, Workflow, simple_transition
from jiaozi.workflow.table import Branch, IllegalTransition, Transition, TransitionTable

pytestmark = pytest.mark.django_db

# ``FirstSet`` against the database: jiaozi/registration/tests (a resubmission keeps the
# first submission time) — the audit chain refuses writes to its nullable column.

DRAFT, REVIEW, DONE, FAST = "draft", "review", "done", "fast"
AUTHOR, REVIEWER, CLOCK = "author", "reviewer", "clock"

TABLE = TransitionTable(
    transitions=(
        Transition(DRAFT, "submit", REVIEW, AUTHOR),
        Transition(REVIEW, "approve", "@done_or_fast", REVIEWER),
        Transition(REVIEW, "return", DRAFT, REVIEWER, needs_reason=True),
        Transition(REVIEW, "expire", DRAFT, CLOCK),
    ),
    levels=(AUTHOR, REVIEWER, CLOCK),
    actions=("submit", "approve", "return", "expire"),
    branches={"@done_or_fast": Branch(FAST, DONE, lambda row: row.key.startswith("fast"), "快", "慢")},
    windows={AUTHOR: "apply", REVIEWER: "review", CLOCK: "system"},
    anonymous=frozenset({CLOCK}),
)


class Tiny(Workflow[AuditChain, Any]):
    model = AuditChain
    table = TABLE
    status_field = "last_hash"
    version_field = "last_seq"
    touch_field = ""
    chunk = 2
    closed: ClassVar[set[str]] = set()
    written: ClassVar[list[str]] = []

    def visible(self, who: Any) -> models.QuerySet[AuditChain]:
        return AuditChain.objects.exclude(key__startswith="hidden")

    def level_of(self, who: Any, row: Any, action: str) -> str | None:
        if who is None:
            return CLOCK
        return who if who in (AUTHOR, REVIEWER) else None

    def wrong_stage(self, row: Any, action: str) -> Conflict:
        return Conflict("wrong stage", code="wrong_stage")

    def stale(self, row: Any) -> Conflict:
        return Conflict("stale", code="stale_version")

    def lost_race(self, row: Any) -> Conflict:
        return Conflict("stale", code="stale_version")

    def check_window(self, row: Any, window: str, ctx: Any) -> None:
        if window in self.closed:
            raise Conflict("closed", code="window_closed")

    def prepare(self, plan: Plan, inputs: Inputs, ctx: Any, **options: Any) -> None:
        if plan.transition.needs_reason and not inputs.reason:
            raise ValidationFailed("reason", code="reason_required")
        plan.extra["reason"] = inputs.reason

    def audit(self, plans: Sequence[Plan], steps: Sequence[Any], who: Any, instance: Any) -> None:
        self.written.extend(f"{p.row.pk}:{p.transition.action}" for p in plans)


@pytest.fixture(autouse=True)
def _reset() -> None:
    Tiny.closed.clear()
    Tiny.written.clear()


def row(key: str, status: str = DRAFT) -> AuditChain:
    return AuditChain.objects.create(key=key, last_hash=status)


def state(key: str) -> tuple[str, int]:
    chain = AuditChain.objects.get(pk=key)
    return chain.last_hash, chain.last_seq


# --- The table ----------------------------------------------------------------------


def test_the_table_derives_levels_and_actions() -> None:
    assert TABLE.levels_of_action["approve"] == frozenset({REVIEWER})
    assert TABLE.actions_of_level[REVIEWER] == frozenset({"approve", "return"})
    assert TABLE.actions_from(REVIEW, level=REVIEWER) == ["approve", "return"]
    assert TABLE.sources(level=AUTHOR, actions=["submit"]) == frozenset({DRAFT})
    assert TABLE.window_of(CLOCK) == "system"
    with pytest.raises(IllegalTransition):
        TABLE.transition_for(DONE, "submit")


def test_a_table_refuses_a_pair_twice_and_an_unknown_branch() -> None:
    t = Transition(DRAFT, "submit", REVIEW, AUTHOR)
    with pytest.raises(ValueError, match="twice"):
        TransitionTable(transitions=(t, t), levels=(AUTHOR,), actions=("submit",))
    with pytest.raises(ValueError, match="branch"):
        TransitionTable(
            transitions=(Transition(DRAFT, "go", "@x", AUTHOR),), levels=(AUTHOR,), actions=("go",)
        )


def test_the_drawing_has_one_edge_per_target() -> None:
    drawing = TABLE.mermaid(
        states=[(s, s) for s in (DRAFT, REVIEW, DONE, FAST)],
        initial=DRAFT,
        terminal=[DONE, FAST],
        action_label=str,
        level_label=str,
    )
    assert "    review --> fast: approve（reviewer）［快］" in drawing
    assert "    review --> done: approve（reviewer）［慢］" in drawing
    assert "    review --> draft: return*（reviewer）" in drawing


# --- Legal and illegal transitions, table-driven ------------------------------------------

LEGAL = [(t.source, t.action, t.level) for t in TABLE.transitions]


@pytest.mark.parametrize(("source", "action", "level"), LEGAL)
def test_every_legal_transition_moves_once(source: str, action: str, level: str) -> None:
    chain = row("slow1", source)
    who = None if level == CLOCK else level
    moved = Tiny().run(user=who, pk=chain.pk, inputs=Inputs(action, 0, reason="why"))
    expected = TABLE.target(TABLE.transition_for(source, action), chain)
    assert (moved.last_hash, moved.last_seq) == (expected, 1)
    assert state("slow1") == (expected, 1)
    assert Tiny.written == [f"slow1:{action}"]


def test_a_branch_picks_its_target_from_the_row() -> None:
    row("fast1", REVIEW)
    Tiny().run(user=REVIEWER, pk="fast1", inputs=Inputs("approve", 0))
    assert state("fast1") == (FAST, 1)


ILLEGAL = [
    (status, action)
    for status in (DRAFT, REVIEW, DONE)
    for action in TABLE.actions
    if TABLE.get(status, action) is None
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_pair_is_wrong_stage_and_changes_nothing(status: str, action: str) -> None:
    row("k", status)
    level = next(iter(TABLE.levels_of_action[action]))
    with pytest.raises(Conflict) as exc:
        Tiny().run(user=None if level == CLOCK else level, pk="k", inputs=Inputs(action, 0, reason="x"))
    assert exc.value.code == "wrong_stage"
    assert state("k") == (status, 0)
    assert Tiny.written == []


def test_the_check_order() -> None:
    row("k", REVIEW)
    row("hidden", REVIEW)
    tiny = Tiny()
    with pytest.raises(ValidationFailed) as unknown:
        tiny.run(user=REVIEWER, pk="k", inputs=Inputs("fly", 0))
    assert unknown.value.code == "unknown_action"
    with pytest.raises(PermissionDenied):  # nobody signed in, not the clock's action
        tiny.run(user=None, pk="k", inputs=Inputs("approve", 0))
    with pytest.raises(NotFound):
        tiny.run(user=REVIEWER, pk="hidden", inputs=Inputs("approve", 0))
    with pytest.raises(PermissionDenied):  # level before stage
        tiny.run(user=AUTHOR, pk="k", inputs=Inputs("approve", 5))
    Tiny.closed.add("review")
    with pytest.raises(Conflict) as stale:  # version before window
        tiny.run(user=REVIEWER, pk="k", inputs=Inputs("approve", 5))
    assert stale.value.code == "stale_version"
    with pytest.raises(Conflict) as closed:  # window before inputs
        tiny.run(user=REVIEWER, pk="k", inputs=Inputs("return", 0))
    assert closed.value.code == "window_closed"
    Tiny.closed.clear()
    with pytest.raises(ValidationFailed):
        tiny.run(user=REVIEWER, pk="k", inputs=Inputs("return", 0))
    assert state("k") == (REVIEW, 0)


def test_can_act_and_actions_for() -> None:
    class User:
        is_authenticated = True

    chain = row("k", REVIEW)

    class ReviewerTiny(Tiny):
        def who(self, user: Any) -> Any:
            return REVIEWER

    assert ReviewerTiny().can_act(user=User(), instance=chain, action="approve")
    assert not ReviewerTiny().can_act(user=User(), instance=chain, action="submit")
    assert ReviewerTiny().actions_for(user=User(), instance=chain) == ["approve", "return"]
    Tiny.closed.add("review")
    assert ReviewerTiny().actions_for(user=User(), instance=chain) == []
    assert Tiny().actions_for(user=None, instance=chain) == []


# --- Compare-and-set ------------------------------------------------------------------------


def test_compare_and_set_one_moves_only_the_expected_row() -> None:
    row("k", DRAFT)
    assert compare_and_set(
        AuditChain, pk="k", expected={"last_hash": DRAFT}, values={"last_hash": REVIEW}, bump="last_seq"
    )
    assert not compare_and_set(AuditChain, pk="k", expected={"last_hash": DRAFT}, values={"last_hash": DONE})
    assert state("k") == (REVIEW, 1)


def test_narrow_keeps_only_changed_columns() -> None:
    chain = AuditChain(key="k", last_hash=DRAFT)  # unsaved: narrowing reads the instance only
    values = {
        "last_hash": DRAFT,
        "pruned_hash": "x",
        "pruned_at": FirstSet(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    }
    changed = narrow(values, chain)
    assert set(changed) == {"pruned_hash", "pruned_at"}
    assert not isinstance(changed["pruned_at"], FirstSet)


def test_compare_and_set_many_returns_the_rows_it_moved_in_chunks() -> None:
    for key in ("a", "b", "c"):
        row(key, DRAFT)
    row("d", REVIEW)
    moved = compare_and_set_many(
        AuditChain,
        pks=["a", "b", "c", "d"],
        expected={"last_hash": DRAFT, "last_seq": 0},
        values={"last_hash": REVIEW},
        bump="last_seq",
        chunk=2,
    )
    assert moved == {"a", "b", "c"}
    assert [state(k) for k in "abcd"] == [(REVIEW, 1)] * 3 + [(REVIEW, 0)]


def test_a_state_without_version_moves_once() -> None:
    row("k", DRAFT)
    kwargs: dict[str, Any] = {
        "pk": "k",
        "status": DRAFT,
        "action": "submit",
        "level": AUTHOR,
        "field": "last_hash",
    }
    assert simple_transition(AuditChain, TABLE, **kwargs) == REVIEW
    assert simple_transition(AuditChain, TABLE, **kwargs) is None
    with pytest.raises(Conflict):
        simple_transition(AuditChain, TABLE, on_refused=lambda: Conflict("done", code="already"), **kwargs)
    with pytest.raises(Conflict) as exc:
        simple_transition(AuditChain, TABLE, **(kwargs | {"action": "approve"}))
    assert exc.value.code == "wrong_stage"


# --- Batches ----------------------------------------------------------------------------------


def test_a_batch_reports_each_item_on_its_own() -> None:
    for key in ("a", "b", "c", "e"):
        row(key, REVIEW)
    row("d", DONE)
    row("hidden", REVIEW)
    items = [
        ("a", Inputs("approve", 0, coded=True)),
        ("b", Inputs("approve", 0, coded=True)),
        ("a", Inputs("approve", 0, coded=True)),  # duplicate
        ("c", Inputs("approve", 7, coded=True)),  # stale
        ("d", Inputs("approve", 0, coded=True)),  # wrong stage
        ("hidden", Inputs("approve", 0, coded=True)),  # not visible
        ("missing", Inputs("approve", 0, coded=True)),
        ("e", Inputs("approve", 0, coded=True)),
    ]
    result = Tiny().run_batch(user=REVIEWER, action="approve", items=items)  # type: ignore[arg-type]
    assert isinstance(result, BatchResult)
    assert sorted(result.succeeded) == ["a", "b", "e"]
    assert sorted((pk, code) for pk, code, _m in result.failed) == [
        ("a", "duplicate"),
        ("c", "stale_version"),
        ("d", "wrong_stage"),
        ("hidden", "not_found"),
        ("missing", "not_found"),
    ]
    assert sorted(Tiny.written) == ["a:approve", "b:approve", "e:approve"]
    assert state("c") == (REVIEW, 0)


def test_a_row_moved_between_check_and_write_fails_stale_alone() -> None:
    row("a", REVIEW)
    row("b", REVIEW)

    class Interfering(Tiny):
        def rows(self, queryset: Any, ids: Sequence[int]) -> dict[int, Any]:
            loaded = super().rows(queryset, ids)
            AuditChain.objects.filter(pk="b").update(last_seq=1)
            return loaded

    items = [("a", Inputs("approve", 0)), ("b", Inputs("approve", 0))]
    result = Interfering().run_batch(user=REVIEWER, action="approve", items=items)  # type: ignore[arg-type]
    assert result.succeeded == ["a"]
    assert [(pk, code) for pk, code, _m in result.failed] == [("b", "stale_version")]
    assert Tiny.written == ["a:approve"]


def test_a_batch_larger_than_the_maximum_is_refused() -> None:
    class Small(Tiny):
        batch_max = 1

    with pytest.raises(ValidationFailed) as exc:
        Small().run_batch(user=REVIEWER, action="approve", items=[("a", Inputs("approve", 0))] * 2)  # type: ignore[list-item]
    assert exc.value.code == "batch_too_large"
