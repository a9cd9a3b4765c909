"""Registration's cards on the staff dashboard: for a reviewer, the workload — how many
applications wait in their queue (and how many are overdue), for a registration
reviewer also the conclusions waiting for their notice and the open objections, each
linking to the page where the work is done; for the others, the active campaign and
whether the user's window is open. Registered from ``RegistrationConfig.ready()``
(``hooks``). Issue 9, item 12."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiaozi.accounts.roles import Role
from jiaozi.core import clock
from jiaozi.core.ui.cards import NOT_OPEN, TaskCard, url_or_empty

from .campaigns.selectors import campaign_active_for
from .campaigns.windows import format_window, window_is_open, window_label
from .models import Application, Objection, WindowAction
from .permissions import AT_RISK_ROLES
from .review.selectors import QUEUE_ROLES, queue_counts
from .workflow import Status

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

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


def registration_cards(user: User) -> list[TaskCard]:
    role = getattr(user, "role", "")
    if role not in _REGISTRATION_TEXT:
        return []
    if (
        role in QUEUE_ROLES
        and getattr(user, "institution_id", None) is not None
        and campaign_active_for(user=user) is not None
    ):
        cards = _workload_cards(user, role)
    else:
        cards = [_registration_card(user, role)]
    if role in AT_RISK_ROLES:
        cards.append(_at_risk_card(user))
    return cards


def _at_risk_card(user: User) -> TaskCard:
    """How many applications of the user's jurisdiction cannot finish inside their
    level's window (§5 deadlines cascade)."""
    from .applications.deadlines import applications_at_risk
    from .applications.selectors import application_list_visible_to

    campaign = campaign_active_for(user=user)
    rows = applications_at_risk(application_list_visible_to(user=user), campaign=campaign) if campaign else []
    url = url_or_empty("registration:at_risk")
    if rows:
        return TaskCard(
            _("办理时限预警"),
            _("%(count)d份申请无法在所在环节的办理时间内完成，请尽快办理或申请延长。") % {"count": len(rows)},
            "overdue",
            _("需处理"),
            icon="clock",
            url=url,
            action_label=_("查看预警"),
        )
    return TaskCard(
        _("办理时限预警"),
        _("本辖区没有无法按时完成的申请。"),
        "open",
        _("正常"),
        icon="clock",
        url=url,
        action_label=_("查看预警"),
    )


def _window_status(user: User, role: str) -> tuple[str, str | Promise, str]:
    """(status, label, "X时间：dates。") of the role's window in the active campaign."""
    campaign = campaign_active_for(user=user)
    if campaign is None:
        return (*NOT_OPEN, "")
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
    return (*status, text)


def _workload_cards(user: User, role: str) -> list[TaskCard]:
    """The reviewer's queue, counted, and for a registration reviewer the notice work."""
    counts = queue_counts(user=user)
    status, status_label, window_text = _window_status(user, role)
    if counts.todo:
        text = ngettext(
            "%(n)d 件定期注册申请等待您办理",
            "%(n)d 件定期注册申请等待您办理",
            counts.todo,
        ) % {"n": counts.todo}
        if counts.overdue:
            text += _("，其中 %(n)d 件已超过本环节办理期限") % {"n": counts.overdue}
        text += "。"
    else:
        text = str(_("目前没有等待您办理的定期注册申请。"))
    cards = [
        TaskCard(
            _("待办定期注册申请：%(n)d 件") % {"n": counts.todo},
            f"{text}{window_text}",
            status,
            status_label,
            icon="inbox",
            url=url_or_empty("registration:queue"),
            action_label=_("进入审核队列"),
        )
    ]
    if role == Role.REGISTRATION_REVIEWER:
        waiting = Application.objects.filter(
            registration_authority_id=user.institution_id, status=Status.CONCLUDED
        ).count()
        objections = Objection.objects.filter(
            application__registration_authority_id=user.institution_id, state=Objection.State.OPEN
        ).count()
        if waiting:
            cards.append(
                TaskCard(
                    _("待公示：%(n)d 件") % {"n": waiting},
                    _("已作出注册结论的申请须经公示后报送上级。"),
                    "open",
                    _("待办"),
                    icon="megaphone",
                    url=url_or_empty("registration:notice_publish"),
                    action_label=_("发布公示"),
                )
            )
        if objections:
            cards.append(
                TaskCard(
                    _("待处理的公示异议：%(n)d 件") % {"n": objections},
                    _("有异议的申请暂停办理，请核实后作出处理。"),
                    "open",
                    _("待办"),
                    icon="notice",
                    url=url_or_empty("registration:objection_list"),
                    action_label=_("处理异议"),
                )
            )
    return cards


def _registration_card(user: User, role: str) -> TaskCard:
    url = url_or_empty("registration:campaign_list")
    campaign = campaign_active_for(user=user)
    if campaign is None:
        return TaskCard(
            _("定期注册工作尚未开放"),
            _REGISTRATION_TEXT[role],
            *NOT_OPEN,
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
