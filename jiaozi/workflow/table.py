"""The transition table type: ``(from status, action, acting level) → to status``, what
each action requires, and the window that governs each level. Pure data, no database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class IllegalTransition(Exception):
    """No such (status, action) pair."""


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    level: str
    needs_reason: bool = False

    @property
    def actor(self) -> str:
        """The acting level (the name the registration tables have always used)."""
        return self.level


@dataclass(frozen=True)
class Branch:
    """A target that depends on the row: ``test(row)`` picks ``yes`` or ``no``; the
    labels name the two cases in the drawing."""

    yes: str
    no: str
    test: Callable[[Any], bool]
    yes_label: str = ""
    no_label: str = ""


@dataclass(frozen=True)
class Requires:
    """What an action asks for besides the reason the transition may need:
    ``conclusion`` "must" or "may"; ``override_reason`` when the conclusion differs from
    the suggestion."""

    conclusion: str = ""
    override_reason: bool = False


@dataclass
class TransitionTable:
    """One workflow's state graph. ``branches`` resolves the targets named ``@...``;
    ``windows`` names the window that governs each acting level; ``anonymous`` are the
    levels acted at without a signed-in user (the public, the scheduler)."""

    transitions: tuple[Transition, ...]
    levels: tuple[str, ...]
    actions: tuple[str, ...]
    branches: Mapping[str, Branch] = field(default_factory=dict)
    windows: Mapping[str, str] = field(default_factory=dict)
    requires: Mapping[str, Requires] = field(default_factory=dict)
    anonymous: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.pairs: dict[tuple[str, str], Transition] = {(t.source, t.action): t for t in self.transitions}
        if len(self.pairs) != len(self.transitions):
            raise ValueError("a (status, action) pair appears twice")
        for t in self.transitions:
            if t.target.startswith("@") and t.target not in self.branches:
                raise ValueError(f"no branch for {t.target}")
        self.levels_of_action: dict[str, frozenset[str]] = {
            a: frozenset(t.level for t in self.transitions if t.action == a) for a in self.actions
        }
        self.actions_of_level: dict[str, frozenset[str]] = {
            lv: frozenset(t.action for t in self.transitions if t.level == lv) for lv in self.levels
        }

    def get(self, status: str, action: str) -> Transition | None:
        return self.pairs.get((status, action))

    def transition_for(self, status: str, action: str) -> Transition:
        try:
            return self.pairs[(status, action)]
        except KeyError:
            raise IllegalTransition(f"{action} is not allowed in {status}") from None

    def target(self, transition: Transition, row: Any) -> str:
        branch = self.branches.get(transition.target)
        if branch is None:
            return transition.target
        return branch.yes if branch.test(row) else branch.no

    def targets(self, transition: Transition) -> list[tuple[str, str]]:
        """(target, condition label) pairs: one for a fixed target, two for a branch."""
        branch = self.branches.get(transition.target)
        if branch is None:
            return [(transition.target, "")]
        return [(branch.yes, branch.yes_label), (branch.no, branch.no_label)]

    def actions_from(self, status: str, *, level: str) -> list[str]:
        return [t.action for t in self.transitions if t.source == status and t.level == level]

    def sources(self, *, level: str, actions: Iterable[str]) -> frozenset[str]:
        wanted = set(actions)
        return frozenset(t.source for t in self.transitions if t.level == level and t.action in wanted)

    def window_of(self, level: str) -> str:
        return self.windows.get(level, "")

    def mermaid(
        self,
        *,
        states: Iterable[tuple[str, str]],
        initial: str,
        terminal: Iterable[str],
        action_label: Callable[[str], str],
        level_label: Callable[[str], str],
    ) -> str:
        """The table as a Mermaid ``stateDiagram-v2``, one edge per (status, action,
        target); ``*`` marks an action that needs a reason."""
        lines = ["stateDiagram-v2"]
        lines += [f'    state "{label}" as {value}' for value, label in states]
        lines.append(f"    [*] --> {initial}")
        for t in self.transitions:
            star = "*" if t.needs_reason else ""
            for target, condition in self.targets(t):
                label = f"{action_label(t.action)}{star}（{level_label(t.level)}）"
                if condition:
                    label += f"［{condition}］"
                lines.append(f"    {t.source} --> {target}: {label}")
        lines += [f"    {status} --> [*]" for status in terminal]
        return "\n".join(lines) + "\n"
