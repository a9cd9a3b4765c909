"""Labels of the fields a certificate's history records."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

FIELD_LABELS = {
    "remark": _("备注"),
    "subject": _("任教学科"),
    "holder_name": _("姓名"),
    "last_conclusion": _("注册结论"),
    "registered_on": _("注册日期"),
    "valid_from": _("注册有效期起"),
    "valid_to": _("注册有效期止"),
    "status": _("证书状态"),
}


@register.filter
def history_field(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))
