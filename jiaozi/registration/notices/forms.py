"""Forms of the notice pages: the public filter and objection, the reviewer's
publication and resolution, the objection filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.certificates.models import Conclusion
from jiaozi.core.errors import ValidationFailed

from .. import notices
from ..models import Notice, Objection


class NoticeFilterForm(forms.Form):
    city = forms.ChoiceField(label=gettext_lazy("所在市"), required=False)
    county = forms.ChoiceField(label=gettext_lazy("县（市、区）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = notices.notice_regions()
        city = self.fields["city"]
        county = self.fields["county"]
        assert isinstance(city, forms.ChoiceField)
        assert isinstance(county, forms.ChoiceField)
        city.choices = [("", _("全部"))] + [(r.code, r.name) for r in regions]
        county.choices = [("", _("全部"))] + [(r.name, list(r.counties)) for r in regions if r.counties]
        self._county_city = {code: r.code for r in regions for code, _name in r.counties}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        county, city = data.get("county"), data.get("city")
        if county and city and self._county_city.get(county) != city:
            # A county of another city: the county wins, the stale city is dropped.
            data["city"] = ""
        return data


class ObjectionForm(forms.Form):
    IDENTITY_CHOICES = (("real", gettext_lazy("实名")), ("anonymous", gettext_lazy("匿名")))

    entry = forms.TypedChoiceField(label=gettext_lazy("异议对象"), coerce=int)
    identity = forms.ChoiceField(
        label=gettext_lazy("提出方式"),
        choices=IDENTITY_CHOICES,
        initial="real",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy("实名提出的异议，注册机构将把核查结果反馈给您；匿名异议同样会被核查。"),
    )
    name = forms.CharField(
        label=gettext_lazy("您的姓名"),
        required=False,
        max_length=notices.OBJECTION_NAME_MAX,
        help_text=gettext_lazy("实名提出时必填。"),
    )
    contact = forms.CharField(
        label=gettext_lazy("联系方式"),
        max_length=254,
        help_text=gettext_lazy("手机号、固定电话或电子邮箱，仅供注册机构核实情况时联系您，不会公开。"),
    )
    content = forms.CharField(
        label=gettext_lazy("异议内容"),
        min_length=notices.OBJECTION_CONTENT_MIN,
        max_length=notices.OBJECTION_CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("请写明异议的具体事实和理由，可提供线索或证明材料的获取方式。"),
    )

    def __init__(self, *args: Any, notice: Notice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entry = self.fields["entry"]
        assert isinstance(entry, forms.TypedChoiceField)
        entry.choices = [("", _("请选择"))] + [
            (e["no"], f"{e['no']}. {e['name']}  {e['resident_id']}  {e['school']}") for e in notice.entries
        ]

    def clean_contact(self) -> str:
        try:
            return notices.normalise_contact(self.cleaned_data.get("contact"))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("identity") == "real" and not (data.get("name") or "").strip():
            self.add_error("name", _("实名提出异议请填写姓名，或选择匿名。"))
        return data


class PublishForm(forms.Form):
    applications = forms.TypedMultipleChoiceField(
        label=gettext_lazy("公示的申请"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请至少选择一项申请。"),
            "invalid_choice": gettext_lazy("申请 %(value)s 已不在待公示状态，请核对后重新选择。"),
        },
    )
    # Shown, never chosen: the province sets the period (§5); a disabled field keeps
    # its initial value whatever is posted.
    days = forms.IntegerField(
        label=gettext_lazy("公示天数"),
        disabled=True,
        required=False,
        help_text=gettext_lazy("自然日，自发布时起计算；由省级在注册工作中统一设置，不能更改。"),
    )

    def __init__(self, *args: Any, application_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        applications = self.fields["applications"]
        assert isinstance(applications, forms.TypedMultipleChoiceField)
        applications.choices = [(pk, str(pk)) for pk in application_ids]


class ResolveForm(forms.Form):
    DECISION_CHOICES = (
        ("dismissed", gettext_lazy("异议不成立，继续公示")),
        ("upheld", gettext_lazy("异议成立，修改注册结论后重新公示")),
    )

    decision = forms.ChoiceField(
        label=gettext_lazy("处理结果"),
        choices=DECISION_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    conclusion = forms.ChoiceField(
        label=gettext_lazy("修改后的注册结论"),
        required=False,
        choices=[("", gettext_lazy("（异议成立时选择）")), *Conclusion.choices],
    )
    resolution = forms.CharField(
        label=gettext_lazy("处理意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("写明核查情况和结论依据；实名异议人将据此得到答复。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "upheld" and not data.get("conclusion"):
            self.add_error("conclusion", _("异议成立时请选择修改后的注册结论。"))
        return data


class ObjectionFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("处理状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *Objection.State.choices],
    )
