"""Dashboard task cards. Each app registers a function that returns the cards for a
user (``jiaozi.core.registry.dashboard_cards_register``); ``cards_for`` collects them in
dashboard order. Cards say honestly what is not open yet; the issue that builds a
workflow replaces its placeholder with real counts (read through its selectors, scoped
to the user's jurisdiction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiaozi.core.registry import dashboard_card_sources

if TYPE_CHECKING:
    from jiaozi.accounts.models import User


@dataclass(frozen=True)
class TaskCard:
    title: str | Promise
    text: str | Promise
    status: str  # for includes/status_badge.html
    status_label: str | Promise
    icon: str = "calendar"
    url: str = ""
    action_label: str | Promise = ""


# (status, status_label) of a card whose work has not opened yet.
NOT_OPEN: tuple[str, str | Promise] = ("scheduled", _("尚未开放"))


def url_or_empty(name: str) -> str:
    """The URL of ``name``, or "" while that page has not landed (the card then shows no link)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def cards_for(user: User) -> list[TaskCard]:
    """The user's cards from every registered source, in dashboard order."""
    return [card for source in dashboard_card_sources() for card in source.cards(user)]
