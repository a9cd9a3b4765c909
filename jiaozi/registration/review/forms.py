"""Forms of the reviewer pages: the queue's filters, the batch action (selection,
confirmation) and the actions on one application. They parse and check input — only
the fields each action takes are read, so a posted ``status``, ``conclusion`` or
``institution`` that the action does not take never reaches the service (SECURITY
10). The workflow decides everything else."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.utils import flatatt
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiaozi.certificates.models import Conclusion
from jiaozi.core import idcard

from ..labels import DUE_LABELS, SUGGESTION_LABELS
from ..opinions import default_opinion
from ..rules import Due
from ..transitions import ReturnReason
from ..workflow import Action, Actor, Status
from .selectors import PAGE_SIZES, Level, QueueFilters, Tab, authority_choices, school_choices

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

REASON_MAX = 500
# A batch never holds more than the largest page; the confirmation page repeats the rows.
BATCH_MAX = max(PAGE_SIZES)

APPROVE_ACTIONS = frozenset(
    {Action.SCHOOL_APPROVE, Action.CITY_APPROVE, Action.PROVINCE_APPROVE, Action.DISMISS_OBJECTION}
)

if TYPE_CHECKING:
    from jiaozi.accounts.models import User
RETURN_ACTIONS = frozenset({Action.RETURN_TO_APPLICANT, Action.RETURN_DOWN})


def action_label(action: str, *, level: Level | None = None) -> str:
    """The button label of an action, as a reviewer says it."""
    if action == Action.CONCLUDE and level is not None and level.actor == Actor.REGISTRATION:
        return str(_("作出注册结论"))
    if action == Action.RETURN_DOWN and level is not None:
        return str(RETURN_DOWN_LABELS.get(level.actor, Action(action).label))
    return str(Action(action).label)


RETURN_DOWN_LABELS: dict[str, Any] = {
    Actor.REGISTRATION: _("退回学校重新审查"),
    Actor.CITY: _("退回注册机构重新审核"),
    Actor.PROVINCE: _("退回下一级重新审核"),
}

BATCH_LABELS: dict[str, Any] = {
    Action.SCHOOL_APPROVE: _("审查通过并报送"),
    Action.CONCLUDE: _("注册合格"),
    Action.CITY_APPROVE: _("复核通过并报省"),
    Action.PROVINCE_APPROVE: _("终审通过并备案"),
    Action.RETURN_TO_APPLICANT: _("退回申请人"),
}


def batch_label(action: str, *, level: Level) -> str:
    if action == Action.RETURN_DOWN:
        return action_label(action, level=level)
    return str(BATCH_LABELS.get(action, Action(action).label))


def _reason_choices() -> list[tuple[str, Any]]:
    return [("", _("请选择退回原因")), *ReturnReason.choices]


# --- Queue filters ----------------------------------------------------------------


class QuickSelect(forms.Select):
    """A plain ``<select>`` rendered in Python. Django renders every option through two
    templates; a registration authority's school list has hundreds of options and the
    queue page must answer in 50 ms (docs/decisions/0102). Same markup, same escaping
    (``format_html``), no option groups (the filters have none)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in selected else "", label)  # nosec B308 # a constant literal, no user data
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


def _per_page_text(n: int) -> str:
    return gettext("%(n)s 条") % {"n": n}


_per_page = lazy(_per_page_text, str)


