"""Running a workflow: the check plan, the write of one row, the batch runner and the
page predicates. A domain subclasses ``Workflow`` and fills in the hooks.

Every transition is checked in this order, each failure raising a ``DomainError`` and
changing nothing (docs/decisions/0080, kept as it was):

1. the row is visible to the actor (``load`` / ``rows`` → ``NotFound``);
2. the actor's level takes this action somewhere in the table (``PermissionDenied``),
   then the domain's ``refuse`` (``conflict_of_interest``);
3. the action is legal for that level from the current status (``Conflict``
   ``wrong_stage``) and the caller saw the current version (``stale_version``);
4. the window of the acting level, then the domain's ``timing`` (``WindowClosed`` …);
5. ``prepare``: reasons, conclusion, override reason (``ValidationFailed``).

Then, in one transaction: the compare-and-set of the changed columns, the step
(``step``), the audit row (``audit``), the notification (``announce``) and ``after``.
Anything raised after the state write rolls all of it back together; side effects leave
through ``transaction.on_commit`` in the hooks' services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction

from jiaozi.core import clock
from jiaozi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

from .cas import apply, compare_and_set, compare_and_set_many, group_by_write, narrow
from .table import Transition, TransitionTable

M = TypeVar("M", bound=models.Model)
# The account a domain acts with (its ``who`` hook turns it into the acting identity).
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the caller says about one transition; ``coded`` is a batch item (reasons
    must be coded)."""

    action: str
    version: int
    reason: str = ""
    reason_code: str = ""
    conclusion: str = ""
    override_reason: str = ""
    coded: bool = False


@dataclass(slots=True)
class Plan:
    """One checked transition, ready to write. ``row`` is what the checks read (an
    instance, or a light row in a batch); ``values`` the columns besides the status."""

    row: Any
    level: str
    transition: Transition
    target: str
    values: dict[str, Any] = field(default_factory=dict)
    opinion: str = ""
    reason_code: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    succeeded: list[int] = field(default_factory=list)
    # (row id, error code, message)
    failed: list[tuple[int, str, str]] = field(default_factory=list)


