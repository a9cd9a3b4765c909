"""Campaign windows (§3): the one place that says whether an action may be taken now.

Every step of periodic registration calls ``window_check`` before it changes anything;
outside the window it raises ``WindowClosed`` with a message that names the window and
its dates, never a silent no-op. A window is half-open, ``[opens_at, closes_at)``, and
an action window is open only while the system window is open too."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiaozi.core import clock
from jiaozi.core.errors import WindowClosed

from ..models import Campaign, WindowAction, WindowExtension

# (window, institution id) → the extended close of that window for chains through it.
Extensions = Mapping[tuple[str, int], dt.datetime]

# The steps in the order an application travels; windows downstream may not open or
# close before the ones upstream.
STEP_ORDER: tuple[str, ...] = (
    WindowAction.APPLY,
    WindowAction.SCHOOL_REVIEW,
    WindowAction.REVIEW,
    WindowAction.RECHECK,
    WindowAction.FINAL_REVIEW,
)


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(ZoneInfo(settings.TIME_ZONE))


def _clock_part(value: dt.datetime) -> str:
    if value.minute:
        return pgettext("window", "%(hour)d时%(minute)02d分") % {"hour": value.hour, "minute": value.minute}
    return pgettext("window", "%(hour)d时") % {"hour": value.hour}


def format_window(opens_at: dt.datetime, closes_at: dt.datetime) -> str:
    """'2024年9月13日至12月15日17时' — the way the notices write a window.

    A bound at midnight shows the day only; a close at midnight is the end of the day
    before (opens 9月13日 00:00, closes 12月16日 00:00 → '9月13日至12月15日'). The
    year of the close is left out when it is the year of the opening. The parts carry the
    message context "window", so their English is this app's, whatever other apps do
    with the same Chinese date patterns."""
    start, end = _local(opens_at), _local(closes_at)
    start_text = pgettext("window", "%(year)d年%(month)d月%(day)d日") % {
        "year": start.year,
        "month": start.month,
        "day": start.day,
    }
    if start.time() != dt.time(0):
        start_text += _clock_part(start)
    end_day = end.date()
    end_clock = ""
    if end.time() == dt.time(0):
        end_day -= dt.timedelta(days=1)
    else:
        end_clock = _clock_part(end)
    if end_day.year == start.year:
        end_text = pgettext("window", "%(month)d月%(day)d日") % {"month": end_day.month, "day": end_day.day}
    else:
        end_text = pgettext("window", "%(year)d年%(month)d月%(day)d日") % {
            "year": end_day.year,
            "month": end_day.month,
            "day": end_day.day,
        }
    return pgettext("window", "%(start)s至%(end)s") % {"start": start_text, "end": end_text + end_clock}


def format_moment(value: dt.datetime) -> str:
    """'2024年12月15日17时' (or …17时30分) in the site's time zone."""
    local = _local(value)
    day = pgettext("window", "%(year)d年%(month)d月%(day)d日") % {
        "year": local.year,
        "month": local.month,
        "day": local.day,
    }
    return day + _clock_part(local)


def local_time_text(value: dt.datetime) -> str:
    """ISO text in the site's time zone (audit details)."""
    return _local(value).isoformat()


def window_label(action: str) -> str:
    return str(WindowAction(action).label)


def _within(campaign: Campaign, action: str, at: dt.datetime) -> bool:
    opens_at, closes_at = campaign.window(action)
    return opens_at <= at < closes_at


def live_extensions(campaign_id: int) -> dict[tuple[str, int], dt.datetime]:
    """The campaign's live (not revoked) window extensions (one query)."""
    return {
        (window, institution_id): closes_at
        for window, institution_id, closes_at in WindowExtension.objects.filter(
            campaign_id=campaign_id, revoked_at__isnull=True
        ).values_list("window", "institution_id", "closes_at")
    }


def effective_close(
    campaign: Campaign,
    action: str,
    chain: Iterable[int | None] = (),
    extensions: Extensions | None = None,
) -> dt.datetime:
    """When ``action``'s window closes for an application whose review chain holds the
    institutions ``chain``: the campaign's close, or the latest live extension the
    province granted to one of them for that window (§5 "deadlines cascade")."""
    closes_at = campaign.window(action)[1]
    ids = [pk for pk in chain if pk is not None]
    if not ids or action == WindowAction.SYSTEM:
        return closes_at
    if extensions is None:
        extensions = live_extensions(campaign.pk)
    for pk in ids:
        extended = extensions.get((str(action), pk))
        if extended is not None and extended > closes_at:
            closes_at = extended
    return closes_at


def window_is_open(
    *,
    campaign: Campaign | None,
    action: str,
    at: dt.datetime | None = None,
    chain: Iterable[int | None] = (),
    extensions: Extensions | None = None,
) -> bool:
    """True when ``action`` may be taken at ``at`` (default: now) in ``campaign``."""
    if campaign is None or not campaign.is_active:
        return False
    at = at or clock.now()
    if not _within(campaign, WindowAction.SYSTEM, at):
        return False
    opens_at = campaign.window(action)[0]
    return opens_at <= at < effective_close(campaign, action, chain, extensions)


