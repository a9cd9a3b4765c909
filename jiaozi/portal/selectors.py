"""Reads for the portal's home page: this year's registration campaign and its dates,
the latest announcements of each level, and the certification batches the certification
app announces (``certification.selectors.portal_batches``). Only public information."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from jiaozi.announcements.models import Announcement, Category
from jiaozi.announcements.selectors import public_latest_by_level, public_queryset
from jiaozi.certification.selectors import PortalBatch, portal_batches
from jiaozi.orgs.models import Level
from jiaozi.registration.models import Campaign

DEFAULT_PROVINCE = "340000"


def province_code() -> str:
    """The province this portal serves."""
    return str(getattr(settings, "PORTAL_PROVINCE_CODE", "") or DEFAULT_PROVINCE)


@dataclass(frozen=True)
class CampaignWindow:
    label: str
    opens_at: dt.datetime
    closes_at: dt.datetime


@dataclass(frozen=True)
class PortalCampaign:
    campaign: Campaign
    state: str  # upcoming / open / closed (for the teacher's own application)
    state_label: str
    apply: CampaignWindow
    system: CampaignWindow
    announcement: Announcement | None


def portal_campaign(*, now: dt.datetime) -> PortalCampaign | None:
    """The province's active registration campaign, with where a teacher stands: the
    teacher's own window (本人申请) decides "open"."""
    campaign = Campaign.objects.filter(province_code=province_code(), is_active=True).first()
    if campaign is None:
        return None
    if now < campaign.apply_opens_at:
        state, label = "upcoming", _("尚未开始")
    elif now < campaign.apply_closes_at:
        state, label = "open", _("正在受理")
    else:
        state, label = "closed", _("本人申请已截止")
    announcement = (
        public_queryset(now=now)
        .filter(category=Category.REGISTRATION, level=Level.PROVINCE)
        .order_by("-publish_at", "-pk")
        .first()
    )
    return PortalCampaign(
        campaign=campaign,
        state=state,
        state_label=str(label),
        apply=CampaignWindow(str(_("本人申请")), campaign.apply_opens_at, campaign.apply_closes_at),
        system=CampaignWindow(str(_("系统开放")), campaign.system_opens_at, campaign.system_closes_at),
        announcement=announcement,
    )


@dataclass(frozen=True)
class LevelColumn:
    level: str
    label: str
    items: list[Announcement]


def latest_announcements(*, now: dt.datetime, per_level: int = 5) -> list[LevelColumn]:
    latest = public_latest_by_level(per_level=per_level, now=now)
    return [LevelColumn(value, str(label), latest.get(value, [])) for value, label in Level.choices]


def certification_batches(*, today: dt.date) -> list[PortalBatch]:
    return portal_batches(today=today, limit=3)
