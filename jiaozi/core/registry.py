"""What the apps contribute to the staff shell: navigation entries and dashboard cards.

Lower layers must not know the apps above them, so nothing here lists an app. Each app
adds its own entries in ``AppConfig.ready()`` (through its ``hooks.register()``):

    registry.nav_entry_register(NavEntry(_("审计日志"), "audit:event_list", ..., order=310))
    registry.dashboard_cards_register("audit", _audit_cards, order=60)

The workspace reads ``nav_entries()`` and ``dashboard_card_sources()``; periodic jobs have
their own registry in ``jiaozi.core.jobs`` (``periodic_job``), filled the same way.
Registering the same thing twice is harmless (``ready()`` may run again in tests);
registering a different thing under a taken name is a programming error.
See docs/decisions/0146-app-registries.md."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from jiaozi.accounts.models import User
    from jiaozi.core.ui.cards import TaskCard


@dataclass(frozen=True)
class NavEntry:
    """One link in the staff navigation. It shows only to users whose role is in
    ``roles`` and only while ``url_name`` resolves; entries are listed by ``order`` and
    grouped into consecutive ``section``s."""

    label: str | Promise
    url_name: str
    roles: frozenset[str]
    icon: str = ""
    section: str | Promise = ""
    order: int = 0


CardsFor = Callable[["User"], Iterable["TaskCard"]]


@dataclass(frozen=True)
class CardSource:
    """An app's dashboard cards: ``cards(user)`` gives the cards for that user (none
    when the role has nothing to do there)."""

    name: str
    cards: CardsFor
    order: int = 0


class DuplicateRegistration(ValueError):
    """A different item is already registered under this name."""


_NAV: dict[str, NavEntry] = {}
_CARDS: dict[str, CardSource] = {}


def _put(store: dict[str, Any], key: str, item: Any, what: str) -> None:
    existing = store.get(key)
    if existing is not None and existing != item:
        raise DuplicateRegistration(f"{what} {key!r} is registered twice")
    store[key] = item


def nav_entry_register(entry: NavEntry) -> NavEntry:
    """Add a navigation entry (keyed by its URL name)."""
    _put(_NAV, entry.url_name, entry, "navigation entry")
    return entry


def nav_entries() -> tuple[NavEntry, ...]:
    """Every registered entry, in navigation order."""
    return tuple(sorted(_NAV.values(), key=lambda entry: (entry.order, entry.url_name)))


def dashboard_cards_register(name: str, cards: CardsFor, *, order: int = 0) -> CardSource:
    """Add a source of dashboard cards under ``name`` (usually the app label)."""
    source = CardSource(name=name, cards=cards, order=order)
    _put(_CARDS, name, source, "dashboard card source")
    return source


def dashboard_card_sources() -> tuple[CardSource, ...]:
    """Every registered card source, in dashboard order."""
    return tuple(sorted(_CARDS.values(), key=lambda source: (source.order, source.name)))
