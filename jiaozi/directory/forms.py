from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SchoolType
from .selectors import public_cities, public_counties


class PlanForm(forms.Form):
    notes = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("可说明受理安排、人数估算依据等（选填）。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = {}
        for value, label in SchoolType.choices:
            fields[value] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=100_000,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "jz-number"}),
            )
        self.fields = {**fields, **self.fields}

    def expected(self) -> dict[str, int]:
        return {value: self.cleaned_data[value] for value in SchoolType.values}


class SetupFilterForm(forms.Form):
    STATUS_CHOICES = [("", _("全部")), ("unfinished", _("未完成")), ("finished", _("已完成"))]
    q = forms.CharField(label=_("机构名称"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("准备情况"), required=False, choices=STATUS_CHOICES)

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class DirectorySearchForm(forms.Form):
    city = forms.ChoiceField(label=_("所在市"), required=False)
    county = forms.ChoiceField(label=_("所在县（市、区）"), required=False)
    keyword = forms.CharField(
        label=_("机构名称"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("如：庐阳区")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        city = self.fields["city"]
        county = self.fields["county"]
        assert isinstance(city, forms.ChoiceField)
        assert isinstance(county, forms.ChoiceField)
        city.choices = [("", _("全部"))] + [(d.code, d.name) for d in public_cities()]
        chosen = str(self.data.get("city", "")) if self.is_bound else ""
        groups: dict[str, list[tuple[str, str]]] = {}
        for division in public_counties(city=chosen if chosen.isdigit() else ""):
            parent = division.parent.name if division.parent else ""
            groups.setdefault(parent, []).append((division.code, division.name))
        county.choices = [("", _("全部")), *groups.items()]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v.strip() for k, v in self.cleaned_data.items() if v}
