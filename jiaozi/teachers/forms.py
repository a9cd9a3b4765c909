"""Forms of the teacher pages: they parse the request; the domain rules (ID checksum,
sex matching the ID, ranges, duplicates) live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import CertificateStatus
from jiaozi.core import idcard

from .models import AppraisalGrade, EmploymentType, EthicsResult, Health, PostType, Sex
from .selectors import NO_CERTIFICATE

ALL = _("全部")


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", ALL), *choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TeacherFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名"), required=False, max_length=64)
    school = forms.CharField(label=_("学校代码"), required=False, max_length=32)
    post_type = forms.ChoiceField(label=_("岗位类别"), required=False, choices=_blank(PostType.choices))
    employment_type = forms.ChoiceField(
        label=_("用工类型"), required=False, choices=_blank(EmploymentType.choices)
    )
    certificate_status = forms.ChoiceField(
        label=_("证书状态"),
        required=False,
        choices=_blank([*CertificateStatus.choices, (NO_CERTIFICATE, _("无证书"))]),
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class ResidentIdSearchForm(forms.Form):
    """按身份证号查询: posted, never in a URL (SECURITY 22)."""

    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(
            attrs={"placeholder": _("完整的18位身份证号"), "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def clean_resident_id(self) -> str:
        value = idcard.normalise(self.cleaned_data["resident_id"])
        message = idcard.error_message(value)
        if message:
            raise forms.ValidationError(message, code="invalid_resident_id")
        return value


class TeacherFactsForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    sex = forms.ChoiceField(label=_("性别"), choices=Sex.choices, widget=forms.RadioSelect)
    phone = forms.CharField(label=_("手机号"), required=False, max_length=11)
    post_type = forms.ChoiceField(label=_("岗位类别"), choices=PostType.choices)
    employment_type = forms.ChoiceField(label=_("用工类型"), choices=EmploymentType.choices)
    health = forms.ChoiceField(label=_("身心健康"), choices=Health.choices, initial=Health.FIT)
    probation_passed_on = forms.DateField(label=_("试用期满考核合格日期"), required=False, widget=DateInput())


class TeacherCreateForm(TeacherFactsForm):
    resident_id = forms.CharField(label=_("身份证号"), max_length=18, min_length=18)
    field_order = ["resident_id", "name", "sex"]


class TeacherEditForm(TeacherFactsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AnnualAppraisalForm(VersionedForm):
    year = forms.IntegerField(label=_("年度"), min_value=1990, max_value=9999)
    grade = forms.ChoiceField(label=_("等次"), choices=AppraisalGrade.choices)


class EthicsAppraisalForm(VersionedForm):
    year = forms.IntegerField(label=_("年度"), min_value=1990, max_value=9999)
    result = forms.ChoiceField(label=_("结果"), choices=EthicsResult.choices)


class TrainingRecordForm(VersionedForm):
    date = forms.DateField(label=_("日期"), widget=DateInput())
    hours = forms.DecimalField(label=_("学时"), max_digits=5, decimal_places=1, min_value=0)
    programme = forms.CharField(label=_("项目名称"), max_length=128)


class TeachingBreakForm(VersionedForm):
    start = forms.DateField(label=_("开始日期"), widget=DateInput())
    end = forms.DateField(label=_("结束日期"), widget=DateInput())
    reason = forms.CharField(label=_("原因"), required=False, max_length=128)
    approved = forms.BooleanField(label=_("经批准（进修、培训、病假、产假等）"), required=False)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("导入文件"),
        help_text=_("教师数据导入模板（.xlsx），或以工作表命名的 CSV 文件（可打包为 .zip）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.zip,.csv"}),
    )
