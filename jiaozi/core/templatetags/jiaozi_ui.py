"""Template helpers of the Jiaozi UI: ``{% load jiaozi_ui %}``.

- ``{% workspace_nav as sections %}`` — the user's navigation (see ``jiaozi/core/ui/nav.py``).
- ``{% icon "home" %}`` — an icon from ``static/jiaozi/icons.svg`` (no inline styles, CSP-safe).
- ``{{ status|status_tone }}`` — success / warning / danger / info / neutral for a status code.
- ``{{ form.field|jz_widget }}`` — the widget with Bootstrap classes and ARIA error links.
- ``{% sort_state "name" as s %}`` — ``s.url`` (toggles ascending/descending, keeps filters,
  drops ``page``), ``s.direction`` ("asc", "desc" or ""), ``s.aria`` for ``aria-sort``.
- ``{% filters_active form as n %}`` — how many filters of a GET form are in use.
- ``{% site_organizer %}`` — the 主办单位 shown in footers (setting ``SITE_ORGANIZER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template
from django.conf import settings
from django.core.paginator import Page
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from jiaozi.core.ui.nav import NavSection, build_nav

register = template.Library()

# Status codes used across apps, grouped by what the colour tells the reader.
_TONES: dict[str, frozenset[str]] = {
    "success": frozenset(
        {
            "valid",
            "qualified",
            "approved",
            "active",
            "enabled",
            "filed",
            "passed",
            "issued",
            "open",
            "success",
            "ok",
            "done",
            "completed",
            "confirmed",
            "registered",
        }
    ),
    "warning": frozenset(
        {
            "pending",
            "submitted",
            "in_review",
            "reviewing",
            "deferred",
            "returned",
            "waiting",
            "processing",
            "draft_pending",
            "expiring",
            "rechecking",
            "notice",
            "publicity",
        }
    ),
    "danger": frozenset(
        {
            "revoked",
            "unqualified",
            "rejected",
            "disabled",
            "lost",
            "failed",
            "failure",
            "denied",
            "locked",
            "expired",
            "error",
            "invalid",
            "withdrawn_by_authority",
        }
    ),
    "info": frozenset({"new", "scheduled", "upcoming", "info", "forwarded"}),
}


def tone_for(status: Any) -> str:
    value = str(status or "").strip().lower()
    for tone, statuses in _TONES.items():
        if value in statuses:
            return tone
    return "neutral"


@register.filter
def status_tone(status: Any) -> str:
    return tone_for(status)


@register.simple_tag(takes_context=True)
def workspace_nav(context: template.Context) -> list[NavSection]:
    request = context.get("request")
    if request is None:
        return []
    return build_nav(request.user, path=request.path, active=context.get("nav_active", "") or "")


@register.simple_tag
def icon(name: str, css: str = "") -> SafeString:
    href = f"{static('jiaozi/icons.svg')}#{name}"
    return format_html(
        '<svg class="jz-icon {}" aria-hidden="true" focusable="false"><use href="{}"></use></svg>', css, href
    )


@register.simple_tag
def site_organizer() -> str:
    return getattr(settings, "SITE_ORGANIZER", "") or _("安徽省教育厅")


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.filter
def jz_widget(bound_field: forms.BoundField) -> SafeString:
    """Renders the widget with the theme's classes; errors mark it invalid and are linked
    with ``aria-describedby`` so screen readers read them with the field."""
    widget = bound_field.field.widget
    classes = [widget.attrs.get("class", ""), _widget_class(widget)]
    attrs: dict[str, Any] = {}
    described = []
    if bound_field.errors:
        classes.append("is-invalid")
        attrs["aria-invalid"] = "true"
        described.append(f"{bound_field.auto_id}_errors")
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_helptext")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    attrs["class"] = " ".join(dict.fromkeys(c for c in " ".join(classes).split() if c))
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def filters_active(form: forms.Form) -> int:
    """How many of the form's visible fields carry a value in the request (0 when unbound)."""
    if not form.is_bound:
        return 0
    count = 0
    for field in form.visible_fields():
        value = (
            form.data.getlist(field.html_name)
            if hasattr(form.data, "getlist")
            else form.data.get(field.html_name)
        )
        if any(str(v).strip() for v in (value if isinstance(value, list) else [value]) if v is not None):
            count += 1
    return count


@register.filter
def is_checkbox(bound_field: forms.BoundField) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(bound_field: forms.BoundField) -> bool:
    return isinstance(bound_field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@dataclass(frozen=True)
class SortState:
    url: str
    direction: str
    aria: str


@register.simple_tag(takes_context=True)
def sort_state(context: template.Context, field: str, current: str | None = None) -> SortState:
    """The link and state of a sortable header for ``field``. ``current`` defaults to the
    page's ``sort`` context variable, then ``?sort=``."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else None
    if not current:
        current = context.get("sort") or (params.get("sort", "") if params is not None else "")
    if current == field:
        direction, target = "asc", f"-{field}"
    elif current == f"-{field}":
        direction, target = "desc", field
    else:
        direction, target = "", field
    if params is None:
        return SortState(f"?sort={target}", direction, _aria(direction))
    params["sort"] = target
    params.pop("page", None)
    return SortState(f"?{params.urlencode()}", direction, _aria(direction))


@register.simple_tag
def page_links(page_obj: Page) -> list[int | str]:
    """Page numbers around the current one, with the paginator's ellipsis between gaps."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1))


def _aria(direction: str) -> str:
    return {"asc": "ascending", "desc": "descending"}.get(direction, "none")
