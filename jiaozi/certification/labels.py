"""The Chinese names of the §6 reason codes (what applicants and staff read)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import rules

REASON_LABELS: dict[str, Promise] = {
    rules.EDUCATION_INSUFFICIENT: _("学历不符合所申请资格种类的要求"),
    rules.TITLE_INSUFFICIENT: _("中职实习指导教师须具备中级工及以上职业资格或工程师系列职称"),
    rules.MANDARIN_INSUFFICIENT: _("普通话水平等级不符合要求"),
    rules.NTCE_MISSING: _("缺少中小学教师资格考试合格证明"),
    rules.NTCE_TYPE_MISMATCH: _("考试合格证明种类与申请资格种类不符"),
    rules.NTCE_EXPIRED: _("考试合格证明已超过有效期"),
    rules.HEALTH_FAILED: _("体检不合格"),
    rules.COMMITMENT_MISSING: _("未签署个人承诺书"),
    rules.OVER_RETIREMENT_AGE: _("已达到法定退休年龄"),
    rules.ALREADY_APPLIED_THIS_YEAR: _("本年度已申请过教师资格认定"),
    rules.QUALIFICATION_LOST: _("曾丧失教师资格，不能重新取得"),
    rules.REVOKED_WITHIN_5_YEARS: _("被撤销教师资格未满五年"),
    rules.EXAM_BAN_ACTIVE: _("因考试作弊处于禁考期内"),
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))
