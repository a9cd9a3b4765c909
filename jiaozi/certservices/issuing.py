"""What an approved request does, inside the approval's transaction: the registry's
change (``certificate_correct`` / ``certificate_reissue`` / ``certificate_replace``,
the number kept), the earlier papers of this service revoked, a new QR token, and the
new PDF with every remark on its remarks page."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.links import verification_url
from jiaozi.certificates.models import Certificate, CertificateEvent, VerificationToken
from jiaozi.certificates.selectors import certificate_history
from jiaozi.certificates.services import (
    certificate_correct,
    certificate_paper_token_issue,
    certificate_reissue,
    certificate_replace,
)
from jiaozi.core import clock
from jiaozi.teachers.services import teacher_name_correct

from .models import ServiceRequest
from .paper import PaperData, Remark, render_paper
from .workflow import RequestKind

REMARK_KINDS = (
    CertificateEvent.Kind.CORRECTED,
    CertificateEvent.Kind.REISSUED,
    CertificateEvent.Kind.REPLACED,
)
SEX_TEXT = {"male": "男", "female": "女"}


def remark_text(request: ServiceRequest) -> str:
    """The sentence on the remarks page: what was done and why (the holder's reason)."""
    reason = " ".join(request.reason.split())[:120]
    if request.kind == RequestKind.REISSUE:
        notice = ""
        if request.loss_notice_date:
            notice = f"，遗失声明于{request.loss_notice_date:%Y年%m月%d日}刊登于{request.loss_notice_medium}"
        return f"原证书遗失{notice}，予以补发，原证书作废。事由：{reason}"
    if request.kind == RequestKind.REPLACEMENT:
        return f"原证书损毁，已收回，予以换发。事由：{reason}"
    fields = "、".join(
        f"{CORRECTION_LABEL.get(name, name)}由“{pair[0]}”更正为“{pair[1]}”"
        for name, pair in request.corrections.items()
    )
    return f"{fields}。事由：{reason}"


CORRECTION_LABEL = {"name": "姓名", "subject": "任教学科"}


def request_fulfil(*, request: ServiceRequest, actor: User | None) -> None:
    certificate = Certificate.objects.select_related("teacher").get(pk=request.certificate_id)
    authority = request.authority
    remark = remark_text(request)
    with transaction.atomic(savepoint=False):
        if request.kind == RequestKind.CORRECTION:
            values = {}
            extra = {}
            if "subject" in request.corrections:
                values["subject"] = request.corrections["subject"][1]
            if "name" in request.corrections:
                before = teacher_name_correct(
                    teacher=certificate.teacher,
                    name=request.corrections["name"][1],
                    actor=actor,
                    source=f"certservices.servicerequest:{request.pk}",
                )
                extra["holder_name"] = [before, certificate.teacher.name]
            certificate_correct(
                certificate=certificate,
                values=values,
                remark=remark,
                actor=actor,
                institution=authority,
                source=request,
                extra_changes=extra,
            )
        elif request.kind == RequestKind.REISSUE:
            certificate_reissue(
                certificate=certificate, remark=remark, actor=actor, institution=authority, source=request
            )
        else:
            certificate_replace(
                certificate=certificate, remark=remark, actor=actor, institution=authority, source=request
            )
        # The papers this service issued before no longer count: a lost or damaged
        # one must not keep confirming itself. Registration forms' tokens stay.
        earlier = list(
            ServiceRequest.objects.filter(certificate_id=certificate.pk, paper_token__isnull=False)
            .exclude(pk=request.pk)
            .values_list("paper_token_id", flat=True)
        )
        if earlier:
            VerificationToken.objects.filter(pk__in=earlier, revoked=False).update(
                revoked=True, revoked_at=clock.now(), revoked_reason="新证书已补发、换发或更正"
            )
        token = certificate_paper_token_issue(
            certificate=certificate, holder_name=certificate.teacher.name, institution=authority
        )
        remarks = [
            Remark(
                kind=event.kind,
                on=timezone.localtime(event.at).date(),
                text=str(event.changes.get("remark", ["", ""])[1]),
                institution=event.institution.name if event.institution else authority.name,
            )
            for event in certificate_history(certificate=certificate)
            if event.kind in REMARK_KINDS
        ]
        pdf = render_paper(
            PaperData(
                number=certificate.number,
                holder_name=certificate.teacher.name,
                sex=SEX_TEXT.get(certificate.teacher.sex, ""),
                qualification_type=certificate.qualification_type,
                subject=certificate.subject,
                authority_name=authority.name,
                issued_on=clock.today(),
                verify_url=verification_url(token.token),
                remarks=remarks,
            )
        )
        request.paper.save(f"{request.pk}-{token.pk}.pdf", ContentFile(pdf), save=False)
        request.paper_token = token
        ServiceRequest.objects.filter(pk=request.pk).update(paper=request.paper.name, paper_token=token)
        audit_record(
            kind=AuditKind.CERTIFICATE_PAPER_ISSUED,
            actor=actor,
            institution_id=authority.pk,
            obj=certificate,
            details={"request_id": request.pk, "kind": request.kind, "token_id": token.pk},
        )
