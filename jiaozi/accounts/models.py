"""Accounts: staff (filed, bound to one institution, one role) and applicants (real-name
teachers and certification applicants). One table, two kinds, so sign-in, lockout and
audit work the same for both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaozi.core.fields import ClockDateTimeField, EncryptedField

from .roles import Role

if TYPE_CHECKING:
    pass


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_staff", True)
        extra.setdefault("kind", User.Kind.STAFF)
        return self.create_user(username, password, **extra)


def active_staff_state(
    *, authenticated: bool, is_active: bool, kind: str | None, institution_id: int | None
) -> bool:
    """Signed in, enabled, staff and bound to an institution: the precondition of every
    staff permission, the one place it is written (``User`` and ``accounts.actor.Actor``
    ask it)."""
    return authenticated and is_active and kind == User.Kind.STAFF and institution_id is not None


class User(AbstractBaseUser, PermissionsMixin):
    class Kind(models.TextChoices):
        STAFF = "staff", _("工作人员")
        APPLICANT = "applicant", _("申请人")

    username = models.CharField(_("用户名"), max_length=64, unique=True)
    kind = models.CharField(_("账号类型"), max_length=16, choices=Kind.choices, default=Kind.APPLICANT)
    real_name = models.CharField(_("真实姓名"), max_length=64)
    phone = EncryptedField(_("手机号"), index="phone", blank=True, default="")
    # Applicants: one account per person (the partial unique constraint below). Staff:
    # required when filing (the person behind the account, for conflict of interest and
    # 三员分立); one person may have a staff account and an applicant account.
    resident_id = EncryptedField(_("身份证号"), index="resident_id", null=True, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)

    # Staff only.
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    institution = models.ForeignKey(
        "orgs.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属机构"),
    )
    post = models.CharField(_("职务"), max_length=64, blank=True)
    filed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("备案人")
    )
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("最近确认时间"), null=True, blank=True)
    # Set when a disabled account is enabled again, so the inactivity job counts the
    # unused period from then rather than disabling it again the same night.
    reactivated_at = models.DateTimeField(_("重新启用时间"), null=True, blank=True)

    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可进入管理后台"), default=False)
    date_joined = ClockDateTimeField(_("创建时间"), default=timezone.now)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["real_name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="applicant", role="", institution__isnull=True)
                | models.Q(kind="staff"),
                name="accounts_user_applicants_have_no_role",
            ),
            models.UniqueConstraint(
                fields=["resident_id_bidx"],
                condition=models.Q(kind="applicant"),
                name="accounts_user_one_applicant_per_resident_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.real_name}（{self.username}）"

    @property
    def is_staff_user(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_applicant_user(self) -> bool:
        return self.kind == self.Kind.APPLICANT

    @property
    def is_active_staff(self) -> bool:
        """Enabled, staff and bound to an institution; lower layers (orgs, audit) ask
        this attribute instead of importing accounts."""
        return active_staff_state(
            authenticated=self.pk is not None,
            is_active=self.is_active,
            kind=self.kind,
            institution_id=self.institution_id,
        )

    def has_role(self, *roles: str) -> bool:
        return self.kind == self.Kind.STAFF and self.role in roles


class ServiceToken(models.Model):
    """An API token for a service account (integration with HR or training systems).
    Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(_("名称"), max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = ClockDateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
