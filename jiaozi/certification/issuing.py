"""认定通过: the certificate number of §6 and the certificate in the registry, written in
the decision's transaction (a rollback leaves neither number nor serial behind)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import AuditItem, audit_record, audit_record_many
from jiaozi.certificates.services import certificate_issue
from jiaozi.core.errors import Conflict
from jiaozi.core.fields import field_lookup
from jiaozi.orgs.jurisdiction import province_code_of
from jiaozi.teachers.models import EmploymentType, PostType, Teacher
from jiaozi.teachers.models import Sex as TeacherSex

from .models import CertificationApplication
from .serials import authority_code_of, certificate_number, serial_next
from .windows import SHANGHAI


def certificate_grant(
    *,
    application: CertificationApplication,
    actor: User,
    at: dt.datetime,
    audit_items: Sequence[AuditItem] = (),
) -> str:
    """Give ``application`` (just moved to 认定通过) its certificate number: the next
    serial of its authority in the decision's year. Returns the number.

    Two row locks are held from where they are taken until the decision commits, and
    both are the authority's, so every approval there queues on them: the serial
    counter and the head of the authority's audit chain. Both come last
    (docs/decisions/0212): first everything that does not need the number (the
    authority's code, the holder's teacher record); then the serial, the writes that
    carry the number, and all the decision's audit rows at once (``audit_items``, the
    caller's, with the holder's and the certificate's) — one chain reservation."""
    year = at.astimezone(SHANGHAI).year
    code = authority_code_of(application.authority_id)
    province_code = province_code_of(application.authority)
    rows: list[AuditItem] = list(audit_items)
    teacher = holder_for(application=application, actor=actor, audit_items=rows)
    serial = serial_next(authority_id=application.authority_id, year=year)
    number = certificate_number(
        year=year,
        province_code=province_code,
        authority_code=code,
        qualification_type=application.qualification_type,
        sex=application.sex,
        serial=serial,
    )
    issued = certificate_issue(
        teacher=teacher,
        number=number,
        qualification_type=application.qualification_type,
        subject=application.subject,
        holder_name=application.name,
        actor=actor,
        institution=application.authority,
        source=application,
        audit_items=rows,
    )
    moved = CertificationApplication.objects.filter(pk=application.pk, certificate_number="").update(
        certificate_number=number, serial=serial, certificate=issued.certificate
    )
    if moved != 1:
        raise Conflict(_("该申请已颁发证书编号。"), code="already_issued")
    audit_record_many(kind=AuditKind.CERTIFICATION_DECIDED, actor=actor, items=rows)
    application.certificate_number, application.serial = number, serial
    application.certificate = issued.certificate
    return number


def holder_for(
    *, application: CertificationApplication, actor: User, audit_items: list[AuditItem] | None = None
) -> Teacher:
    """The registry names a certificate's holder by a teacher record. A holder already
    on record (same resident ID) keeps theirs; a new one is filed under the certifying
    authority until a school takes them on (its import matches by resident ID)
    (docs/decisions/0208). The new record's audit row is appended to ``audit_items``
    when given (the caller writes it), else written here."""
    lookup = field_lookup(Teacher, "resident_id", application.resident_id)
    teacher = Teacher.objects.filter(**lookup).first()
    if teacher is not None:
        return teacher
    teacher = Teacher.objects.create(
        resident_id=application.resident_id,
        name=application.name,
        sex=TeacherSex.MALE if application.sex == "1" else TeacherSex.FEMALE,
        phone=application.phone,
        school=application.authority,
        post_type=PostType.OTHER,
        employment_type=EmploymentType.OTHER,
    )
    details = {
        "source": f"certification.certificationapplication:{application.pk}",
        "filed_under": application.authority_id,
    }
    if audit_items is not None:
        audit_items.append(AuditItem(obj=teacher, kind=AuditKind.TEACHER_CREATED, details=details))
    else:
        audit_record(kind=AuditKind.TEACHER_CREATED, actor=actor, obj=teacher, details=details)
    return teacher
