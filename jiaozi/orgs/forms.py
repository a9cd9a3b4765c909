"""Forms of the institution pages: they parse input only; rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaozi.core.accounts import Account

from .models import Institution, Level
from .selectors import division_list_for_filter


class InstitutionFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或代码"), required=False, max_length=64)
    kind = forms.ChoiceField(label=_("机构类型"), required=False)
    level = forms.ChoiceField(label=_("层级"), required=False)
    division = forms.ChoiceField(label=_("行政区划"), required=False)

    def __init__(self, *args: Any, user: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything: list[tuple[str, Any]] = [("", _("全部"))]
        choices = {
            "kind": everything + list(Institution.Kind.choices),
            "level": everything + list(Level.choices),
            "division": everything
            + [(d.code, f"{d.code} {d.name}") for d in division_list_for_filter(user=user)],
        }
        for name, values in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = values

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid choice is dropped rather than failing the page)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in self.fields if name not in self.errors}


class PublicInfoForm(forms.Form):
    address = forms.CharField(
        label=_("地址"),
        max_length=255,
        help_text=_("办理注册业务的地点，例如：合肥市庐阳区濉溪路1号政务中心3楼"),
    )
    phone = forms.CharField(
        label=_("咨询电话"),
        max_length=64,
        help_text=_("带区号的办公电话，多个号码用顿号分隔，例如：0551-65661234"),
    )
    office_hours = forms.CharField(
        label=_("办公时间"),
        max_length=128,
        help_text=_("例如：工作日上午8:30-12:00，下午14:30-17:30"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
