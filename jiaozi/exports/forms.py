"""Forms of the export pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .datasets import STATUS_CHOICES
from .models import ExportRequest


class RequestForm(forms.Form):
    dataset = forms.ChoiceField(
        label=_("导出内容"),
        choices=ExportRequest.Dataset.choices,
        initial=ExportRequest.Dataset.REGISTRATION_APPLICATIONS,
    )
    campaign = forms.TypedChoiceField(label=_("定期注册工作"), coerce=int)
    status = forms.ChoiceField(label=_("状态"), required=False)
    purpose = forms.CharField(
        label=_("导出用途"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("必填，至少4个字；用途写入导出文件的水印和审计日志。"),
    )
    unmasked = forms.BooleanField(
        label=_("导出完整的身份证号和手机号"),
        required=False,
        help_text=_("默认脱敏导出；仅在确有需要时勾选，完整导出会被记录。"),
    )

    def __init__(
        self, *args: object, campaigns: list[tuple[int, str]], may_unmask: bool, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["campaign"].choices = campaigns  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("全部（草稿除外）")), *STATUS_CHOICES]  # type: ignore[attr-defined]
        if not may_unmask:
            del self.fields["unmasked"]


class DecideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        choices=(("approve", _("批准")), ("reject", _("驳回"))), widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("审批意见"), max_length=500, widget=forms.TextInput)