class Workflow(Generic[M, U]):
    """One workflow over ``model``'s ``status`` / ``version`` columns."""

    model: ClassVar[type[models.Model]]
    table: ClassVar[TransitionTable]
    status_field: ClassVar[str] = "status"
    version_field: ClassVar[str] = "version"
    touch_field: ClassVar[str] = "updated_at"
    batch_max: ClassVar[int] = 10_000
    chunk: ClassVar[int] = 1000
    # Actions whose ``after`` may refuse one item: a batch gives each its own savepoint.
    isolated: ClassVar[frozenset[str]] = frozenset()

    msg_unknown_action: ClassVar[Any] = "unknown action"
    msg_needs_user: ClassVar[Any] = "this action needs a signed-in user"
    msg_not_found: ClassVar[Any] = "not found"
    msg_forbidden: ClassVar[Any] = "forbidden"
    msg_stale: ClassVar[Any] = "changed meanwhile"
    msg_duplicate: ClassVar[Any] = "duplicate"
    msg_batch_too_large: ClassVar[Any] = "too many"

    # --- Hooks (the domain's vocabulary) --------------------------------------------

    def who(self, user: U | None) -> Any:
        """The acting identity the hooks read; None for the public / scheduler."""
        return user

    def anonymous(self, who: Any) -> bool:
        return who is None

    def visible(self, who: Any) -> models.QuerySet[M]:
        raise NotImplementedError

    def load(self, queryset: models.QuerySet[M], pk: Any) -> M:
        """The one read of the row a single transition moves."""
        return queryset.get(pk=pk)

    def row_of(self, instance: M) -> Any:
        return instance

    def rows(self, queryset: models.QuerySet[M], ids: Sequence[int]) -> dict[int, Any]:
        """A batch chunk's rows, keyed by pk (one query)."""
        return {obj.pk: obj for obj in queryset.filter(pk__in=ids)}

    def context(self, now: dt.datetime, instance: M | None = None) -> Any:
        """Per-call state the hooks share (the clock, cached window checks …)."""
        return now

    def level_of(self, who: Any, row: Any, action: str) -> str | None:
        raise NotImplementedError

    def refuse(self, who: Any, row: Any) -> None:
        """Raise to refuse an actor the table would let act (e.g. their own case)."""

    def wrong_stage(self, row: Any, action: str) -> DomainError:
        return Conflict("wrong stage", code="wrong_stage", status=row.status)

    def stale(self, row: Any) -> DomainError:
        """The caller saw an older version than the one read."""
        return Conflict(str(self.msg_stale), code="stale_version", version=getattr(row, self.version_field))

    def lost_race(self, row: Any) -> DomainError:
        """The row changed between the read and the compare-and-set."""
        return Conflict(str(self.msg_stale), code="stale_version")

    def check_window(self, row: Any, window: str, ctx: Any) -> None:
        """Raise ``WindowClosed`` when the level's ``window`` is closed."""

    def timing(self, row: Any, action: str, level: str, ctx: Any) -> None:
        """Action-specific timing (beyond the level's window)."""

    def prepare(self, plan: Plan, inputs: Inputs, ctx: Any, **options: Any) -> None:
        """Fill in ``plan.values`` / opinion / details; raise ``ValidationFailed``."""

    def step(self, plan: Plan, who: Any, now: dt.datetime) -> models.Model | None:
        """The unsaved timeline record of the transition, or None."""
        return None

    def audit(self, plans: Sequence[Plan], steps: Sequence[Any], who: Any, instance: M | None) -> None:
        """Write the audit rows (one for ``instance``, or ``audit_record_many``)."""

    def announce(self, plans: Sequence[Plan], instance: M | None) -> None:
        """Notify (queued on commit by the notification service)."""

    def after(self, plan: Plan, instance: M, who: Any) -> None:
        """Further writes in the same transaction (e.g. completion)."""

    def after_set(self, instance: M, plan: Plan, options: dict[str, Any]) -> None:
        """Refresh related objects on the instance after its compare-and-set."""

    def load_narrow(self, queryset: models.QuerySet[M], pk: Any) -> M:
        """The read of ``run(full=False)``: only the columns the checks and the write
        read (no wide text, JSON or encrypted columns). Default: ``load``."""
        return self.load(queryset, pk)

    def reload(self, pk: Any) -> M:
        return self.load(self.model._default_manager.all(), pk)  # type: ignore[arg-type]

    # --- The check plan ---------------------------------------------------------------

    def check_action(self, action: str, who: Any) -> str:
        if action not in self.table.actions:
            raise ValidationFailed.on_field("action", str(self.msg_unknown_action), code="unknown_action")
        if self.anonymous(who) and not self.table.levels_of_action[action] & self.table.anonymous:
            raise PermissionDenied(str(self.msg_needs_user))
        return action

    def permitted(self, who: Any, row: Any, action: str) -> str:
        level = self.level_of(who, row, action)
        if level is None or action not in self.table.actions_of_level.get(level, frozenset()):
            raise PermissionDenied(str(self.msg_forbidden))
        self.refuse(who, row)
        return level

    def legal(self, row: Any, action: str, level: str) -> Transition:
        transition = self.table.get(getattr(row, self.status_field), action)
        if transition is None or transition.level != level:
            raise self.wrong_stage(row, action)
        return transition

    def plan(self, who: Any, row: Any, inputs: Inputs, ctx: Any, **options: Any) -> Plan:
        action = inputs.action
        level = self.permitted(who, row, action)
        transition = self.legal(row, action, level)
        if inputs.version != getattr(row, self.version_field):
            raise self.stale(row)
        self.check_window(row, self.table.window_of(level), ctx)
        self.timing(row, action, level, ctx)
        plan = Plan(row=row, level=level, transition=transition, target=self.table.target(transition, row))
        self.prepare(plan, inputs, ctx, **options)
        return plan

    def can_act(self, *, user: U | None, instance: M, action: str, ctx: Any = None) -> bool:
        """Whether ``user`` could take ``action`` on ``instance`` now (level, stage,
        refusal, windows; not the inputs, which the form asks for). ``ctx`` lets a caller
        asking about several actions share one context (its reads are done once)."""
        if action not in self.table.actions:
            return False
        try:
            who = self.who(user)
            if self.anonymous(who):
                return False
            row = self.row_of(instance)
            level = self.permitted(who, row, action)
            self.legal(row, action, level)
            if ctx is None:
                ctx = self.context(clock.now(), instance)
            self.check_window(row, self.table.window_of(level), ctx)
            self.timing(row, action, level, ctx)
        except DomainError:
            return False
        return True

    def actions_for(self, *, user: U | None, instance: M) -> list[str]:
        """The actions ``user`` could take on ``instance`` now, in table order."""
        if user is None or not getattr(user, "is_authenticated", False):
            return []
        status = getattr(instance, self.status_field)
        candidates = [
            t.action
            for t in self.table.transitions
            if t.source == status and t.level not in self.table.anonymous
        ]
        ctx = self.context(clock.now(), instance)
        return [
            a
            for a in dict.fromkeys(candidates)
            if self.can_act(user=user, instance=instance, action=a, ctx=ctx)
        ]

    # --- One row ----------------------------------------------------------------------

    def run(self, *, user: U | None, pk: Any, inputs: Inputs, full: bool = True, **options: Any) -> M:
        """Check and take one transition; returns the instance as written (read once,
        written with one narrow compare-and-set). ``full=False`` reads it with
        ``load_narrow`` — for a caller that only redirects or reloads afterwards; an
        ``isolated`` action (whose ``after`` writes more) always reads it whole."""
        who = self.who(user)
        self.check_action(inputs.action, who)
        now = clock.now()
        load = self.load if full or inputs.action in self.isolated else self.load_narrow
        try:
            instance = load(self.visible(who), pk)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise NotFound(str(self.msg_not_found)) from None
        ctx = self.context(now, instance)
        plan = self.plan(who, self.row_of(instance), inputs, ctx, **options)
        with transaction.atomic():
            self.write_one(plan, instance, who, now, options)
        return instance

    def write_one(self, plan: Plan, instance: M, who: Any, now: dt.datetime, options: dict[str, Any]) -> None:
        values = narrow({self.status_field: plan.target, **plan.values}, instance)
        if self.touch_field:
            values[self.touch_field] = now
        expected = {
            self.status_field: getattr(plan.row, self.status_field),
            self.version_field: getattr(plan.row, self.version_field),
        }
        if not compare_and_set(
            self.model, pk=instance.pk, expected=expected, values=values, bump=self.version_field
        ):
            raise self.lost_race(plan.row)
        apply(instance, values, bump=self.version_field)
        self.after_set(instance, plan, options)
        record = self.step(plan, who, now)
        if record is not None:
            record.save(force_insert=True)
        self.audit([plan], [record], who, instance)
        self.announce([plan], instance)
        self.after(plan, instance, who)

    # --- Many rows --------------------------------------------------------------------

    def run_batch(
        self, *, user: U | None, action: str, items: Sequence[tuple[int, Inputs]], **options: Any
    ) -> BatchResult:
        """The same checks per item; each item succeeds or fails on its own. Written a
        chunk at a time (one transaction each), set-based."""
        who = self.who(user)
        self.check_action(action, who)
        if len(items) > self.batch_max:
            raise ValidationFailed(str(self.msg_batch_too_large), code="batch_too_large")
        result = BatchResult()
        now = clock.now()
        ctx = self.context(now)
        queryset = self.visible(who)
        seen: set[int] = set()
        for start in range(0, len(items), self.chunk):
            chunk = items[start : start + self.chunk]
            rows = self.rows(queryset, [pk for pk, _inputs in chunk])
            plans: list[Plan] = []
            for pk, inputs in chunk:
                if pk in seen:
                    result.failed.append((pk, "duplicate", str(self.msg_duplicate)))
                    continue
                seen.add(pk)
                row = rows.get(pk)
                if row is None:
                    result.failed.append((pk, NotFound.code, str(self.msg_not_found)))
                    continue
                try:
                    plans.append(self.plan(who, row, inputs, ctx, **options))
                except DomainError as exc:
                    result.failed.append((pk, exc.code, exc.message))
            with transaction.atomic():
                self.write_many(plans, who, now, result)
        return result

    def _set_many(self, plans: Sequence[Plan], now: dt.datetime) -> set[Any]:
        entries = []
        for plan in plans:
            expected = {
                self.status_field: getattr(plan.row, self.status_field),
                self.version_field: getattr(plan.row, self.version_field),
            }
            values = {self.status_field: plan.target, **plan.values}
            if self.touch_field:
                values[self.touch_field] = now
            entries.append((plan.row.pk, expected, values))
        moved: set[Any] = set()
        for expected, values, pks in group_by_write(entries).values():
            moved |= compare_and_set_many(
                self.model,
                pks=pks,
                expected=expected,
                values=values,
                bump=self.version_field,
                chunk=self.chunk,
            )
        return moved

    def write_many(self, plans: list[Plan], who: Any, now: dt.datetime, result: BatchResult) -> None:
        if not plans:
            return
        if plans[0].transition.action in self.isolated:
            won: list[Plan] = []
            for plan in plans:
                try:
                    with transaction.atomic():
                        if not self._set_many([plan], now):
                            raise self.lost_race(plan.row)
                        self.after(plan, self.reload(plan.row.pk), who)
                except DomainError as exc:
                    result.failed.append((plan.row.pk, exc.code, exc.message))
                else:
                    won.append(plan)
        else:
            moved = self._set_many(plans, now)
            won = [plan for plan in plans if plan.row.pk in moved]
            for plan in plans:
                if plan.row.pk not in moved:
                    error = self.lost_race(plan.row)
                    result.failed.append((plan.row.pk, error.code, error.message))
        if not won:
            return
        records = [self.step(plan, who, now) for plan in won]
        saved = [r for r in records if r is not None]
        if saved:
            type(saved[0])._default_manager.bulk_create(saved, batch_size=2000)
        self.audit(won, records, who, None)
        self.announce(won, None)
        result.succeeded.extend(plan.row.pk for plan in won)


