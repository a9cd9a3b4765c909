"""The application as the API answers it (lists, detail), shared by the applicant's
operations and the reviewers' (a transition answers the application as it is now)."""

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from jiaozi.accounts.models import User
from jiaozi.certificates.models import Conclusion
from jiaozi.core.masking import mask_phone, mask_resident_id

from .. import transitions
from ..applications import materials
from ..applications.selectors import application_get_visible_to
from ..labels import DUE_LABELS, SUGGESTION_LABELS, reason_labels
from ..models import Application, Material
from ..workflow import Status as AppStatus
from .schemas import AppInstitutionOut, choice_label, institution_out


class ApplicationRowFields(Schema):
    """One application as lists show it (the queue's columns)."""

    id: int
    version: int
    status: str = Field(description="workflow 状态代码，见 docs/workflow.md")
    status_label: str
    certificate_number: str
    teacher_name: str
    resident_id_masked: str = Field(description="身份证号（脱敏）")
    school_id: int
    school_name: str
    registration_authority_id: int
    city_bureau_id: int | None
    province_bureau_id: int
    due: str
    due_label: str
    suggestion: str
    suggestion_label: str
    suggestion_reasons: list[str]
    conclusion: str
    conclusion_label: str
    submitted_at: dt.datetime | None
    step_deadline: dt.datetime | None
    updated_at: dt.datetime


class ApplicationRowOut(ApplicationRowFields):
    """A list row, resolved from the application (``application_queue`` loads the
    teacher, certificate and school with it)."""

    @staticmethod
    def resolve_status_label(obj: Application) -> str:
        return choice_label(AppStatus, obj.status)

    @staticmethod
    def resolve_certificate_number(obj: Application) -> str:
        return obj.certificate.number

    @staticmethod
    def resolve_teacher_name(obj: Application) -> str:
        return obj.teacher.name

    @staticmethod
    def resolve_resident_id_masked(obj: Application) -> str:
        return mask_resident_id(obj.teacher.resident_id)

    @staticmethod
    def resolve_school_name(obj: Application) -> str:
        return obj.school.name

    @staticmethod
    def resolve_due_label(obj: Application) -> str:
        return str(DUE_LABELS.get(obj.due, ""))

    @staticmethod
    def resolve_suggestion_label(obj: Application) -> str:
        return str(SUGGESTION_LABELS.get(obj.suggestion, ""))

    @staticmethod
    def resolve_suggestion_reasons(obj: Application) -> list[str]:
        return [str(code) for code in obj.suggestion_reasons or []]

    @staticmethod
    def resolve_conclusion_label(obj: Application) -> str:
        return choice_label(Conclusion, obj.conclusion)


class MaterialOut(Schema):
    id: int
    kind: str
    kind_label: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Material) -> str:
        return choice_label(Material.Kind, obj.kind)


class ApplicationOut(ApplicationRowFields):
    """One application with everything its detail page shows (personal data masked)."""

    campaign_id: int
    campaign_name: str
    certificate_id: int
    qualification_type: str
    subject: str
    school: AppInstitutionOut
    registration_authority: AppInstitutionOut
    city_bureau: AppInstitutionOut | None
    province_bureau: AppInstitutionOut
    phone_masked: str = Field(description="联系电话（脱敏）")
    address: str
    post: str
    work_history: str
    notes: str
    reason_labels: list[str]
    conclusion_reason: str
    override_reason: str
    notice_id: int | None
    completed_at: dt.datetime | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    materials: list[MaterialOut]
    actions: list[str] = Field(description="调用者此刻可以办理的操作（workflow Action 代码）")
    form_pdf_available: bool = Field(description="已办结备案，可下载盖章的定期注册申请表")


def application_out(application: Application, user: User) -> dict[str, Any]:
    """The detail answer: the row's fields plus the chain, the form, the materials and
    what the caller may do now."""
    row = ApplicationRowOut.from_orm(application).model_dump()
    return row | {
        "campaign_id": application.campaign_id,
        "campaign_name": application.campaign.name,
        "certificate_id": application.certificate_id,
        "qualification_type": application.certificate.qualification_type,
        "subject": application.certificate.subject,
        "school": institution_out(application.school),
        "registration_authority": institution_out(application.registration_authority),
        "city_bureau": institution_out(application.city_bureau),
        "province_bureau": institution_out(application.province_bureau),
        "phone_masked": mask_phone(application.phone),
        "address": application.address,
        "post": application.post,
        "work_history": application.work_history,
        "notes": application.notes,
        "reason_labels": reason_labels(list(application.suggestion_reasons or [])),
        "conclusion_reason": application.conclusion_reason,
        "override_reason": application.override_reason,
        "notice_id": application.notice_id,
        "completed_at": application.completed_at,
        "valid_from": application.valid_from,
        "valid_to": application.valid_to,
        # The models themselves: the answer's schema resolves ``kind_label`` from them
        # (a dumped dict has no ``kind`` attribute to resolve it from).
        "materials": materials.material_list_for(application=application),
        "actions": transitions.actions_for(user=user, application=application),
        "form_pdf_available": application.status == AppStatus.COMPLETED,
    }


def application_reload(user: User, application: Application) -> Application:
    """The application as the caller sees it now, with its chain loaded."""
    return application_get_visible_to(user=user, pk=application.pk)
