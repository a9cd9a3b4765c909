"""The windows of a certification batch (§3): when each level may act. A closed window
is an error naming it and its dates, never a silent no-op."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.core import clock
from jiaozi.core.errors import WindowClosed

from .models import CertificationBatch

SHANGHAI = ZoneInfo("Asia/Shanghai")

LABELS = {
    "apply": gettext_lazy("网上申报"),
    "confirm": gettext_lazy("现场确认"),
    "decide": gettext_lazy("认定审批"),
}


def bounds(batch: CertificationBatch, window: str) -> tuple[dt.datetime, dt.datetime | None]:
    """(opens, closes) of ``window``; the decision has no close (its deadline is tracked)."""
    if window == "apply":
        return batch.apply_opens_at, batch.apply_closes_at
    if window == "confirm":
        return batch.apply_opens_at, batch.confirm_closes_at
    if window == "decide":
        return batch.apply_opens_at, None
    raise ValueError(window)


def _text(value: dt.datetime) -> str:
    local = value.astimezone(SHANGHAI)
    text = _("%(year)d年%(month)d月%(day)d日") % {"year": local.year, "month": local.month, "day": local.day}
    if local.time() != dt.time(0):
        text += f"{local.hour}" + _("时") + (f"{local.minute:02d}" + _("分") if local.minute else "")
    return text


def format_window(opens_at: dt.datetime, closes_at: dt.datetime | None) -> str:
    if closes_at is None:
        return _("%(start)s起") % {"start": _text(opens_at)}
    return _("%(start)s至%(end)s") % {"start": _text(opens_at), "end": _text(closes_at)}


def window_is_open(batch: CertificationBatch, window: str, at: dt.datetime | None = None) -> bool:
    at = at or clock.now()
    opens_at, closes_at = bounds(batch, window)
    return batch.is_active and opens_at <= at and (closes_at is None or at < closes_at)


def window_check(batch: CertificationBatch | None, window: str, at: dt.datetime | None = None) -> None:
    """Raise ``WindowClosed`` naming the window unless it is open at ``at`` (now)."""
    if batch is None:
        raise WindowClosed(_("当前没有进行中的教师资格认定批次，不能办理。"), window=window)
    if not batch.is_active:
        raise WindowClosed(_("%(batch)s未启用，当前不能办理。") % {"batch": batch.name}, window=window)
    if window_is_open(batch, window, at):
        return
    opens_at, closes_at = bounds(batch, window)
    raise WindowClosed(
        _("%(window)s时间为%(dates)s，当前不在办理时间内。")
        % {"window": LABELS[window], "dates": format_window(opens_at, closes_at)},
        window=window,
        opens_at=opens_at.isoformat(),
        closes_at=closes_at.isoformat() if closes_at else None,
    )
