"""Form of the campaign settings page. It parses and checks input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from ..models import Campaign
from .services import WINDOW_FIELDS
from .windows import window_errors

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
