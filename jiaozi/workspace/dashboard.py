"""What the dashboard shows each role. Task cards say honestly what is not open yet;
the issues that build each workflow replace a placeholder with real counts (read through
their selectors, scoped to the user's jurisdiction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiaozi.accounts.roles import Role
from jiaozi.core import clock
from jiaozi.registration.models import WindowAction
from jiaozi.registration.selectors import campaign_active_for
from jiaozi.registration.windows import format_window, window_is_open, window_label

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


_NOT_OPEN = ("scheduled", _("尚未开放"))

_REGISTRATION_TEXT: dict[str, Promise] = {
    Role.SCHOOL_REVIEWER: _("本校教师提交的定期注册申请将在这里等待学校审查。"),
    Role.REGISTRATION_REVIEWER: _("管辖学校报送的申请将在这里等待审核并作出注册结论。"),
    Role.CITY_RECHECKER: _("各县（区）审核通过的申请将在这里等待市级复核。"),
    Role.PROVINCE_REVIEWER: _("各市复核通过的申请将在这里等待省级终审备案。"),
    Role.INSTITUTION_ADMIN: _("本机构的注册进度将在这里汇总显示。"),
    Role.PROVINCE_ADMIN: _("全省定期注册工作批次和时间安排由省级管理员设置。"),
}


# The window each role works in (§3); admins follow the system window.
_ROLE_WINDOW: dict[str, str] = {
    Role.SCHOOL_REVIEWER: WindowAction.SCHOOL_REVIEW,
    Role.REGISTRATION_REVIEWER: WindowAction.REVIEW,
    Role.CITY_RECHECKER: WindowAction.RECHECK,
    Role.PROVINCE_REVIEWER: WindowAction.FINAL_REVIEW,
    Role.INSTITUTION_ADMIN: WindowAction.SYSTEM,
    Role.PROVINCE_ADMIN: WindowAction.SYSTEM,
}


def _registration_card(user: User, role: str) -> TaskCard:
    url = _url("registration:campaign_list")
    campaign = campaign_active_for(user=user)
    if campaign is None:
        return TaskCard(
            _("定期注册工作尚未开放"),
            _REGISTRATION_TEXT[role],
            *_NOT_OPEN,
            icon="calendar",
            url=url,
            action_label=_("查看注册工作"),
        )
    action = _ROLE_WINDOW[role]
    opens_at, closes_at = campaign.window(action)
    now = clock.now()
    if window_is_open(campaign=campaign, action=action, at=now):
        status: tuple[str, str | Promise] = ("open", _("办理中"))
    elif now < opens_at:
        status = ("scheduled", _("尚未开始"))
    else:
        status = ("closed", _("已截止"))
    text = _("%(window)s时间：%(dates)s。") % {
        "window": window_label(action),
        "dates": format_window(opens_at, closes_at),
    }
    return TaskCard(
        campaign.name,
        f"{text}{_REGISTRATION_TEXT[role]}",
        *status,
        icon="calendar",
        url=url,
        action_label=_("查看注册工作"),
    )


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def tasks_for(user: User) -> list[TaskCard]:
    role = getattr(user, "role", "")
    cards: list[TaskCard] = []
    if role in _REGISTRATION_TEXT:
        cards.append(_registration_card(user, role))
    if role == Role.CONFIRMATION_USER:
        cards.append(
            TaskCard(
                _("认定现场确认尚未开放"),
                _("认定工作开放后，本确认点需要确认的申请将在这里列出。"),
                *_NOT_OPEN,
                icon="check",
            )
        )
    if role == Role.CERTIFYING_OFFICER:
        cards.append(
            TaskCard(
                _("教师资格认定工作尚未开放"),
                _("认定工作开放后，待审核的认定申请和待发证书将在这里列出。"),
                *_NOT_OPEN,
                icon="certificate",
            )
        )
    if role in {Role.INSTITUTION_ADMIN, Role.PROVINCE_ADMIN}:
        institution = getattr(user, "institution", None)
        published = bool(
            institution and institution.address and institution.phone and institution.office_hours
        )
        cards.append(
            TaskCard(
                _("机构公开信息已填写") if published else _("机构公开信息尚未填写完整"),
                _("地址、咨询电话和办公时间会显示在公众网站的“注册机构联系方式”中。"),
                "done" if published else "pending",
                _("已公开") if published else _("待填写"),
                icon="info",
                url=_url("orgs:public_info"),
                action_label=_("维护公开信息"),
            )
        )
    if role == Role.SECURITY_ADMIN:
        cards.append(
            TaskCard(
                _("安全策略设置尚未开放"),
                _("密码策略、会话时长等安全设置将在这里集中管理。"),
                *_NOT_OPEN,
                icon="shield",
                url=_url("accounts:staff_list"),
                action_label=_("查看人员账号"),
            )
        )
    if role == Role.AUDIT_ADMIN:
        url = _url("audit:event_list")
        cards.append(
            TaskCard(
                _("审计日志"),
                _("查阅登录、审核、导出和账号变更等操作记录（只读）。"),
                *(("active", _("可查阅")) if url else _NOT_OPEN),
                icon="journal",
                url=url,
                action_label=_("查阅审计日志"),
            )
        )
    return cards
