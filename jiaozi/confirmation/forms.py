"""Forms of the confirmation pages: they parse input only; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TimeSlot

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PointCreateForm(forms.Form):
    code = forms.CharField(
        label=_("确认点代码"), max_length=32, help_text=_("本认定机构内唯一，字母或数字，例如 340103QR02")
    )
    name = forms.CharField(label=_("确认点名称"), max_length=128)
    address = forms.CharField(label=_("地址"), max_length=255)
    phone = forms.CharField(label=_("咨询电话"), max_length=64, help_text=_("带区号，例如 0551-62831234"))
    office_hours = forms.CharField(label=_("办公时间"), max_length=128, required=False)
    directions = forms.CharField(
        label=_("办理须知"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("显示给预约的申请人：到达方式、须携带的材料等"),
    )


class PointEditForm(forms.Form):
    address = forms.CharField(label=_("地址"), max_length=255)
    phone = forms.CharField(label=_("咨询电话"), max_length=64)
    directions = forms.CharField(
        label=_("办理须知"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_open = forms.BooleanField(
        label=_("开放预约"), required=False, help_text=_("关闭后不再接受新的预约，已有预约保留")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DayForm(forms.Form):
    date = forms.DateField(label=_("开放日期"), widget=DATE_INPUT)
    note = forms.CharField(label=_("说明"), max_length=128, required=False)


class SlotForm(forms.Form):
    starts_at = forms.TimeField(label=_("开始时间"), widget=TIME_INPUT)
    ends_at = forms.TimeField(label=_("结束时间"), widget=TIME_INPUT)
    capacity = forms.IntegerField(label=_("每个时段可预约人数"), min_value=1, max_value=500)
    every_minutes = forms.IntegerField(
        label=_("按分钟拆分"),
        required=False,
        min_value=5,
        max_value=480,
        help_text=_("留空为一个时段；填写如 60，则在起止时间内每60分钟一个时段"),
    )


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("可预约人数"), min_value=1, max_value=500)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("签到码"),
        max_length=64,
        help_text=_("扫描申请人的二维码，或输入其下方的20位签到码"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "autocapitalize": "characters"}
        ),
    )


class ResidentIdForm(forms.Form):
    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class DayPickForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=DATE_INPUT, required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class SlotChoiceForm(forms.Form):
    """The applicant's choice among the bookable slots given."""

    slot = forms.ChoiceField(label=_("时段"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, slots: list[TimeSlot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["slot"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(s.pk), str(s)) for s in slots]
        field.error_messages["invalid_choice"] = _("所选时段已不可预约，请重新选择。")
        field.error_messages["required"] = _("请选择一个时段。")

    def slot_id(self) -> int:
        return int(self.cleaned_data["slot"])
