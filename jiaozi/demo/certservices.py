"""The demo's certificate services (§7), made through the real services at the times
people would have acted, so a presenter can walk each one on the demo date (2024-10-15):

- 林书瑶 (``rd_applicant01``, certified 2024-10-14 at 庐阳区) asked to correct her
  certificate's subject; the request waits in ``ly_certifier``'s queue;
- 高志远 (``rd_applicant02``) lost his certificate; ``ly_certifier`` reissued it with
  the same number and the remark on the new paper, which he can download;
- 林书瑶 shared her certificate's verification through a 30-day link (its address is
  printed once by ``seed_demo``: the token is not kept);
- ``ly_reviewer`` asked 庐阳区's certifying authority whether an imported certificate of
  one of its teachers is authentic; the check waits for ``ly_certifier``'s answer (and,
  until then, holds that certificate's registration).

The holders confirm their teacher record with their certificate number, as they would
on their own page. Idempotent: nothing is done once a request exists."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from PIL import Image

from jiaozi.accounts.models import User
from jiaozi.applicants.services import teacher_link
from jiaozi.certificates.models import Certificate, CertificateEvent, CertificateStatus
from jiaozi.certification.models import CertificationApplication
from jiaozi.certservices import services, sharing
from jiaozi.certservices.authenticity import authenticity_check_open
from jiaozi.certservices.authority import issuing_authority
from jiaozi.certservices.models import AuthenticityCheck, RequestMaterial, ServiceRequest
from jiaozi.certservices.workflow import RequestAction, RequestKind
from jiaozi.core import clock
from jiaozi.registration.models import Application
from jiaozi.teachers.models import Teacher

from .certification import USERNAME

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SUBMITTED = dt.datetime(2024, 10, 15, 8, 40, tzinfo=SHANGHAI)
APPROVED = dt.datetime(2024, 10, 15, 9, 30, tzinfo=SHANGHAI)
CORRECTION_AT = dt.datetime(2024, 10, 15, 9, 50, tzinfo=SHANGHAI)
SHARED_AT = dt.datetime(2024, 10, 15, 10, 0, tzinfo=SHANGHAI)
CHECK_AT = dt.datetime(2024, 10, 15, 10, 20, tzinfo=SHANGHAI)
REISSUE_REMARK = "原证书遗失，已于2024年10月12日在《安徽日报》刊登遗失声明，予以补发。"
CHECK_REASON = "申请人所持证书为纸质导入记录，印章与本地存档样式不一致，请发证机关核实。"


def _scan(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 420), (236, 238, 242)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def present() -> bool:
    return ServiceRequest.objects.exists()


def checks_of(teachers: QuerySet[Teacher]) -> QuerySet[AuthenticityCheck]:
    """The authenticity checks of ``teachers``' certificates (``seed_demo --reset``)."""
    return AuthenticityCheck.objects.filter(certificate__teacher__in=teachers)


def _holder(n: int) -> tuple[User, Certificate] | None:
    user = User.objects.filter(username=USERNAME.format(n)).first()
    if user is None:
        return None
    number = (
        CertificationApplication.objects.filter(applicant=user)
        .exclude(certificate_number="")
        .values_list("certificate_number", flat=True)
        .first()
    )
    certificate = Certificate.objects.filter(number=number).first() if number else None
    if certificate is None:
        return None
    teacher_link(user=user, certificate_number=certificate.number)
    return user, certificate


def _imported_certificate() -> Certificate | None:
    """A valid certificate of a 庐阳区 teacher that this system did not issue and whose
    teacher has no registration application (the open check must not stall the
    registration demo)."""
    applied = Application.objects.values("teacher_id")
    candidates = (
        Certificate.objects.filter(status=CertificateStatus.VALID, teacher__school__parent__code="340103")
        .exclude(teacher_id__in=applied)
        .exclude(events__kind=CertificateEvent.Kind.ISSUED)
        .select_related("teacher")
        .order_by("number")[:200]
    )
    for certificate in candidates:
        authority = issuing_authority(certificate.number)
        if authority is not None and authority.code == "340103":
            return certificate
    return None


def certservices_seed() -> dict[str, object]:
    """Create the demo's requests, share link and authenticity check; returns what was
    made (with the share link's address, shown once)."""
    if present():
        if not AuthenticityCheck.objects.exists():  # after --reset: the check again
            return _check_seed({})
        return {}
    first, second = _holder(1), _holder(2)
    officer = User.objects.get(username="ly_certifier")
    made: dict[str, object] = {"requests": 0, "share_url": "", "checks": 0}
    if second is not None:
        user, certificate = second
        with clock.travel(SUBMITTED):
            reissue = services.request_submit(
                applicant=user,
                certificate_id=certificate.pk,
                kind=RequestKind.REISSUE,
                reason="2024年10月搬家时证书遗失，申请补发。",
                loss_notice_medium="安徽日报",
                loss_notice_date=dt.date(2024, 10, 12),
                files=[(RequestMaterial.Kind.LOSS_NOTICE, _scan("遗失声明.png"))],
            )
        with clock.travel(APPROVED):
            services.request_transition(
                actor=officer,
                request_id=reissue.pk,
                action=RequestAction.APPROVE,
                version=reissue.version,
                reason=REISSUE_REMARK,
            )
        made["requests"] = int(str(made["requests"])) + 1
    if first is not None:
        user, certificate = first
        with clock.travel(CORRECTION_AT):
            services.request_submit(
                applicant=user,
                certificate_id=certificate.pk,
                kind=RequestKind.CORRECTION,
                reason="任教学科登记为“语文”，实际取得的是小学数学学科，附毕业证书及考试合格证明。",
                corrections={"subject": "数学"},
                files=[(RequestMaterial.Kind.EVIDENCE, _scan("考试合格证明.png"))],
            )
        made["requests"] = int(str(made["requests"])) + 1
        with clock.travel(SHARED_AT):
            created = sharing.share_link_create(holder=user, certificate_id=certificate.pk, days=30)
        made["share_url"] = created.url
    return _check_seed(made)


def _check_seed(made: dict[str, object]) -> dict[str, object]:
    reviewer = User.objects.get(username="ly_reviewer")
    imported = _imported_certificate()
    made.setdefault("requests", 0)
    made.setdefault("share_url", "")
    made["checks"] = 0
    if imported is not None:
        with clock.travel(CHECK_AT):
            authenticity_check_open(
                actor=reviewer,
                certificate_id=imported.pk,
                holder_name=imported.teacher.name,
                reason=CHECK_REASON,
            )
        made["checks"] = 1
    return made
