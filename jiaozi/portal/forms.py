from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import directory_cities


class DirectoryFilterForm(forms.Form):
    city = forms.ChoiceField(label=_("所在市"), required=False)
    keyword = forms.CharField(
        label=_("机构名称"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("如：庐阳区")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        city = self.fields["city"]
        assert isinstance(city, forms.ChoiceField)
        city.choices = [("", _("全部"))] + [(d.code, d.name) for d in directory_cities()]
