"""The state table itself (no database): it is complete, consistent, and the drawing in
docs/workflow.md is the table's current output."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest
from django.conf import settings

from jiaozi.registration.models import WindowAction
from jiaozi.registration.workflow import (
    ACTIONS_OF_LEVEL,
    ACTIVE,
    CITY_OR_PROVINCE,
    DOWN_FROM_PROVINCE,
    HOLDER,
    LEVELS_OF_ACTION,
    REVIEW_LEVEL_ABOVE,
    TABLE,
    TERMINAL,
    TRANSITIONS,
    WINDOW_OF,
    Action,
    Actor,
    IllegalTransition,
    Status,
    actions_from,
    mermaid,
    target_for,
    transition_for,
)

DOC = Path(settings.BASE_DIR) / "docs" / "workflow.md"


def _targets(source: str, *, has_city_step: bool) -> set[str]:
    return {target_for(t, has_city_step=has_city_step) for t in TRANSITIONS if t.source == source}


def test_one_row_per_status_and_action() -> None:
    assert len(TABLE) == len(TRANSITIONS)


def test_every_row_names_known_statuses_actions_and_actors() -> None:
    for t in TRANSITIONS:
        assert t.source in Status.values
        assert t.action in Action.values
        assert t.actor in Actor.values
        assert t.target in (*Status.values, CITY_OR_PROVINCE, DOWN_FROM_PROVINCE, REVIEW_LEVEL_ABOVE)


def test_every_action_is_used() -> None:
    # RECOMPUTE only marks the timeline (the suggestion recomputed), never a transition.
    assert {t.action for t in TRANSITIONS} == set(Action.values) - {Action.RECOMPUTE}


@pytest.mark.parametrize("has_city_step", [True, False])
def test_every_status_is_reachable_from_draft(has_city_step: bool) -> None:
    seen, queue = {Status.DRAFT.value}, deque([Status.DRAFT.value])
    while queue:
        for target in _targets(queue.popleft(), has_city_step=has_city_step):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    # A review of a conclusion goes to the city, or to the province where there is none.
    unreachable = (
        {Status.REVIEW_AT_PROVINCE} if has_city_step else {Status.CITY_RECHECK, Status.REVIEW_AT_CITY}
    )
    expected = set(Status.values) - unreachable
    assert seen == expected


def test_terminal_statuses_have_no_way_out_and_others_have_one() -> None:
    # A filed conclusion is immutable except by the revocation procedure (SECURITY 13):
    # nothing but REVOKE leaves COMPLETED.
    for status in Status.values:
        has_exit = any(t.source == status and t.action != Action.REVOKE for t in TRANSITIONS)
        assert has_exit == (status not in TERMINAL), status


def test_a_chain_without_city_step_never_reaches_city_recheck() -> None:
    # From the statuses such a chain can be in (the city's review of a conclusion is not one).
    for t in TRANSITIONS:
        if t.source in (Status.CITY_RECHECK, Status.REVIEW_AT_CITY):
            continue
        assert target_for(t, has_city_step=False) not in (Status.CITY_RECHECK, Status.REVIEW_AT_CITY)


def test_chain_dependent_targets() -> None:
    end = transition_for(Status.NOTICE, Action.NOTICE_END)
    assert target_for(end, has_city_step=True) == Status.CITY_RECHECK
    assert target_for(end, has_city_step=False) == Status.PROVINCE_REVIEW
    down = transition_for(Status.PROVINCE_REVIEW, Action.RETURN_DOWN)
    assert target_for(down, has_city_step=True) == Status.CITY_RECHECK
    assert target_for(down, has_city_step=False) == Status.REGISTRATION_REVIEW


def test_the_normal_path_never_skips_a_stage() -> None:
    """The forward (non-return) edges from DRAFT visit every stage in order."""
    forward = {
        Action.SUBMIT,
        Action.SCHOOL_APPROVE,
        Action.CONCLUDE,
        Action.PUBLISH_NOTICE,
        Action.NOTICE_END,
        Action.CITY_APPROVE,
        Action.PROVINCE_APPROVE,
    }
    for has_city_step, expected in (
        (
            True,
            [
                Status.DRAFT,
                Status.SCHOOL_REVIEW,
                Status.REGISTRATION_REVIEW,
                Status.CONCLUDED,
                Status.NOTICE,
                Status.CITY_RECHECK,
                Status.PROVINCE_REVIEW,
                Status.COMPLETED,
            ],
        ),
        (
            False,
            [
                Status.DRAFT,
                Status.SCHOOL_REVIEW,
                Status.REGISTRATION_REVIEW,
                Status.CONCLUDED,
                Status.NOTICE,
                Status.PROVINCE_REVIEW,
                Status.COMPLETED,
            ],
        ),
    ):
        path, status = [Status.DRAFT.value], Status.DRAFT.value
        while status not in TERMINAL:
            (t,) = [t for t in TRANSITIONS if t.source == status and t.action in forward]
            status = target_for(t, has_city_step=has_city_step)
            path.append(status)
        assert path == expected


def test_returns_and_conclusion_changes_need_a_reason() -> None:
    reasoned = {(t.source, t.action) for t in TRANSITIONS if t.needs_reason}
    for t in TRANSITIONS:
        if t.action in (Action.RETURN_TO_APPLICANT, Action.RETURN_DOWN, Action.REVISE):
            assert (t.source, t.action) in reasoned
        if t.action in (Action.UPHOLD_OBJECTION, Action.DISMISS_OBJECTION):
            assert (t.source, t.action) in reasoned
    assert (Status.DRAFT, Action.SUBMIT) not in reasoned


def test_holder_names_a_level_for_every_open_status() -> None:
    assert set(HOLDER) == set(Status.values) - TERMINAL
    for status, holder in HOLDER.items():
        if holder in (Actor.PUBLIC,):
            continue
        # The level that holds an application can act on it there.
        assert any(t.source == status and t.actor == holder for t in TRANSITIONS), status


def test_active_excludes_only_withdrawn() -> None:
    # The partial unique constraint of Application says the same.
    assert set(Status.values) - ACTIVE == {Status.WITHDRAWN}


def test_window_of_every_level_is_a_campaign_window() -> None:
    # The province's supervision (revocation) has no window: it acts at any time.
    assert set(WINDOW_OF) == set(Actor.values) - {Actor.OVERSIGHT}
    assert set(WINDOW_OF.values()) <= set(WindowAction.values)
    assert WINDOW_OF[Actor.PUBLIC] == WINDOW_OF[Actor.SYSTEM] == WindowAction.SYSTEM


def test_levels_and_actions_indexes_agree_with_the_table() -> None:
    for t in TRANSITIONS:
        assert t.actor in LEVELS_OF_ACTION[t.action]
        assert t.action in ACTIONS_OF_LEVEL[t.actor]
    assert ACTIONS_OF_LEVEL[Actor.APPLICANT] == {
        Action.SUBMIT,
        Action.RESUBMIT,
        Action.WITHDRAW,
        Action.REQUEST_REVIEW,
    }
    assert LEVELS_OF_ACTION[Action.RETURN_DOWN] == {Actor.REGISTRATION, Actor.CITY, Actor.PROVINCE}
    assert LEVELS_OF_ACTION[Action.OBJECT] == {Actor.PUBLIC}


def test_transition_for_refuses_an_illegal_pair() -> None:
    with pytest.raises(IllegalTransition):
        transition_for(Status.DRAFT, Action.PROVINCE_APPROVE)
    assert transition_for(Status.DRAFT, Action.SUBMIT).target == Status.SCHOOL_REVIEW


def test_actions_from() -> None:
    assert actions_from(Status.SCHOOL_REVIEW, actor=Actor.SCHOOL) == [
        Action.SCHOOL_APPROVE,
        Action.RETURN_TO_APPLICANT,
    ]
    assert actions_from(Status.SCHOOL_REVIEW, actor=Actor.APPLICANT) == [Action.WITHDRAW]
    assert actions_from(Status.COMPLETED, actor=Actor.PROVINCE) == []


# --- The drawing ------------------------------------------------------------------------------


def test_mermaid_draws_every_row() -> None:
    text = mermaid()
    assert text.startswith("stateDiagram-v2\n")
    edges = [line for line in text.splitlines() if " --> " in line and "[*]" not in line]
    # Two edges for each chain-dependent row.
    dependent = sum(
        1 for t in TRANSITIONS if t.target in (CITY_OR_PROVINCE, DOWN_FROM_PROVINCE, REVIEW_LEVEL_ABOVE)
    )
    assert len(edges) == len(TRANSITIONS) + dependent
    assert "    notice --> province_review: 公示期满（系统）［无市级复核］" in edges
    assert "    school_review --> returned: 退回申请人*（学校）" in edges


def test_mermaid_is_the_same_in_any_language() -> None:
    from django.utils import translation

    with translation.override("en"):
        english = mermaid()
    assert english == mermaid()


def test_the_workflow_doc_holds_the_current_drawing() -> None:
    """Regenerate with: python manage.py shell -c "from jiaozi.registration.workflow
    import mermaid; print(mermaid())" and paste it into the ```mermaid block."""
    doc = DOC.read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid()}```" in doc