def _target(table: TransitionTable, status: str, action: str, level: str) -> str:
    transition = table.get(status, action)
    if transition is None or transition.level != level:
        raise Conflict(f"{action} is not allowed in {status}", code="wrong_stage")
    return table.target(transition, None)


def simple_transition(
    model: type[models.Model],
    table: TransitionTable,
    *,
    pk: Any,
    status: str,
    action: str,
    level: str,
    values: dict[str, Any] | None = None,
    field: str = "state",
    on_refused: Callable[[], DomainError] | None = None,
) -> str | None:
    """Move a row that has a state but no version (a notice, an objection) along
    ``table``: a compare-and-set on its state alone. Returns the new state, or None when
    the row was no longer in ``status`` (a concurrent writer won); ``on_refused`` turns
    that into an error instead."""
    target = _target(table, status, action, level)
    if compare_and_set(model, pk=pk, expected={field: status}, values={field: target, **(values or {})}):
        return target
    if on_refused is not None:
        raise on_refused()
    return None


def simple_transition_where(
    model: type[models.Model],
    table: TransitionTable,
    *,
    filters: dict[str, Any],
    status: str,
    action: str,
    level: str,
    values: dict[str, Any] | None = None,
    field: str = "state",
) -> int:
    """``simple_transition`` for every row matching ``filters`` that is still in
    ``status``, in one statement; returns how many moved."""
    target = _target(table, status, action, level)
    update = {field: target, **(values or {})}
    return int(model._default_manager.filter(**filters, **{field: status}).update(**update))
