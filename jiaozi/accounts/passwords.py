"""Password rules of MLPS 2.0 (GB/T 22239-2019 8.1.4.1): at least 8 characters, three
of four character classes, no username or ID number inside, 64 characters accepted.
See docs/decisions/0010-password-policy-mlps-over-asvs.md for the deviation from ASVS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import User


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。") % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。") % {"n": self.min_classes}


class NoIdentityInPasswordValidator:
    def validate(self, password: str, user: User | None = None) -> None:
        if user is None:
            return
        lowered = password.lower()
        for value in (
            getattr(user, "username", ""),
            getattr(user, "resident_id", None),
            getattr(user, "phone", ""),
        ):
            if value and len(value) >= 4 and str(value).lower() in lowered:
                raise ValidationError(
                    _("密码不得包含用户名、身份证号或手机号。"), code="password_contains_identity"
                )

    def get_help_text(self) -> str:
        return _("密码不得包含用户名、身份证号或手机号。")


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: User | None = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("密码最长%(n)d个字符。") % {"n": self.max_length}, code="password_too_long"
            )

    def get_help_text(self) -> str:
        return _("密码最长%(n)d个字符。") % {"n": self.max_length}
