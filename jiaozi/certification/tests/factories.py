"""Builders for certification tests: applicants with valid resident IDs, a photo, drafts
at the 庐阳区 bureau with its confirmation point, and ``drive`` to any status through the
real transitions."""

from __future__ import annotations

import datetime as dt
import io
from itertools import count
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiaozi.accounts.models import User
from jiaozi.accounts.tests.factories import make_applicant, make_staff
from jiaozi.certification.choices import Education, Health, Mandarin, Sex
from jiaozi.certification.models import CertificationApplication, CertificationBatch
from jiaozi.certification.transitions import certification_transition
from jiaozi.certification.windows import SHANGHAI
from jiaozi.certification.workflow import Action, Conclusion, Status
from jiaozi.core import clock, idcard
from jiaozi.core.roles import Role
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import LUYANG, bureau, confirmation_point

# Inside the online window of the Anhui 2024 second-half batch; after it, before the
# confirmation deadline; after that.
IN_APPLY = dt.datetime(2024, 9, 20, 10, tzinfo=SHANGHAI)
IN_CONFIRM = dt.datetime(2024, 10, 8, 10, tzinfo=SHANGHAI)
AFTER_CONFIRM = dt.datetime(2024, 10, 21, 10, tzinfo=SHANGHAI)
BEFORE_APPLY = dt.datetime(2024, 9, 13, 10, tzinfo=SHANGHAI)

_n = count(1)


def batch() -> CertificationBatch:
    return CertificationBatch.objects.get(province_code="340000", year=2024)


def resident_id(*, birth: dt.date = dt.date(1998, 5, 6), sex: str = Sex.FEMALE, area: str = "340103") -> str:
    n = next(_n) % 50
    # The 17th digit: odd for men, even for women.
    seq = f"{n:02d}{(1 if sex == Sex.MALE else 2)}"
    return idcard.make(f"{area}{birth:%Y%m%d}{seq}")


def applicant(**kw: Any) -> User:
    rid = kw.pop("resident_id", None) or resident_id(
        birth=kw.pop("birth", dt.date(1998, 5, 6)), sex=kw.pop("sex", Sex.FEMALE)
    )
    return make_applicant(resident_id=rid, real_name=kw.pop("real_name", "王小雨"), **kw)


def photo_bytes(size: tuple[int, int] = (300, 420), fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 210, 230)).save(buf, fmt)
    return buf.getvalue()


def photo_upload(
    size: tuple[int, int] = (300, 420), fmt: str = "JPEG", name: str = "me.jpg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo_bytes(size, fmt), content_type="image/jpeg")


def point(authority_code: str = LUYANG, code: str = "340103QR01") -> Institution:
    return confirmation_point(code, authority_code, name="庐阳区确认点")


def certifier(authority: Institution | None = None) -> User:
    return make_staff(role=Role.CERTIFYING_OFFICER, institution=authority or bureau(LUYANG))


def confirmer(at: Institution | None = None) -> User:
    return make_staff(role=Role.CONFIRMATION_USER, institution=at or point())


def draft(user: User | None = None, **fields: Any) -> CertificationApplication:
    """A complete, eligible draft (type 2 小学语文 at 庐阳区), written directly."""
    user = user or applicant()
    rid = idcard.normalise(user.resident_id or "")
    values: dict[str, Any] = {
        "batch": batch(),
        "applicant": user,
        "year": 2024,
        "qualification_type": "2",
        "subject": "语文",
        "authority": bureau(LUYANG),
        "confirmation_point": point(),
        "name": user.real_name,
        "resident_id": rid,
        "sex": Sex.MALE if idcard.sex_of(rid) == "male" else Sex.FEMALE,
        "birth_date": idcard.birth_date_of(rid),
        "education": Education.BACHELOR,
        "mandarin": Mandarin.L2A,
        "ntce_type": "2",
        "ntce_number": "NTCE2023000001",
        "ntce_date": dt.date(2023, 6, 1),
        "commitment": True,
        "photo": "certification/photos/test.jpg",
    }
    values.update(fields)
    return CertificationApplication.objects.create(**values)


def act(app: CertificationApplication, user: User, action: str, **kw: Any) -> CertificationApplication:
    app.refresh_from_db()
    return certification_transition(
        actor=user, application_id=app.pk, action=action, version=app.version, **kw
    )


def drive(app: CertificationApplication, *, to: str, confirm_user: User | None = None,
          officer: User | None = None) -> CertificationApplication:  # fmt: skip
    """Move ``app`` to ``to`` through the real transitions (the clock set for each)."""
    applicant_user = app.applicant
    if to == Status.DRAFT:
        return app
    with clock.travel(IN_APPLY):
        app = act(app, applicant_user, Action.SUBMIT)
    if to == Status.CONFIRMATION:
        return app
    if to == Status.WITHDRAWN:
        with clock.travel(IN_APPLY):
            return act(app, applicant_user, Action.WITHDRAW)
    confirm_user = confirm_user or confirmer(app.confirmation_point)
    with clock.travel(IN_CONFIRM):
        if to == Status.CONFIRM_REFUSED:
            return act(app, confirm_user, Action.REFUSE_CONFIRMATION, reason_code="materials_missing")
        app = act(app, confirm_user, Action.CONFIRM)
    if to == Status.DECISION:
        return app
    officer = officer or certifier(app.authority)
    CertificationApplication.objects.filter(pk=app.pk).update(health=Health.FIT)
    with clock.travel(AFTER_CONFIRM):
        if to == Status.REFUSED:
            return act(
                app,
                officer,
                Action.DECIDE,
                conclusion=Conclusion.REFUSED,
                reason_code="other",
                reason="不符合",
            )
        return act(app, officer, Action.DECIDE, conclusion=Conclusion.CERTIFIED)


def matrix_application(owner: User, authority: Institution, point_code: str) -> CertificationApplication:
    """For the authorization matrix: a submitted application of ``owner`` at
    ``authority`` and its confirmation point ``point_code``."""
    from jiaozi.certification.reference import ensure_anhui

    ensure_anhui()
    from django.core.files.base import ContentFile

    at = confirmation_point(point_code, authority.code, name=f"{authority.name}确认点")
    app = draft(owner, authority=authority, confirmation_point=at, status=Status.CONFIRMATION)
    app.photo.save("p.jpg", ContentFile(photo_bytes()), save=True)
    return app
