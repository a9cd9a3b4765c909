"""The names of the staff roles (§1, 三员分立).

The names are vocabulary every layer speaks: a permission below ``accounts`` (the audit
log reader, the institution admins of ``orgs``) names a role without depending on the
accounts app. What a role may do, its rank and which institutions may hold it stay in
``jiaozi.accounts.roles``. See docs/decisions/0147-role-names-and-access-hooks.md."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SCHOOL_REVIEWER = "school_reviewer", _("学校审查员")
    REGISTRATION_REVIEWER = "registration_reviewer", _("注册审核员")
    CITY_RECHECKER = "city_rechecker", _("市级复核员")
    PROVINCE_REVIEWER = "province_reviewer", _("省级终审员")
    CONFIRMATION_USER = "confirmation_user", _("确认用户")
    CERTIFYING_OFFICER = "certifying_officer", _("认定审核员")
    INSTITUTION_ADMIN = "institution_admin", _("机构管理员")
    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
