"""Forms of the sign-in and staff pages. They only parse input; the services decide.
A form declares exactly the fields a page may change, so extra posted fields (role,
institution, is_superuser, …) are never read (SECURITY 10)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiaozi.orgs.models import Institution

from .permissions import FILER_ROLES, PROVINCE_ONLY_ROLES
from .roles import HOLDERS, RANK, Role, can_hold
from .services import PHONE_RE, USERNAME_RE

if TYPE_CHECKING:
    from .models import User

# Above this many institutions the picker becomes a code box: a province has thousands
# of schools, too many for a drop-down.
INSTITUTION_SELECT_LIMIT = 500

StrOrPromise = str | Promise


class BootstrapMixin:
    """Bootstrap 5 classes on every widget (no inline styles: CSP)."""

    fields: dict[str, forms.Field]

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class LoginForm(BootstrapMixin, forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class TokenForm(BootstrapMixin, forms.Form):
    token = forms.CharField(
        label=_("动态口令"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
                "class": "form-control-lg jz-otp-input",
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("动态口令由6位数字组成。"))
        return token


class PasswordChangeForm(BootstrapMixin, forms.Form):
    old_password = forms.CharField(
        label=_("原密码"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    @staticmethod
    def rules() -> list[str]:
        return list(password_validators_help_texts())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password2") != data.get("new_password1"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


def _institution_widget(queryset: QuerySet[Institution], *, blank_label: StrOrPromise) -> forms.Widget:
    """A drop-down of the visible institutions, or a code box when there are too many.
    The field itself takes a code, so a code outside the list still reaches the
    service, which answers 403 (SECURITY 6) rather than a vague "invalid choice"."""
    rows = list(queryset.values_list("code", "name")[: INSTITUTION_SELECT_LIMIT + 1])
    if len(rows) > INSTITUTION_SELECT_LIMIT:
        return forms.TextInput(attrs={"placeholder": _("输入机构代码")})
    return forms.Select(choices=[("", blank_label)] + [(code, f"{name}（{code}）") for code, name in rows])


def role_choices_for(actor: User) -> list[tuple[str, StrOrPromise]]:
    """Roles the actor could file somewhere; the institution narrows it further."""
    if getattr(actor, "role", None) not in FILER_ROLES:
        return []
    return [
        (value, label)
        for value, label in Role.choices
        if RANK[value] <= RANK[actor.role]
        and (value not in PROVINCE_ONLY_ROLES or actor.role == Role.PROVINCE_ADMIN)
    ]


class StaffFieldsMixin:
    cleaned_data: dict[str, Any]

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if not PHONE_RE.match(phone):
            raise forms.ValidationError(_("手机号应为11位中国大陆手机号码。"))
        return phone


class StaffCreateForm(StaffFieldsMixin, BootstrapMixin, forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), max_length=64)
    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        help_text=_("用于回避本人申请的审核和三员分立核对，加密保存。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    post = forms.CharField(label=_("职务"), max_length=64, help_text=_("如：教务处干事、人事科科长"))
    username = forms.CharField(
        label=_("用户名"),
        max_length=32,
        help_text=_("字母开头，3至32位字母、数字、下划线、点或连字符。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    institution = forms.CharField(label=_("所属机构"), max_length=32)

    def __init__(self, *args: Any, actor: User, institutions: QuerySet[Institution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any role parses; the drop-down offers only those the actor may file, and the
        # service refuses the rest with 403.
        self.fields["role"].widget.choices = [("", _("请选择角色")), *role_choices_for(actor)]
        self.fields["institution"].widget = _institution_widget(institutions, blank_label=_("请选择机构"))
        # Which roles each listed institution can hold (kind, level), for the page to
        # narrow the role list as soon as an institution is chosen, and for clean() to
        # say so on the form instead of the service refusing after submission.
        self._offered = {value for value, _label in role_choices_for(actor)}
        self._holders = {
            code: (kind, level)
            for code, kind, level in institutions.values_list("code", "kind", "level")[
                : INSTITUTION_SELECT_LIMIT + 1
            ]
        }
        self.fields["role"].widget.attrs["data-jz-role-holders"] = json.dumps(
            {role: sorted(f"{k}:{lv or ''}" for k, lv in holders) for role, holders in HOLDERS.items()}
        )
        self.fields["institution"].widget.attrs["data-jz-institution-kinds"] = json.dumps(
            {code: f"{kind}:{level}" for code, (kind, level) in self._holders.items()}
        )
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, code = data.get("role"), (data.get("institution") or "").strip()
        # A role the actor may not file at all goes on to the service, which answers 403
        # and audits the attempt (SECURITY 6); the form only guides honest choices.
        if role in self._offered and code in self._holders:
            kind, level = self._holders[code]
            if not can_hold(role, kind=kind, level=level):
                self.add_error(
                    "role",
                    _("所选机构不能设置“%(role)s”角色，请改选角色或机构。") % {"role": Role(role).label},
                )
        return data

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if not USERNAME_RE.match(username):
            raise forms.ValidationError(
                _("用户名须以字母开头，由3至32位字母、数字、下划线、点或连字符组成。")
            )
        return username


class StaffUpdateForm(StaffFieldsMixin, BootstrapMixin, forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), max_length=64)
    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        required=False,
        help_text=_("不修改请留空；尚未登记的须补录。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        help_text=_("不修改请留空。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    post = forms.CharField(label=_("职务"), max_length=64)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean_phone(self) -> str:
        if not self.cleaned_data["phone"].strip():
            return ""
        return super().clean_phone()


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("停用原因"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：调离、退休、离岗。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ResetPasswordForm(BootstrapMixin, forms.Form):
    reset_otp = forms.BooleanField(label=_("同时重置动态口令（用于更换或遗失手机）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class StaffFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("姓名或用户名"), required=False, max_length=64)
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部角色")), *Role.choices])
    active = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), ("1", _("启用")), ("0", _("停用"))]
    )
    institution = forms.CharField(label=_("机构（含下级）"), required=False, max_length=32)

    def __init__(self, *args: Any, institutions: QuerySet[Institution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].widget = _institution_widget(institutions, blank_label=_("全部机构"))
        self._style()

    def active_value(self) -> bool | None:
        value = self.cleaned_data.get("active") if self.is_valid() else ""
        return {"1": True, "0": False}.get(value or "")
