"""Reads for registration campaigns, starting from the user's jurisdiction (§9): the
campaigns of the user's province and the rule context of a campaign."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from jiaozi.accounts.actor import is_active_staff
from jiaozi.accounts.models import User
from jiaozi.orgs.jurisdiction import get_visible_or_404, province_code_of

from .. import rules
from ..models import Campaign
from ..rules import CycleContext


def campaign_list_visible_to(*, user: User) -> QuerySet[Campaign]:
    """The campaigns of the user's province; nothing for users without an institution."""
    if not is_active_staff(user) or user.institution is None:
        return Campaign.objects.none()
    return Campaign.objects.filter(province_code=province_code_of(user.institution))


def campaign_get_visible_to(*, user: User, pk: Any) -> Campaign:
    return get_visible_or_404(campaign_list_visible_to(user=user), pk=pk)


def campaign_get_active(*, province_code: str) -> Campaign | None:
    return Campaign.objects.filter(province_code=province_code, is_active=True).first()


def campaign_active_for(*, user: User) -> Campaign | None:
    """The active campaign of the user's province, if any."""
    return campaign_list_visible_to(user=user).filter(is_active=True).first()


def campaign_context(campaign: Campaign) -> CycleContext:
    return rules.cycle_context(campaign.registration_date, Decimal(campaign.training_hours_required))
