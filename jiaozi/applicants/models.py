"""The applicant's confirmed link to their teacher record.

The resident ID alone finds the teacher (both are stored with the same blind index),
but an account holder proves it is them the first time by typing the number of one of
that teacher's certificates — something printed on a paper they hold and that the
sign-up form never asked for. Until then the applicant sees no teacher data and cannot
apply (docs/decisions/0091-teacher-link-by-certificate-number.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TeacherLink(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="teacher_link",
        verbose_name=_("申请人账号"),
    )
    # One account per teacher: the resident ID is unique on both sides already; this
    # says so in the schema too.
    teacher = models.OneToOneField(
        "teachers.Teacher", on_delete=models.PROTECT, related_name="applicant_link", verbose_name=_("教师")
    )
    # The certificate whose number confirmed the link (kept for the audit trail).
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="+", verbose_name=_("核验证书")
    )
    linked_at = models.DateTimeField(_("关联时间"))

    class Meta:
        verbose_name = _("教师信息关联")
        verbose_name_plural = _("教师信息关联")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.teacher_id}"
