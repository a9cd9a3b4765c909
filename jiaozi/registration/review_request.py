"""申请复核 from the applicant's page (§5): the reasons and, optionally, one piece of
evidence in one request. The evidence is stored as a ``review_evidence`` material and
the REQUEST_REVIEW transition taken in the same transaction, so a refused request
(outside the period, a 注册合格 conclusion, a stale page) leaves no evidence behind.
The API takes the same two steps as two calls (upload, then request-review)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from jiaozi.accounts.models import User

from .applications.materials import material_upload
from .models import Application, Material
from .transitions import application_transition
from .workflow import Action, Status

REVIEWABLE = frozenset({"deferred", "unqualified"})
# Where a request can be made: the notice has ended and the level above has not yet
# finished (the city's recheck, or the province's final review without a city step).
OPEN_STATUSES = frozenset({Status.CITY_RECHECK, Status.PROVINCE_REVIEW})


def review_request_deadline(application: Application) -> dt.datetime | None:
    """The end of the period for a review request, or None when the application's
    conclusion cannot be contested (not 暂缓注册 / 注册不合格, no ended notice)."""
    notice = application.notice
    if application.conclusion not in REVIEWABLE or notice is None:
        return None
    return notice.ends_at + dt.timedelta(days=application.campaign.review_request_days)


def review_request(
    *, applicant: User, application_id: Any, version: int, reason: str, evidence: Any = None
) -> Application:
    stored: list[Material] = []
    try:
        with transaction.atomic():
            if evidence is not None:
                stored.append(
                    material_upload(
                        applicant=applicant,
                        application_id=application_id,
                        kind=Material.Kind.REVIEW_EVIDENCE,
                        file=evidence,
                    )
                )
            return application_transition(
                actor=applicant,
                application_id=application_id,
                action=Action.REQUEST_REVIEW,
                version=version,
                reason=reason,
            )
    except BaseException:
        for material in stored:
            material.file.delete(save=False)
        raise
