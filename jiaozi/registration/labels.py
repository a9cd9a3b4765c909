"""Chinese labels of the rule codes (the codes themselves stay English in files and the
API; people read these)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .rules import Due, Reason, Suggestion

DUE_LABELS: dict[str, str | Promise] = {
    Due.FIRST: _("首次注册"),
    Due.PERIODIC: _("定期注册"),
    Due.AFTER_DEFERRAL: _("暂缓后重新注册"),
    Due.NOT_YET_DUE: _("未到注册期"),
    Due.BARRED: _("不予注册"),
    Due.OUT_OF_SCOPE: _("不属于注册对象"),
}

SUGGESTION_LABELS: dict[str, str | Promise] = {
    Suggestion.QUALIFIED: _("注册合格"),
    Suggestion.DEFERRED: _("暂缓注册"),
    Suggestion.UNQUALIFIED: _("注册不合格"),
}

REASON_LABELS: dict[str, str | Promise] = {
    Reason.NEVER_REGISTERED: _("尚未进行首次注册"),
    Reason.LATE_FIRST_REGISTRATION: _("试用期满考核合格已超过60天（逾期首次注册）"),
    Reason.VALIDITY_ENDING: _("注册有效期已届满或将于60天内届满"),
    Reason.PREVIOUSLY_DEFERRED: _("上次注册结论为暂缓注册"),
    Reason.VALIDITY_CURRENT: _("注册有效期尚未届满"),
    Reason.PROBATION_NOT_PASSED: _("试用期未满或未经考核合格"),
    Reason.PROBATION_DATE_MISSING: _("未记录试用期满考核合格日期，请核实"),
    Reason.PREVIOUSLY_UNQUALIFIED: _("上次注册结论为注册不合格"),
    Reason.CERTIFICATE_REVOKED: _("教师资格证书已被撤销"),
    Reason.CERTIFICATE_LOST: _("教师资格已丧失"),
    Reason.NO_CERTIFICATE: _("未持有教师资格证书"),
    Reason.POST_OUT_OF_SCOPE: _("岗位类别不在注册范围内"),
    Reason.EMPLOYMENT_OUT_OF_SCOPE: _("用工类型不在注册范围内"),
    Reason.ETHICS_FAILED: _("注册周期内师德考核不合格"),
    Reason.APPRAISAL_FAILED_CONSECUTIVE: _("注册周期内连续两年及以上年度考核不合格"),
    Reason.TRAINING_HOURS_SHORT: _("注册周期内培训学时不足"),
    Reason.UNAPPROVED_BREAK: _("未经批准中止教育教学工作超过180天"),
    Reason.APPRAISAL_FAILED: _("注册周期内有年度考核不合格"),
    Reason.APPRAISAL_BASIC: _("注册周期内有年度考核基本合格"),
    Reason.APPRAISAL_MISSING: _("注册周期内缺少年度考核结果"),
    Reason.HEALTH_UNFIT: _("身心健康状况不适合从事教育教学工作"),
}

# The reasons a due certificate can carry: the screen's reason filter offers these.
DUE_TO_APPLY_REASONS: tuple[str, ...] = (
    Reason.NEVER_REGISTERED,
    Reason.LATE_FIRST_REGISTRATION,
    Reason.PROBATION_DATE_MISSING,
    Reason.VALIDITY_ENDING,
    Reason.PREVIOUSLY_DEFERRED,
    Reason.ETHICS_FAILED,
    Reason.APPRAISAL_FAILED_CONSECUTIVE,
    Reason.TRAINING_HOURS_SHORT,
    Reason.UNAPPROVED_BREAK,
    Reason.APPRAISAL_FAILED,
    Reason.APPRAISAL_BASIC,
    Reason.APPRAISAL_MISSING,
    Reason.HEALTH_UNFIT,
)


def reason_labels(codes: tuple[str, ...] | list[str]) -> list[str]:
    return [str(REASON_LABELS.get(code, code)) for code in codes]
