"""The audit viewer's filter form (GET only; it changes nothing)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, AuditKind
from .selectors import EventQuery


class EventFilterForm(forms.Form):
    kind = forms.TypedChoiceField(
        label=_("事件"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("全部"))],
    )
    outcome = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *AuditEvent.Outcome.choices]
    )
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Chosen from the reader's jurisdiction, not typed as a code (issue 9, item 9).
    institution = forms.ChoiceField(label=_("机构"), required=False, choices=[("", _("全部"))])
    include_subordinates = forms.BooleanField(label=_("含下级机构"), required=False)
    actor = forms.CharField(label=_("操作人用户名"), required=False, max_length=64)

    def __init__(self, *args: Any, institutions: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institution = self.fields["institution"]
        assert isinstance(institution, forms.ChoiceField)
        institution.choices = [("", _("全部")), *(institutions or [])]
        # Built here, not at import: other apps append kinds to AuditKind.
        kind = self.fields["kind"]
        assert isinstance(kind, forms.TypedChoiceField)
        kind.choices = [("", _("全部")), *sorted(AuditKind.choices)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return cleaned

    def query(self) -> EventQuery:
        data = self.cleaned_data
        return EventQuery(
            kind=data.get("kind"),
            outcome=data.get("outcome") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            institution_code=(data.get("institution") or "").strip(),
            include_subordinates=bool(data.get("include_subordinates")),
            actor_username=(data.get("actor") or "").strip(),
        )