def window_check(
    *,
    campaign: Campaign | None,
    action: str,
    at: dt.datetime | None = None,
    chain: Iterable[int | None] = (),
    extensions: Extensions | None = None,
) -> None:
    """Raise ``WindowClosed`` unless ``action`` may be taken at ``at`` (default: now).
    ``chain`` (the application's school, authority, city and province ids) lets a
    province extension of the window for one of them count."""
    action = WindowAction(action)
    if campaign is None:
        raise WindowClosed(_("当前没有进行中的定期注册工作，不能办理。"), window=str(action))
    if not campaign.is_active:
        raise WindowClosed(
            _("%(campaign)s未启用，当前不能办理。") % {"campaign": campaign.name},
            window=str(action),
            campaign=campaign.pk,
        )
    at = at or clock.now()
    # The action's own window is named even when it is the system window that is shut,
    # because that is what the user was trying to do; the system window is named when
    # only it is closed (e.g. final review after the system closed early).
    failing = None
    action_opens = campaign.window(action)[0]
    action_closes = effective_close(campaign, action, chain, extensions)
    if not action_opens <= at < action_closes:
        failing = action
    elif not _within(campaign, WindowAction.SYSTEM, at):
        failing = WindowAction.SYSTEM
    if failing is None:
        return
    opens_at, closes_at = campaign.window(failing)
    if failing == action:
        closes_at = action_closes
    raise WindowClosed(
        _("%(window)s时间为%(dates)s，当前不在办理时间内。")
        % {"window": window_label(failing), "dates": format_window(opens_at, closes_at)},
        window=str(failing),
        opens_at=opens_at.isoformat(),
        closes_at=closes_at.isoformat(),
    )


def window_states(*, campaign: Campaign, at: dt.datetime | None = None) -> list[dict[str, object]]:
    """Every window of ``campaign`` with its dates and whether it is open now (for pages)."""
    at = at or clock.now()
    states: list[dict[str, object]] = []
    for action in (WindowAction.SYSTEM, *STEP_ORDER):
        opens_at, closes_at = campaign.window(action)
        states.append(
            {
                "action": str(action),
                "label": window_label(action),
                "opens_at": opens_at,
                "closes_at": closes_at,
                "text": format_window(opens_at, closes_at),
                "is_open": window_is_open(campaign=campaign, action=action, at=at),
                "upcoming": at < opens_at,
            }
        )
    return states


def window_errors(bounds: Mapping[str, dt.datetime | None]) -> list[tuple[str, str]]:
    """Validation of a campaign's windows: (field name, message) for each problem.

    ``bounds`` maps ``<action>_opens_at`` / ``<action>_closes_at`` to aware datetimes
    (``None`` where the form has no valid value yet; those are skipped). Rules: each
    window closes after it opens; every step window lies inside the system window;
    along apply → school review → review → recheck → final review no window opens or
    closes before the one upstream of it."""
    errors: list[tuple[str, str]] = []

    def get(action: str, edge: str) -> dt.datetime | None:
        return bounds.get(f"{action}_{edge}_at")

    for action in (WindowAction.SYSTEM, *STEP_ORDER):
        opens_at, closes_at = get(action, "opens"), get(action, "closes")
        if opens_at and closes_at and closes_at <= opens_at:
            errors.append(
                (
                    f"{action}_closes_at",
                    _("%(window)s的截止时间须晚于开始时间。") % {"window": window_label(action)},
                )
            )

    sys_open, sys_close = get(WindowAction.SYSTEM, "opens"), get(WindowAction.SYSTEM, "closes")
    for action in STEP_ORDER:
        opens_at, closes_at = get(action, "opens"), get(action, "closes")
        if sys_open and opens_at and opens_at < sys_open:
            errors.append(
                (
                    f"{action}_opens_at",
                    _("%(window)s不能早于系统开放时间。") % {"window": window_label(action)},
                )
            )
        if sys_close and closes_at and closes_at > sys_close:
            errors.append(
                (
                    f"{action}_closes_at",
                    _("%(window)s不能晚于系统关闭时间。") % {"window": window_label(action)},
                )
            )

    for upstream, downstream in itertools.pairwise(STEP_ORDER):
        for edge, verb in (("opens", _("开始")), ("closes", _("截止"))):
            up, down = get(upstream, edge), get(downstream, edge)
            if up and down and down < up:
                errors.append(
                    (
                        f"{downstream}_{edge}_at",
                        _("%(down)s的%(edge)s时间不能早于%(up)s的%(edge)s时间。")
                        % {"down": window_label(downstream), "up": window_label(upstream), "edge": verb},
                    )
                )
    return errors