class QueueFilterForm(forms.Form):
    """The queue's GET filters. Invalid values are dropped, never an error page."""

    tab = forms.ChoiceField(choices=Tab.choices, required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("姓名或证书编号")}),
    )
    authority = forms.TypedChoiceField(
        label=_("注册机构"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    school = forms.TypedChoiceField(
        label=_("学校"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    status = forms.ChoiceField(label=_("状态"), required=False, widget=QuickSelect)
    due = forms.ChoiceField(label=_("注册类型"), required=False, widget=QuickSelect)
    suggestion = forms.ChoiceField(label=_("系统建议"), required=False, widget=QuickSelect)
    overdue = forms.BooleanField(label=_("仅看已超期"), required=False)
    mismatch = forms.BooleanField(label=_("结论与建议不一致"), required=False)
    per_page = forms.TypedChoiceField(
        label=_("每页"),
        required=False,
        coerce=int,
        empty_value=None,
        # Lazy per item: built at import, read in the request's language.
        choices=[(n, _per_page(n)) for n in PAGE_SIZES],
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, user: User, level: Level, tab: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level = level
        f = self.fields
        # School staff see their own school only; the county picks among its schools;
        # the city and province pick a registration authority first, then (once one is
        # chosen) among its schools — a province has thousands of schools. Choices are
        # read once and validated against that list (no second query per field).
        if level.actor in (Actor.SCHOOL, Actor.REGISTRATION):
            # Only the rechecking levels see conclusions made below them.
            del f["mismatch"]
        if level.actor == Actor.SCHOOL:
            del f["authority"], f["school"]
        elif level.actor == Actor.REGISTRATION:
            del f["authority"]
            _set_choices(f["school"], school_choices(user=user), _("全部学校"))
        else:
            _set_choices(f["authority"], authority_choices(user=user), _("全部注册机构"))
            chosen = self._raw_int("authority")
            if chosen:
                _set_choices(f["school"], school_choices(user=user, authority=chosen), _("全部学校"))
            else:
                del f["school"]
        status = f["status"]
        assert isinstance(status, forms.ChoiceField)
        if tab == Tab.TODO:
            if len(level.statuses) > 1:
                status.choices = [("", _("全部")), *[(s, Status(s).label) for s in level.statuses]]
            else:
                del f["status"]
        else:
            status.choices = [
                ("", _("全部")),
                *[(s, label) for s, label in Status.choices if s != Status.DRAFT],
            ]
        due = f["due"]
        assert isinstance(due, forms.ChoiceField)
        due.choices = [("", _("全部"))] + [
            (d, DUE_LABELS[d]) for d in (Due.FIRST, Due.PERIODIC, Due.AFTER_DEFERRAL)
        ]
        suggestion = f["suggestion"]
        assert isinstance(suggestion, forms.ChoiceField)
        suggestion.choices = [("", _("全部")), *SUGGESTION_LABELS.items()]

    def _raw_int(self, name: str) -> int | None:
        value = self.data.get(name, "") if self.is_bound else ""
        return int(value) if isinstance(value, str) and value.isdigit() else None

    def filters(self, *, tab: str) -> QueueFilters:
        if not self.is_bound:
            return QueueFilters(tab=tab)
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return QueueFilters(
            tab=tab,
            authority=data.get("authority") or None,
            school=data.get("school") or None,
            status=data.get("status") or "",
            due=data.get("due") or "",
            suggestion=data.get("suggestion") or "",
            overdue=bool(data.get("overdue")),
            q=(data.get("q") or "").strip(),
            mismatch=bool(data.get("mismatch")),
        )

    def page_size(self) -> int:
        if not self.is_bound:
            return PAGE_SIZES[0]
        self.is_valid()
        value = getattr(self, "cleaned_data", {}).get("per_page")
        return value if value in PAGE_SIZES else PAGE_SIZES[0]


def _set_choices(field: forms.Field, institutions: Any, empty: Any) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = [("", empty), *((pk, name) for pk, name in institutions.values_list("pk", "name"))]


class ResidentIdSearchForm(forms.Form):
    """按身份证号查询 — posted, never in a URL (SECURITY 22)."""

    resident_id = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(
            attrs={"placeholder": _("完整的18位身份证号"), "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    tab = forms.ChoiceField(choices=Tab.choices, required=False, widget=forms.HiddenInput)

    def clean_resident_id(self) -> str:
        value = idcard.normalise(self.cleaned_data["resident_id"])
        message = idcard.error_message(value)
        if message:
            raise forms.ValidationError(message, code="invalid_resident_id")
        return value


def parse_tab(value: Any) -> str:
    return value if value in Tab.values else Tab.TODO


# --- Batch ---------------------------------------------------------------------------

_ITEM = re.compile(r"^([0-9]{1,18}):([0-9]{1,9})$")


@dataclass
class BatchRow:
    """One selected application with its reason (shared or its own)."""

    pk: int
    version: int
    reason_code: str = ""
    reason: str = ""
    override_reason: str = ""


@dataclass
class BatchRequest:
    action: str
    rows: list[BatchRow]
    reason_code: str
    reason: str
    override_reason: str
    malformed: int = 0


def parse_items(values: Sequence[str]) -> tuple[list[tuple[int, int]], int]:
    """``["12:3", …]`` (application id, version) → pairs, without duplicates, plus how
    many values were malformed."""
    items: list[tuple[int, int]] = []
    seen: set[int] = set()
    malformed = 0
    for value in values:
        match = _ITEM.match(value or "")
        if match is None:
            malformed += 1
            continue
        pk, version = int(match.group(1)), int(match.group(2))
        if pk not in seen:
            seen.add(pk)
            items.append((pk, version))
    return items, malformed


class BatchForm(forms.Form):
    """The batch request from the queue (step "confirm") and from the confirmation page
    (step "execute"). Items are ``"<id>:<version>"``; a shared reason applies to every
    row unless the row gives its own (``reason_code_<id>``, ``reason_<id>``,
    ``override_reason_<id>`` on the confirmation page)."""

    action = forms.ChoiceField(label=_("批量操作"))
    reason_code = forms.ChoiceField(label=_("退回原因"), required=False)
    reason = forms.CharField(
        label=_("意见或说明"), required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label=_("不采纳系统建议的理由"),
        required=False,
        max_length=REASON_MAX,
        help_text=_("系统建议不是“注册合格”的申请，作出合格结论时必须说明理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, level: Level, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level = level
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", _("请选择操作"))] + [
            (a, batch_label(a, level=level)) for a in level.batch_actions
        ]
        code = self.fields["reason_code"]
        assert isinstance(code, forms.ChoiceField)
        code.choices = _reason_choices()

    def items(self) -> tuple[list[tuple[int, int]], int]:
        values = self.data.getlist("items") if hasattr(self.data, "getlist") else self.data.get("items", [])
        return parse_items(list(values))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        items, _malformed = self.items()
        if not items:
            raise forms.ValidationError(_("请先勾选要处理的申请。"), code="no_items")
        if len(items) > BATCH_MAX:
            raise forms.ValidationError(_("一次最多处理 %(n)s 件申请。") % {"n": BATCH_MAX}, code="too_many")
        return cleaned

    def request(self, *, per_row: bool) -> BatchRequest:
        """The parsed request (after ``is_valid``). ``per_row`` reads each row's own
        reason fields (the confirmation page); without them the shared ones apply."""
        data = self.cleaned_data
        items, malformed = self.items()
        valid_codes = set(ReturnReason.values)
        rows = []
        for pk, version in items:
            row = BatchRow(
                pk=pk,
                version=version,
                reason_code=data.get("reason_code") or "",
                reason=data.get("reason") or "",
                override_reason=data.get("override_reason") or "",
            )
            if per_row:
                code = str(self.data.get(f"reason_code_{pk}", "") or "")
                if code in valid_codes:
                    row.reason_code = code
                own = str(self.data.get(f"reason_{pk}", "") or "").strip()[:REASON_MAX]
                if own:
                    row.reason = own
                override = str(self.data.get(f"override_reason_{pk}", "") or "").strip()[:REASON_MAX]
                if override:
                    row.override_reason = override
            rows.append(row)
        return BatchRequest(
            action=data["action"],
            rows=rows,
            reason_code=data.get("reason_code") or "",
            reason=data.get("reason") or "",
            override_reason=data.get("override_reason") or "",
            malformed=malformed,
        )


# --- One application ---------------------------------------------------------------


class _ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    action = forms.CharField(widget=forms.HiddenInput)

    def service_kwargs(self) -> dict[str, Any]:
        return {}


class ApproveForm(_ActionForm):
    reason = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=REASON_MAX,
        help_text=_("已预填本级的默认意见，可修改；提交后按此记入申请表"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data.get("reason", "").strip()}


class ReasonForm(_ActionForm):
    """An action that needs a written reason (revising a conclusion)."""

    reason = forms.CharField(label=_("理由"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"].strip()}


class ReviewDecisionForm(ReasonForm):
    """申请复核 decided by the level above (§5): upheld or sent back, with the
    reviewing level's opinion, which the applicant reads on the timeline."""

    reason = forms.CharField(
        label=_("复核意见"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("必填；申请人将看到这段意见"),
    )


class ReturnForm(_ActionForm):
    reason_code = forms.ChoiceField(label=_("退回原因"))
    reason = forms.CharField(
        label=_("具体说明"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("请写明需要补正的内容，申请人将看到这段说明")}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["reason_code"]
        assert isinstance(code, forms.ChoiceField)
        code.choices = _reason_choices()

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "reason_code": self.cleaned_data["reason_code"],
            "reason": self.cleaned_data.get("reason", "").strip(),
        }


NEEDS_REASON = frozenset({Conclusion.DEFERRED, Conclusion.UNQUALIFIED})


class ConclusionChoice(forms.RadioSelect):
    """The three conclusions as one row of toggle buttons (Bootstrap ``btn-check``),
    coloured like their badges; still plain radio inputs for keyboards, screen readers
    and a browser without JavaScript."""

    TONES: dict[str, str] = {"qualified": "success", "deferred": "warning", "unqualified": "danger"}

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        base_id = final.get("id") or f"id_{name}"
        selected = {str(v) for v in self.format_value(value)}
        buttons = format_html_join(
            "",
            '<input type="radio" class="btn-check" name="{}" id="{}_{}" value="{}" autocomplete="off"{}{}>'
            '<label class="btn btn-outline-{}" for="{}_{}">{}</label>',
            (
                (
                    name,
                    base_id,
                    index,
                    key,
                    mark_safe(" checked") if str(key) in selected else "",  # nosec B308 # a constant literal, no user data
                    mark_safe(" required") if final.get("required") else "",  # nosec B308 # a constant literal, no user data
                    self.TONES.get(str(key), "secondary"),
                    base_id,
                    index,
                    label,
                )
                for index, (key, label) in enumerate(self.choices)
            ),
        )
        return format_html(
            '<div class="btn-group jz-conclusion" role="group" id="{}">{}</div>', base_id, buttons
        )

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return f"{id_}_0" if id_ else ""


class ConcludeForm(_ActionForm):
    """注册结论: a reason for 暂缓/不合格, and a reason for differing from the
    system's suggestion (the service checks both again)."""

    conclusion = forms.ChoiceField(
        label=_("注册结论"),
        choices=[
            (c, label) for c, label in Conclusion.choices if c in {"qualified", "deferred", "unqualified"}
        ],
        widget=ConclusionChoice,
    )
    reason = forms.CharField(
        label=_("结论说明"),
        required=False,
        max_length=REASON_MAX,
        help_text=_("暂缓注册、注册不合格必须说明理由；注册合格未填写时记录为“经审核，注册合格。”"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=_("不采纳系统建议的理由"),
        required=False,
        max_length=REASON_MAX,
        help_text=_("结论与系统建议不一致时必须填写"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, suggestion: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggestion = suggestion
        if suggestion and not self.is_bound:
            self.fields["conclusion"].initial = suggestion

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        conclusion = cleaned.get("conclusion")
        reason = (cleaned.get("reason") or "").strip()
        # The prefilled 注册合格 opinion is no reason for another conclusion.
        if conclusion in NEEDS_REASON and (
            not reason or reason == default_opinion(Action.CONCLUDE, "qualified")
        ):
            self.add_error("reason", _("暂缓注册或注册不合格须说明理由。"))
        overridden = bool(conclusion and self.suggestion and conclusion != self.suggestion)
        if overridden and not (cleaned.get("override_reason") or "").strip():
            self.add_error(
                "override_reason",
                _("结论与系统建议（%(s)s）不一致，请说明理由。")
                % {"s": SUGGESTION_LABELS.get(self.suggestion, self.suggestion)},
            )
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "conclusion": data["conclusion"],
            "reason": (data.get("reason") or "").strip(),
            "override_reason": (data.get("override_reason") or "").strip(),
        }


def form_class_for(action: str) -> type[_ActionForm]:
    if action == Action.CONCLUDE:
        return ConcludeForm
    if action in RETURN_ACTIONS:
        return ReturnForm
    if action in (Action.REVISE, Action.UPHOLD_OBJECTION):
        return ReasonForm
    if action in (Action.UPHOLD_REVIEW, Action.SEND_BACK_REVIEW):
        return ReviewDecisionForm
    return ApproveForm


# Actions with pages of their own (the notice's publish page and objection handling);
# the detail page links there instead of showing a form.
ELSEWHERE = frozenset({Action.PUBLISH_NOTICE, Action.UPHOLD_OBJECTION, Action.DISMISS_OBJECTION})


def action_form(
    action: str,
    *,
    version: int,
    suggestion: str = "",
    data: Mapping[str, Any] | None = None,
) -> _ActionForm:
    """The form of ``action``; its element ids carry the action, so several forms can
    share a page."""
    cls = form_class_for(action)
    initial: dict[str, Any] = {"version": version, "action": action}
    # §5: the opinion recorded when the reviewer writes none, shown before they confirm.
    if cls is ApproveForm:
        initial["reason"] = default_opinion(action)
    elif cls is ConcludeForm and suggestion == Conclusion.QUALIFIED:
        initial["reason"] = default_opinion(action, suggestion)
    kwargs: dict[str, Any] = {"initial": initial, "auto_id": f"id_{action}_%s"}
    if cls is ConcludeForm:
        kwargs["suggestion"] = suggestion
    return cls(data, **kwargs) if data is not None else cls(**kwargs)
