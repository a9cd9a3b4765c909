"""The vocabularies of certification (§6), each with its rank where the rules compare.

The labels are the Chinese terms of §6 (and of the precheck file's cells); the values
are stable codes for the database and the API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    """The digit a certificate number carries (§6)."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("中专")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士")
    DOCTOR = "doctor", _("博士")


EDUCATION_RANK: dict[str, int] = {value: rank for rank, value in enumerate(Education.values)}


class Title(models.TextChoices):
    """专业技术职务或职业资格: the vocational ranks, then the engineer titles."""

    WORKER_JUNIOR = "worker_junior", _("初级工")
    WORKER_INTERMEDIATE = "worker_intermediate", _("中级工")
    WORKER_SENIOR = "worker_senior", _("高级工")
    TECHNICIAN = "technician", _("技师")
    TECHNICIAN_SENIOR = "technician_senior", _("高级技师")
    ENGINEER_ASSISTANT = "engineer_assistant", _("助理工程师")
    ENGINEER = "engineer", _("工程师")
    ENGINEER_SENIOR = "engineer_senior", _("高级工程师")
    ENGINEER_PROFESSOR = "engineer_professor", _("正高级工程师")


# Type 6 needs 中级工 or higher, or any engineer title (§6).
TITLES_FOR_PRACTICE: frozenset[str] = frozenset(
    {
        Title.WORKER_INTERMEDIATE,
        Title.WORKER_SENIOR,
        Title.TECHNICIAN,
        Title.TECHNICIAN_SENIOR,
        Title.ENGINEER_ASSISTANT,
        Title.ENGINEER,
        Title.ENGINEER_SENIOR,
        Title.ENGINEER_PROFESSOR,
    }
)


class Mandarin(models.TextChoices):
    """普通话等级, best first."""

    L1A = "1a", _("一级甲等")
    L1B = "1b", _("一级乙等")
    L2A = "2a", _("二级甲等")
    L2B = "2b", _("二级乙等")
    L3A = "3a", _("三级甲等")
    L3B = "3b", _("三级乙等")


# Higher is better: 三级乙等 0 … 一级甲等 5.
MANDARIN_RANK: dict[str, int] = {
    value: len(Mandarin.values) - 1 - i for i, value in enumerate(Mandarin.values)
}


class Health(models.TextChoices):
    """体检结论, recorded by the authority (blank while pending)."""

    FIT = "fit", _("合格")
    UNFIT = "unfit", _("不合格")


class Sanction(models.TextChoices):
    """资格处分 on record."""

    LOST = "lost", _("丧失")
    REVOKED = "revoked", _("撤销")
    EXAM_BAN = "exam_ban", _("考试作弊")
