"""Forms of certificate services. Resident IDs come only in POSTed forms (SECURITY 22)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import CertificateStatus
from jiaozi.core import idcard

from .models import RequestMaterial
from .workflow import CheckOutcome, RequestKind, RequestStatus


class CertificateFilterForm(forms.Form):
    """The registry list's filters, in the URL: number and name, never an ID."""

    number = forms.CharField(
        label=_("证书编号"),
        required=False,
        max_length=17,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": _("全部或前几位")}),
    )
    name = forms.CharField(label=_("持证人姓名"), required=False, max_length=64)
    status = forms.ChoiceField(
        label=_("证书状态"), required=False, choices=[("", _("全部")), *CertificateStatus.choices]
    )

    def clean_number(self) -> str:
        value = str(self.cleaned_data.get("number") or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("证书编号只含数字。"), code="invalid_number")
        return value

    def filters(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
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


class RequestForm(forms.Form):
    """A holder's correction, reissue or replacement request; the view shows the fields
    of the chosen kind (``kind`` in the URL)."""

    reason = forms.CharField(
        label=_("申请事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    name = forms.CharField(label=_("正确的姓名"), max_length=64, required=False)
    subject = forms.CharField(label=_("正确的任教学科"), max_length=64, required=False)
    loss_notice_medium = forms.CharField(label=_("遗失声明刊登的报刊或网站"), max_length=128, required=False)
    loss_notice_date = forms.DateField(
        label=_("遗失声明刊登日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    evidence = forms.FileField(label=_("更正证明材料（身份证、户籍证明等）"), required=False)
    loss_notice = forms.FileField(label=_("遗失声明（报刊版面或网页截图）"), required=False)
    damaged = forms.FileField(label=_("原证书照片"), required=False)

    FIELDS_OF_KIND = {
        "correction": ("reason", "name", "subject", "evidence"),
        "reissue": ("reason", "loss_notice_medium", "loss_notice_date", "loss_notice"),
        "replacement": ("reason", "damaged"),
    }

    def __init__(self, *args: object, kind: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        keep = self.FIELDS_OF_KIND.get(kind, ())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]


class ActForm(forms.Form):
    action = forms.CharField(max_length=16)
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(
        label=_("意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    old_returned = forms.BooleanField(label=_("原证书已收回"), required=False)


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=RequestMaterial.Kind.choices)
    file = forms.FileField(label=_("文件"))


class SettingForm(forms.Form):
    processing_days = forms.IntegerField(label=_("办理时限（工作日）"), min_value=1, max_value=60)
    reminder_days = forms.IntegerField(label=_("到期前提醒（工作日）"), min_value=0, max_value=59)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *RequestStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("申请类型"), required=False, choices=[("", _("全部")), *RequestKind.choices]
    )
    overdue = forms.BooleanField(label=_("只看已超期"), required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class CheckOpenForm(forms.Form):
    holder_name = forms.CharField(label=_("证书上的姓名"), max_length=64)
    reason = forms.CharField(label=_("核验原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    outside_authority = forms.CharField(
        label=_("省外发证机关（本省颁发的证书不填）"), max_length=128, required=False
    )


class CheckActForm(forms.Form):
    action = forms.CharField(max_length=16)
    version = forms.IntegerField(min_value=1)
    outcome = forms.ChoiceField(
        label=_("核验结果"), choices=[("", "—"), *CheckOutcome.choices], required=False
    )
    reference = forms.CharField(label=_("答复文号或档案编号"), max_length=128, required=False)
    note = forms.CharField(
        label=_("核验说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ShareLinkForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("有效期"),
        coerce=int,
        initial=7,
        choices=[
            (1, _("1天")),
            (3, _("3天")),
            (7, _("7天")),
            (14, _("14天")),
            (30, _("30天")),
        ],
    )


class ShareRevokeForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
