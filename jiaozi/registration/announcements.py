"""What the applicant is told about each action, and the audit kind each action writes:
registration's words for the side effects of its workflow (see ``transitions.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from jiaozi.audit.models import AuditKind
from jiaozi.notifications.services import INBOX

from .workflow import Action

AUDIT_KIND: dict[str, AuditKind] = {
    Action.SUBMIT: AuditKind.APPLICATION_SUBMITTED,
    Action.RESUBMIT: AuditKind.APPLICATION_RESUBMITTED,
    Action.WITHDRAW: AuditKind.APPLICATION_WITHDRAWN,
    Action.SCHOOL_APPROVE: AuditKind.APPLICATION_SCHOOL_APPROVED,
    Action.CONCLUDE: AuditKind.APPLICATION_CONCLUDED,
    Action.REVISE: AuditKind.APPLICATION_CONCLUSION_REVISED,
    Action.PUBLISH_NOTICE: AuditKind.APPLICATION_NOTICE_PUBLISHED,
    Action.OBJECT: AuditKind.APPLICATION_OBJECTED,
    Action.UPHOLD_OBJECTION: AuditKind.APPLICATION_OBJECTION_UPHELD,
    Action.DISMISS_OBJECTION: AuditKind.APPLICATION_OBJECTION_DISMISSED,
    Action.NOTICE_END: AuditKind.APPLICATION_NOTICE_ENDED,
    Action.CITY_APPROVE: AuditKind.APPLICATION_CITY_APPROVED,
    Action.PROVINCE_APPROVE: AuditKind.APPLICATION_PROVINCE_APPROVED,
    Action.RETURN_TO_APPLICANT: AuditKind.APPLICATION_RETURNED_TO_APPLICANT,
    Action.RETURN_DOWN: AuditKind.APPLICATION_RETURNED_DOWN,
    Action.RECOMPUTE: AuditKind.APPLICATION_SUGGESTION_RECOMPUTED,
    Action.REQUEST_REVIEW: AuditKind.APPLICATION_REVIEW_REQUESTED,
    Action.UPHOLD_REVIEW: AuditKind.APPLICATION_REVIEW_UPHELD,
    Action.SEND_BACK_REVIEW: AuditKind.APPLICATION_REVIEW_SENT_BACK,
    Action.REVOKE: AuditKind.REGISTRATION_REVOKED,
}

SMS = "sms"


@dataclass(frozen=True)
class Announcement:
    """What the applicant is told about an action: inbox always, SMS where they must act
    or the outcome is final. Bodies never carry the reviewer's free text (it may be
    long or personal and SMS goes through a gateway): the page shows the opinion."""

    kind: str
    title: Any
    body: Any
    channels: tuple[str, ...] = (INBOX,)


# CONCLUDE and REVISE are the registration authority's deliberation before anything is
# published; the applicant hears the conclusion when it goes on notice.
ANNOUNCEMENTS: dict[str, Announcement] = {
    Action.SUBMIT: Announcement(
        "registration.submitted",
        gettext_lazy("定期注册申请已提交"),
        gettext_lazy("您的定期注册申请已提交，等待学校审查。"),
    ),
    Action.RESUBMIT: Announcement(
        "registration.resubmitted",
        gettext_lazy("定期注册申请已重新提交"),
        gettext_lazy("您的定期注册申请已重新提交，等待学校审查。"),
    ),
    Action.WITHDRAW: Announcement(
        "registration.withdrawn",
        gettext_lazy("定期注册申请已撤回"),
        gettext_lazy("您已撤回定期注册申请。如需注册，请在申请期内重新申请。"),
    ),
    Action.SCHOOL_APPROVE: Announcement(
        "registration.school_approved",
        gettext_lazy("学校审查已通过"),
        gettext_lazy("学校已审查通过您的定期注册申请，并报送注册机构审核。"),
    ),
    Action.PUBLISH_NOTICE: Announcement(
        "registration.noticed",
        gettext_lazy("注册结论已公示"),
        gettext_lazy("您的定期注册结论已进入公示期，请登录系统查看。"),
        (INBOX, SMS),
    ),
    Action.OBJECT: Announcement(
        "registration.objected",
        gettext_lazy("公示期间收到异议"),
        gettext_lazy("您的定期注册公示收到异议，注册机构核实处理后继续办理。"),
    ),
    Action.UPHOLD_OBJECTION: Announcement(
        "registration.objection_upheld",
        gettext_lazy("公示异议成立"),
        gettext_lazy("公示异议经核实成立，注册机构将重新作出注册结论并公示，请登录系统查看。"),
        (INBOX, SMS),
    ),
    Action.DISMISS_OBJECTION: Announcement(
        "registration.objection_dismissed",
        gettext_lazy("公示异议不成立"),
        gettext_lazy("公示异议经核实不成立，您的定期注册申请继续公示。"),
    ),
    Action.NOTICE_END: Announcement(
        "registration.notice_ended",
        gettext_lazy("公示期满"),
        gettext_lazy("您的定期注册公示期已满，申请已报送上级复核。"),
    ),
    Action.CITY_APPROVE: Announcement(
        "registration.city_approved",
        gettext_lazy("市级复核已通过"),
        gettext_lazy("您的定期注册申请已通过市级复核，等待省级终审。"),
    ),
    Action.PROVINCE_APPROVE: Announcement(
        "registration.completed",
        gettext_lazy("定期注册已完成"),
        gettext_lazy("您的定期注册已通过省级终审并备案，可登录系统查看结论、下载申请表。"),
        (INBOX, SMS),
    ),
    Action.REQUEST_REVIEW: Announcement(
        "registration.review_requested",
        gettext_lazy("复核申请已提交"),
        gettext_lazy("您的注册结论复核申请已提交，由注册机构的上一级决定。"),
    ),
    Action.UPHOLD_REVIEW: Announcement(
        "registration.review_upheld",
        gettext_lazy("复核维持原结论"),
        gettext_lazy("经复核，维持原注册结论，申请继续办理。请登录系统查看复核意见。"),
        (INBOX, SMS),
    ),
    Action.SEND_BACK_REVIEW: Announcement(
        "registration.review_sent_back",
        gettext_lazy("复核发回重新作出结论"),
        gettext_lazy("经复核，注册结论发回注册机构重新作出，新结论将重新公示。请登录系统查看复核意见。"),
        (INBOX, SMS),
    ),
    Action.REVOKE: Announcement(
        "registration.revoked",
        gettext_lazy("定期注册已被撤销"),
        gettext_lazy("经省级抽查核实，您的定期注册已被撤销，撤销原因请登录系统查看。"),
        (INBOX, SMS),
    ),
    Action.RETURN_TO_APPLICANT: Announcement(
        "registration.returned",
        gettext_lazy("定期注册申请被退回"),
        gettext_lazy("您的定期注册申请被退回，请登录系统查看退回意见，修改后在申请期内重新提交。"),
        (INBOX, SMS),
    ),
    Action.RETURN_DOWN: Announcement(
        "registration.returned_down",
        gettext_lazy("申请退回重新审核"),
        gettext_lazy("您的定期注册申请已退回下一级重新审核，无需您操作。"),
    ),
}
