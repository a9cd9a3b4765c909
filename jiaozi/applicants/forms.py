"""Forms of the applicant area. They parse input and give field-level messages early;
the services decide. Each form declares exactly the fields a page may change, so a
posted ``status``, ``conclusion`` or ``applicant`` is never read (SECURITY 10)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils.translation import gettext_lazy as _

from jiaozi.core.errors import ValidationFailed
from jiaozi.registration.applications.materials import max_bytes
from jiaozi.registration.models import Material
from jiaozi.registration.transitions import REASON_MAX

from . import services

PASSWORD_MAX = 256


def _domain(check: Any, value: str) -> str:
    """Run a service's clean_* check and turn its error into a field error."""
    try:
        return str(check(value))
    except ValidationFailed as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None


class SignupForm(forms.Form):
    real_name = forms.CharField(
        label=_("姓名"),
        max_length=30,
        help_text=_("与身份证上的姓名一致。"),
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        help_text=_("18位居民身份证号码，末位的X大小写均可。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    phone = forms.CharField(
        label=_("手机号"),
        max_length=11,
        min_length=11,
        help_text=_("用于接收审核进度短信和找回密码。"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )
    password1 = forms.CharField(
        label=_("设置密码"),
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        label=_(
            "我已阅读并同意《个人信息处理规则》，同意为办理教师资格定期注册处理我的姓名、身份证号、手机号及教师档案信息。"
        ),
        required=True,
        error_messages={"required": _("请阅读并同意《个人信息处理规则》后再注册。")},
    )

    @staticmethod
    def rules() -> list[str]:
        return list(password_validators_help_texts())

    def clean_real_name(self) -> str:
        return _domain(services.clean_real_name, self.cleaned_data["real_name"])

    def clean_resident_id(self) -> str:
        return _domain(services.clean_resident_id, self.cleaned_data["resident_id"])

    def clean_phone(self) -> str:
        return _domain(services.clean_phone, self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class LoginForm(forms.Form):
    # Named "username" on purpose: django-axes masks that field in what it stores of a
    # failed attempt, and an ID or phone number typed here must not be kept in clear.
    username = forms.CharField(
        label=_("身份证号 / 手机号 / 用户名"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LinkForm(forms.Form):
    number = forms.CharField(
        label=_("教师资格证书编号"),
        max_length=24,
        help_text=_("17位数字，印在教师资格证书内页“证书编号”处。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_number(self) -> str:
        return _domain(services.clean_certificate_number, self.cleaned_data["number"])


class ApplicationForm(forms.Form):
    """The fields of the application the applicant fills in (application_update_draft)."""

    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        help_text=_("手机号或带区号的固定电话，审核人员需要核实情况时会拨打。"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )
    post = forms.CharField(
        label=_("现任岗位（职务）"),
        max_length=64,
        required=False,
        help_text=_("例如：初中语文教师、班主任。"),
    )
    address = forms.CharField(label=_("通讯地址"), max_length=200, required=False)
    work_history = forms.CharField(
        label=_("近五年工作经历"),
        required=False,
        max_length=2000,
        help_text=_("按时间顺序填写任教学校、起止年月和岗位，每段一行。"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    notes = forms.CharField(
        label=_("个人说明"),
        required=False,
        max_length=2000,
        help_text=_("需要向审核人员说明的情况，例如培训学时记录缺失、中止任教的原因等。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# What a teacher uploads: not the 定期注册申请表, which the system produces at completion.
UPLOAD_KINDS = [(k, label) for k, label in Material.Kind.choices if k != Material.Kind.APPLICATION_FORM]


class MaterialForm(forms.Form):
    """One file and its kind. ``form_id`` puts the fields in another form (HTML
    ``form=``): on the application page, the step-1 form, so an upload carries the
    typed text with it."""

    kind = forms.ChoiceField(label=_("材料类型"), choices=[("", _("请选择材料类型")), *UPLOAD_KINDS])
    file = forms.FileField(
        label=_("选择文件"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args: Any, form_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if form_id:
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id
        mb = f"{max_bytes() / (1024 * 1024):g}"
        self.fields["file"].help_text = _("PDF、JPG或PNG格式，每个文件不超过%(mb)s MB。") % {"mb": mb}


class ActionForm(forms.Form):
    """Submit, resubmit or withdraw: the action and the version the page showed."""

    action = forms.ChoiceField(
        choices=[("submit", "submit"), ("resubmit", "resubmit"), ("withdraw", "withdraw")]
    )
    version = forms.IntegerField(min_value=1)


class ReviewRequestForm(forms.Form):
    """申请复核 (§5): the reasons, the version the page showed and, optionally, one
    file of evidence (more can follow through the API)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("申请复核的理由"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明您认为结论应当改变的事实和依据，复核机关将据此审查。"),
    )
    evidence = forms.FileField(
        label=_("证明材料"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mb = f"{max_bytes() / (1024 * 1024):g}"
        self.fields["evidence"].help_text = _(
            "如培训学时证明、考核结果更正文件等；PDF、JPG或PNG格式，不超过%(mb)s MB。"
        ) % {"mb": mb}


class ResetRequestForm(forms.Form):
    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    phone = forms.CharField(
        label=_("注册时填写的手机号"),
        max_length=11,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )


class ResetConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    @staticmethod
    def rules() -> list[str]:
        return list(password_validators_help_texts())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password2") != data.get("new_password1"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class IdentityReclaimForm(forms.Form):
    """The school's page for a teacher whose resident ID somebody else registered."""

    resident_id = forms.CharField(
        label=_("教师身份证号"),
        max_length=18,
        help_text=_("按教师本人身份证件原件录入。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )
    identity_checked = forms.BooleanField(
        label=_("已当面核验教师本人身份证件，确认与本校教师档案一致"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("办理原因"),
        max_length=200,
        help_text=_("如：教师本人反映身份证号被他人注册，无法注册和找回密码。"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
