"""Forms of certificate services. Resident IDs come only in POSTed forms (SECURITY 22)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import CertificateStatus
from jiaozi.core import idcard


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
