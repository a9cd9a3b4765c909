"""The forms of certification's pages: they parse and present; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import QualificationType

from .choices import Education, Health, Mandarin, Title
from .services import ApplicationData, authorities_for, points_of
from .workflow import ConfirmReason, RefuseReason

COMMITMENT_TEXT = _(
    "本人承诺：所填信息及提交的材料真实、准确；本人遵守宪法和法律，热爱教育事业，"
    "具有良好的思想品德；如有弄虚作假，愿意承担相应责任，并按有关规定处理。"
)


class ApplicationForm(forms.Form):
    subject = forms.CharField(label=_("任教学科"), max_length=64, help_text=_("如：语文、数学、学前教育"))
    authority = forms.TypedChoiceField(label=_("认定机构"), coerce=int)
    confirmation_point = forms.TypedChoiceField(label=_("确认点"), coerce=int)
    education = forms.ChoiceField(label=_("最高学历"), choices=Education.choices)
    preschool_major = forms.BooleanField(label=_("学前教育专业（幼师）毕业"), required=False)
    title = forms.ChoiceField(
        label=_("专业技术职务或职业资格"),
        choices=[("", _("无")), *list(Title.choices)],
        required=False,
        help_text=_("申请中职实习指导教师资格须填写。"),
    )
    mandarin = forms.ChoiceField(label=_("普通话等级"), choices=Mandarin.choices)
    mandarin_certificate_no = forms.CharField(label=_("普通话证书编号"), max_length=32, required=False)
    ntce_type = forms.ChoiceField(
        label=_("考试合格证明种类"),
        choices=[("", _("无（申请高等学校教师资格）")), *list(QualificationType.choices)],
        required=False,
    )
    ntce_number = forms.CharField(label=_("考试合格证明编号"), max_length=32, required=False)
    ntce_date = forms.DateField(
        label=_("考试合格证明日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.RegexField(label=_("联系电话"), regex=r"^1\d{10}$", required=False)
    commitment = forms.BooleanField(
        label=_("我已阅读并签署个人承诺书"), required=False, help_text=COMMITMENT_TEXT
    )
    photo = forms.FileField(
        label=_("本人照片"),
        required=False,
        help_text=_("近期免冠正面证件照，JPG或PNG，不超过200KB，295×413至1000×1400像素。"),
    )

    def __init__(self, *args: Any, qualification_type: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qualification_type = qualification_type
        authorities = authorities_for(qualification_type)
        cast(forms.ChoiceField, self.fields["authority"]).choices = [("", _("请选择"))] + [
            (a.pk, a.name) for a in authorities
        ]
        points = [(p.pk, f"{a.name} · {p.name}") for a in authorities for p in points_of(a.pk)]
        cast(forms.ChoiceField, self.fields["confirmation_point"]).choices = [("", _("请选择")), *points]

    def data_object(self) -> ApplicationData:
        d = self.cleaned_data
        return ApplicationData(
            qualification_type=self.qualification_type,
            subject=d["subject"],
            authority_id=d["authority"],
            confirmation_point_id=d["confirmation_point"],
            education=d["education"],
            mandarin=d["mandarin"],
            preschool_major=d["preschool_major"],
            title=d["title"] or "",
            mandarin_certificate_no=d["mandarin_certificate_no"],
            ntce_type=d["ntce_type"] or "",
            ntce_number=d["ntce_number"],
            ntce_date=d["ntce_date"],
            commitment=d["commitment"],
            phone=d["phone"] or "",
        )


class ActForm(forms.Form):
    action = forms.CharField(max_length=32)
    version = forms.IntegerField(min_value=1)
    reason_code = forms.CharField(max_length=32, required=False)
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    conclusion = forms.CharField(max_length=16, required=False)


class ConfirmForm(forms.Form):
    """The confirmation user's decision after comparing the papers with the data."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("确认结果"),
        choices=[("", _("请选择")), ("confirm", _("确认通过（待认定审批）")), ("refuse", _("确认未通过"))],
    )
    reason_code = forms.ChoiceField(
        label=_("未通过原因"), choices=[("", _("请选择")), *list(ConfirmReason.choices)], required=False
    )
    reason = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecideForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    conclusion = forms.ChoiceField(
        label=_("认定结论"),
        choices=[("", _("请选择")), ("certified", _("认定通过")), ("refused", _("认定未通过"))],
    )
    reason_code = forms.ChoiceField(
        label=_("未通过原因"), choices=[("", _("请选择")), *list(RefuseReason.choices)], required=False
    )
    reason = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class HealthForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    health = forms.ChoiceField(label=_("体检结论"), choices=[("", _("请选择")), *Health.choices])
    hospital = forms.CharField(label=_("体检医院"), max_length=128, required=False)


class BatchDecideForm(forms.Form):
    conclusion = forms.ChoiceField(
        label=_("认定结论"),
        choices=[("certified", _("认定通过")), ("refused", _("认定未通过"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    reason_code = forms.ChoiceField(
        label=_("未通过原因"),
        choices=[("", _("请选择")), *list(RefuseReason.choices)],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
