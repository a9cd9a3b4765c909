"""The MLPS password policy (decision 0010) through Django's validator chain."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator, validate_password
from django.core.exceptions import ValidationError

from jiaozi.accounts.models import User
from jiaozi.accounts.passwords import (
    CharacterClassValidator,
    CommonPasswordVariantValidator,
    MaximumLengthValidator,
    NoIdentityInPasswordValidator,
)


def user() -> User:
    return User(username="zhangwei", real_name="张伟", phone="13912345678", resident_id="340104199001011234")


@pytest.mark.parametrize(
    "password",
    [
        "Jiaozi@2024",  # the demo password
        "Kqmv3zTp",  # 8 characters, three classes
        "kqmvzt7!",  # lower, digit, symbol (not "abcdef1!": a common word plus "1!", refused below)
        "教师资格Ab1!",  # CJK counts as a symbol class
        "Aa1!" * 16,  # 64 characters accepted
    ],
)
def test_accepted(password: str) -> None:
    validate_password(password, user())


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),  # 7 characters
        ("abcdefgh", "password_too_simple"),  # one class
        ("abcdefg1", "password_too_simple"),  # two classes
        ("12345678", "password_entirely_numeric"),
        ("Password1", "password_too_common"),  # on the common-password list
        ("abcdef1!", "password_too_common"),  # "abcdef" with a digit and a symbol
        ("Zhangwei@2024", "password_contains_identity"),  # the username
        ("X13912345678y", "password_contains_identity"),  # the phone number
        ("Aa1!" * 40, "password_too_long"),
    ],
)
def test_refused(password: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_password(password, user())
    assert code in {error.code for error in info.value.error_list}


def test_character_classes_are_counted() -> None:
    validator = CharacterClassValidator(min_classes=3)
    validator.validate("Abc12345")
    with pytest.raises(ValidationError):
        validator.validate("abc12345")


def test_identity_check_ignores_short_values() -> None:
    NoIdentityInPasswordValidator().validate("Ab1!abc", User(username="abc"))


def test_help_texts_are_chinese() -> None:
    assert "至少3类" in CharacterClassValidator().get_help_text()
    assert "128" in MaximumLengthValidator().get_help_text()


@pytest.mark.parametrize(
    "password",
    [
        "Password123!",  # the finding: a listed word with digits and a symbol
        "Password2024#",
        "P@ssw0rd",  # look-alikes
        "P@ssw0rd123",
        "Passw0rd!",
        "Qwerty123!",  # keyboard walks
        "1qaz@WSX",  # shifted digit
        "1Q2w3e4r!",
        "Zaq1@wsx",
        "Admin@123",
        "Welcome1!",
        "Iloveyou520!",
        "Woaini1314!",  # the project's own list: pinyin
        "Laoshi@2024",
        "Jiaoyu#123",
    ],
)
def test_common_passwords_dressed_up_are_refused(password: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_password(password, user())
    codes = {error.code for error in info.value.error_list}
    assert "password_too_common" in codes
    assert "太常见" in " ".join(info.value.messages)


@pytest.mark.parametrize(
    "password",
    [
        "Jiaozi@2024",
        "N3w-Passw0rd!",  # a listed word inside a longer password is not the listed word
        "Str0ng!Passw0rd",
        "Wrong#pass2024",
        "Nj#2024-teach",
        "教师资格Ab1!",
    ],
)
def test_a_longer_password_around_a_common_word_is_accepted(password: str) -> None:
    CommonPasswordVariantValidator().validate(password)


def test_the_common_list_is_django_s_plus_the_project_s() -> None:
    validator = CommonPasswordVariantValidator()
    assert set(CommonPasswordValidator().passwords) < validator.words
    assert {"laoshi", "jiaoyu", "mima"} <= validator.words  # pinyin, the project's list
    assert {"password", "qwerty", "woaini", "1qaz2wsx"} <= validator.words
