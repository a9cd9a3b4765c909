from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class VerificationLookupForm(forms.Form):
    """Certificate number + full name. Only the format is checked here; a number and
    name that do not match answer "未查询到" without saying which one was wrong."""

    certificate_number = forms.CharField(
        label=_("证书编号"),
        max_length=17,
        min_length=17,
        validators=[RegexValidator(r"^\d{17}$", _("证书编号为17位数字。"))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("持证人姓名"),
        max_length=64,
        help_text=_("请输入证书上的完整姓名。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_certificate_number(self) -> str:
        return str(self.cleaned_data["certificate_number"]).strip()
