"""Password rules of MLPS 2.0 (GB/T 22239-2019 8.1.4.1): at least 8 characters, three
of four character classes, no username or ID number inside, 64 characters accepted,
no common password nor a common password dressed up (``Password123!``, ``P@ssw0rd``,
``1qaz@WSX``). See docs/decisions/0010-password-policy-mlps-over-asvs.md for the
deviation from ASVS and 0168 for the common-password rule."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.auth.password_validation import CommonPasswordValidator
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


# Look-alike letters written as digits or symbols. "1" and "!" may stand for "i" or "l",
# so there are two readings.
_LEET_I = str.maketrans({"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "+": "t", "8": "b", "9": "g", "|": "l"})  # fmt: skip
_LEET_L = str.maketrans({"0": "o", "1": "l", "!": "l", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "+": "t", "8": "b", "9": "g", "|": "l"})  # fmt: skip
# The digit under each shifted symbol of a US keyboard: "1qaz@WSX" is "1qaz2wsx".
_UNSHIFT = str.maketrans("!@#$%^&*()", "1234567890")
# Digits and symbols before the first and after the last letter ("2024", "123!", "@@").
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_TAIL = re.compile(r"[^a-z]+$")  # only the end: "1q2w3e4r!" is "1q2w3e4r"
_SYMBOL_EDGES = re.compile(r"^[^a-z0-9]+|[^a-z0-9]+$")
EXTRA_LIST = Path(__file__).resolve().parent / "data" / "common-passwords-extra.txt"


class CommonPasswordVariantValidator(CommonPasswordValidator):
    """Django's common-password list (20,000 passwords) plus the project's own list of
    pinyin words and keyboard walks (data/common-passwords-extra.txt), checked against
    the password as typed and against its normal forms: lower-cased, look-alike
    digits and symbols read as letters, shifted symbols read as digits, and digits and
    symbols stripped from both ends. ``Password123!``, ``P@ssw0rd``, ``Qwerty2024#`` and
    ``1qaz@WSX`` are refused; a stripped core shorter than ``min_core`` letters is not
    compared (too many short words are on the list)."""

    def __init__(self, min_core: int = 4) -> None:
        super().__init__()
        self.min_core = min_core

    @cached_property
    def words(self) -> frozenset[str]:
        extra = {
            line.strip().lower()
            for line in EXTRA_LIST.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        }
        return frozenset(self.passwords) | extra

    def forms(self, password: str) -> set[str]:
        lowered = password.strip().lower()
        readings = {
            lowered,
            lowered.translate(_UNSHIFT),
            lowered.translate(_LEET_I),
            lowered.translate(_LEET_L),
        }
        forms = set(readings)
        for reading in readings:
            for core in (_EDGES.sub("", reading), _TAIL.sub("", reading), _SYMBOL_EDGES.sub("", reading)):
                forms.add(core)
                forms.add(core.translate(_LEET_I))
                forms.add(core.translate(_LEET_L))
        return {form for form in forms if form == lowered or len(form) >= self.min_core}

    def validate(self, password: str, user: User | None = None) -> None:
        if self.forms(password) & self.words:
            raise ValidationError(
                _("这个密码太常见了，或只是常见密码加上数字、符号或形近字符替换。"),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _("不能使用常见密码，也不能只在常见密码前后加数字、符号或用形近字符替换。")
