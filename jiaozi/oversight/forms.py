"""Forms of the oversight pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SpotCheck, SpotCheckItem


class DrawForm(forms.Form):
    campaign = forms.TypedChoiceField(label=_("定期注册工作"), coerce=int)
    title = forms.CharField(label=_("抽查名称"), max_length=128)
    mode = forms.ChoiceField(
        label=_("抽样方式"), choices=SpotCheck.Mode.choices, initial=SpotCheck.Mode.PERCENT
    )
    size = forms.IntegerField(label=_("抽取数量"), required=False, min_value=1)
    percent = forms.DecimalField(label=_("抽取比例（%）"), required=False, max_digits=5, decimal_places=2)
    seed = forms.CharField(
        label=_("随机种子"),
        max_length=64,
        required=False,
        help_text=_("留空则由系统随机生成并记录；使用相同的种子可复现同一样本。"),
    )

    def __init__(self, *args: object, campaigns: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["campaign"].choices = campaigns  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    items = forms.TypedMultipleChoiceField(label=_("样本"), coerce=int)
    assignee = forms.TypedChoiceField(label=_("核查人"), coerce=int)

    def __init__(
        self, *args: object, items: list[tuple[int, str]], checkers: list[tuple[int, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["items"].choices = items  # type: ignore[attr-defined]
        self.fields["assignee"].choices = checkers  # type: ignore[attr-defined]


RECORD_CHOICES = [
    (SpotCheckItem.Outcome.CONFIRMED.value, SpotCheckItem.Outcome.CONFIRMED.label),
    (SpotCheckItem.Outcome.CORRECTED.value, SpotCheckItem.Outcome.CORRECTED.label),
    (SpotCheckItem.Outcome.IRREGULAR.value, SpotCheckItem.Outcome.IRREGULAR.label),
]


class FindingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("核查结果"), choices=RECORD_CHOICES)
    finding = forms.CharField(label=_("核查情况"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class RevokeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.ChoiceField(
        label=_("撤销事项"),
        choices=[("registration", _("撤销本次定期注册")), ("certificate", _("撤销教师资格证书"))],
    )
    reason = forms.CharField(label=_("撤销原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)
    confirm = forms.BooleanField(label=_("我已核实，确认撤销（撤销后公开核验立即显示）"))


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    conclusion = forms.CharField(label=_("抽查总结"), widget=forms.Textarea(attrs={"rows": 3}))
