"""Form of the campaign settings page. It parses and checks input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from jiaozi.orgs.models import Institution

from .. import rules
from ..models import Campaign, Material, WindowAction, default_required_materials
from .services import WINDOW_FIELDS
from .windows import window_errors

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
STEP_WINDOWS = ("apply", "school_review", "review", "recheck", "final_review")


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=_DATETIME_FORMAT, **kwargs)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


MATERIAL_GROUPS = (
    ("first", gettext_lazy("首次注册须提交的材料")),
    ("periodic", gettext_lazy("定期注册须提交的材料")),
    ("after_deferral", gettext_lazy("暂缓后重新注册须提交的材料")),
)


class CampaignForm(forms.ModelForm):
    """Create or edit a campaign. Times are entered in Asia/Shanghai (the site's time
    zone) and must fit together (``windows.window_errors``); the service checks again."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Campaign
        fields = (
            "name",
            "year",
            "registration_date",
            *WINDOW_FIELDS,
            "training_hours_required",
            "notice_days",
            "review_request_days",
            "is_active",
        )
        widgets: dict[str, Any] = {"registration_date": _DateInput()} | {
            field: _DateTimeInput() for field in WINDOW_FIELDS
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One checkbox group per registration type: what submission requires (§4).
        current = (
            self.instance.required_materials if self.instance.pk else None
        ) or default_required_materials()
        kinds = [(k, label) for k, label in Material.Kind.choices if k in rules.REQUIRABLE_MATERIALS]
        for due, label in MATERIAL_GROUPS:
            self.fields[f"required_{due}"] = forms.MultipleChoiceField(
                label=label,
                choices=kinds,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=current.get(due, list(rules.DEFAULT_REQUIRED_MATERIALS[due])),
            )
        # Left out of a post, the setting keeps its value (15 days on creation).
        self.fields["review_request_days"].required = False
        for field in WINDOW_FIELDS:
            window_field = self.fields[field]
            assert isinstance(window_field, forms.DateTimeField)
            window_field.input_formats = [_DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if self.instance.pk:
            # The year identifies the campaign; it is not changed afterwards.
            self.fields["year"].disabled = True
            self.fields["version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, message in window_errors({f: cleaned.get(f) for f in WINDOW_FIELDS}):
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned

    def _post_clean(self) -> None:
        # The model's constraints are the service's business (it answers with the same
        # messages); skip ModelForm's instance validation so nothing is checked twice.
        pass

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("year", None)
        data["required_materials"] = {
            due: list(data.pop(f"required_{due}", [])) for due, _label in MATERIAL_GROUPS
        }
        if data.get("review_request_days") is None:
            data.pop("review_request_days", None)
        return data


class ExtensionForm(forms.Form):
    """The province admin's grant of a window extension: an education bureau or
    supervising department of the province, a step window, the new close, a reason."""

    institution = forms.ModelChoiceField(
        label=gettext_lazy("机构"),
        queryset=Institution.objects.none(),
        empty_label=gettext_lazy("请选择"),
    )
    window = forms.ChoiceField(label=gettext_lazy("环节"), choices=())
    closes_at = forms.DateTimeField(
        label=gettext_lazy("延长至"),
        widget=_DateTimeInput(),
        input_formats=[_DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=gettext_lazy("北京时间；不含此刻，且不晚于系统关闭时间"),
    )
    reason = forms.CharField(
        label=gettext_lazy("延长理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, province_path: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institution = self.fields["institution"]
        assert isinstance(institution, forms.ModelChoiceField)
        institution.queryset = Institution.objects.filter(
            path__startswith=province_path,
            kind__in=(Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT),
            is_active=True,
        ).order_by("path")
        window = self.fields["window"]
        assert isinstance(window, forms.ChoiceField)
        window.choices = [(w, WindowAction(w).label) for w in STEP_WINDOWS]


class ExtensionRevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤销理由"), max_length=500)
