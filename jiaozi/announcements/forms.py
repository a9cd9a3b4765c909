from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaozi.orgs.models import Level

from .models import Category, Status


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.GENERAL)
    source = forms.CharField(
        label=_("文号或来源"),
        max_length=200,
        required=False,
        help_text=_("转发或依据的文件，例如：皖教秘〔2024〕263号"),
    )
    body = forms.CharField(
        label=_("正文"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("空一行分段。联系方式、名单等较长内容请作为附件上传。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("定时发布"),
        required=False,
        widget=_DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("留空则立即发布；填写北京时间则到时自动在门户网站显示。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤回原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：内容有误，更正后重新发布")}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("附件"),
        help_text=_("PDF、JPG、PNG、Excel（.xlsx）或Word（.docx），单个不超过10 MB。"),
    )


STATUS_FILTER_CHOICES = [
    ("", _("全部")),
    (Status.DRAFT, _("草稿")),
    ("scheduled", _("定时发布")),
    (Status.PUBLISHED, _("已发布")),
    (Status.WITHDRAWN, _("已撤回")),
]


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("标题"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUS_FILTER_CHOICES)
    level = forms.ChoiceField(label=_("层级"), required=False, choices=[("", _("全部")), *Level.choices])

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class PublicFilterForm(forms.Form):
    level = forms.ChoiceField(label=_("发布层级"), required=False, choices=[("", _("全部")), *Level.choices])
    category = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部")), *Category.choices]
    )
    q = forms.CharField(
        label=_("标题关键词"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("如：定期注册")}),
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
