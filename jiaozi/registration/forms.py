"""Forms of the registration pages: the campaign settings, the pre-check filters and
the export request. They parse and check input; the services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .labels import DUE_LABELS, DUE_TO_APPLY_REASONS, REASON_LABELS, SUGGESTION_LABELS
from .models import Campaign
from .rules import Due
from .selectors import PrecheckFilters, precheck_school_choices
from .services import EXPORT_FORMATS, WINDOW_FIELDS
from .windows import window_errors

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=_DATETIME_FORMAT, **kwargs)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


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
            "is_active",
        )
        widgets: dict[str, Any] = {"registration_date": _DateInput()} | {
            field: _DateTimeInput() for field in WINDOW_FIELDS
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
        return data


class PrecheckFilterForm(forms.Form):
    school: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("学校"), queryset=None, required=False, empty_label=_("全部学校")
    )
    due = forms.ChoiceField(label=_("注册类型"), required=False)
    suggestion = forms.ChoiceField(label=_("建议结论"), required=False)
    reason = forms.ChoiceField(label=_("原因"), required=False)
    q = forms.CharField(label=_("姓名或证书编号"), required=False, max_length=64)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        school_field = self.fields["school"]
        assert isinstance(school_field, forms.ModelChoiceField)
        school_field.queryset = precheck_school_choices(user=user)
        due_field = self.fields["due"]
        assert isinstance(due_field, forms.ChoiceField)
        due_field.choices = [("", _("全部"))] + [
            (due, DUE_LABELS[due]) for due in (Due.FIRST, Due.PERIODIC, Due.AFTER_DEFERRAL)
        ]
        suggestion_field = self.fields["suggestion"]
        assert isinstance(suggestion_field, forms.ChoiceField)
        suggestion_field.choices = [("", _("全部")), *SUGGESTION_LABELS.items()]
        reason_field = self.fields["reason"]
        assert isinstance(reason_field, forms.ChoiceField)
        reason_field.choices = [("", _("全部"))] + [
            (code, REASON_LABELS[code]) for code in DUE_TO_APPLY_REASONS
        ]

    def filters(self) -> PrecheckFilters:
        """The valid filters; an invalid value is dropped, never an error page."""
        if not self.is_bound:
            return PrecheckFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        school = data.get("school")
        return PrecheckFilters(
            school=school.pk if school is not None else None,
            due=data.get("due") or "",
            suggestion=data.get("suggestion") or "",
            reason=data.get("reason") or "",
            q=(data.get("q") or "").strip(),
        )


class PrecheckExportForm(forms.Form):
    purpose = forms.CharField(
        label=_("导出用途"),
        min_length=4,
        max_length=200,
        help_text=_("导出记录将写入审计日志，文件带有导出人和导出时间。"),
    )
    fmt = forms.ChoiceField(
        label=_("文件格式"), choices=[(fmt, fmt.upper()) for fmt in EXPORT_FORMATS], initial="xlsx"
    )
    # The screen's filters travel with the request.
    school = forms.IntegerField(required=False, widget=forms.HiddenInput)
    due = forms.CharField(required=False, widget=forms.HiddenInput)
    suggestion = forms.CharField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def filters(self, *, user: User) -> PrecheckFilters:
        """Re-validate the carried filters as the screen does."""
        data = {
            key: self.cleaned_data.get(key) or "" for key in ("school", "due", "suggestion", "reason", "q")
        }
        return PrecheckFilterForm(data, user=user).filters()
