"""认定通过: the certificate number of §6 and the certificate in the registry, written in
the decision's transaction (a rollback leaves neither number nor serial behind)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from jiaozi.accounts.models import User
from jiaozi.core.errors import Conflict
from jiaozi.orgs.jurisdiction import province_code_of

from .models import CertificationApplication
from .serials import authority_code_of, certificate_number, serial_next
from .windows import SHANGHAI


def certificate_grant(*, application: CertificationApplication, actor: User, at: dt.datetime) -> str:
    """Give ``application`` (just moved to 认定通过) its certificate number: the next
    serial of its authority in the decision's year. Returns the number."""
    year = at.astimezone(SHANGHAI).year
    code = authority_code_of(application.authority_id)
    serial = serial_next(authority_id=application.authority_id, year=year)
    number = certificate_number(
        year=year,
        province_code=province_code_of(application.authority),
        authority_code=code,
        qualification_type=application.qualification_type,
        sex=application.sex,
        serial=serial,
    )
    moved = CertificationApplication.objects.filter(pk=application.pk, certificate_number="").update(
        certificate_number=number, serial=serial
    )
    if moved != 1:
        raise Conflict(_("该申请已颁发证书编号。"), code="already_issued")
    application.certificate_number, application.serial = number, serial
    return number
