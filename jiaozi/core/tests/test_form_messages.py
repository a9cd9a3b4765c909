"""Error summaries are never empty and speak plain Chinese (issue 9, item 7): the
summary lists every error with its field's label, and Django's own wording ("确保该变量
至少包含 17 字符") is replaced by the project's (jiaozi/locale/zh_Hans)."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import translation


class NumberForm(forms.Form):
    number = forms.CharField(label="证书编号", min_length=17, max_length=17)
    year = forms.IntegerField(label="年度", min_value=2000)
    kind = forms.ChoiceField(label="材料类型", choices=[("a", "甲")])
    version = forms.IntegerField(widget=forms.HiddenInput)


def bound() -> NumberForm:
    form = NumberForm({"number": "2015", "year": "1999", "kind": "z", "version": "x"})
    assert not form.is_valid()
    return form


@pytest.mark.parametrize("template", ["includes/form.html", "includes/form_errors.html"])
def test_the_summary_names_every_field_with_its_message(template: str) -> None:
    with translation.override("zh-hans"):
        html = render_to_string(template, {"form": bound()})
    summary = html[html.index("请更正以下问题后再提交") :]
    summary = summary[: summary.index("</ul>")]
    assert summary.count("<li>") == 4  # three visible fields and the hidden one
    for label in ("证书编号", "年度", "材料类型"):
        assert f">{label}</a>：" in summary
    assert 'href="#id_number"' in summary


def test_django_messages_are_plain_chinese() -> None:
    with translation.override("zh-hans"):
        errors = bound().errors
        required = NumberForm({}).errors["number"][0]
    text = " ".join(str(m) for messages in errors.values() for m in messages)
    assert "确保" not in text
    assert "变量" not in text
    assert "至少应填写 17 个字符，现在是 4 个。" in text
    assert "不能小于 2000。" in text
    assert "请从列表中选择。" in text
    assert required == "此项必须填写。"


def test_english_keeps_djangos_english() -> None:
    with translation.override("en"):
        messages = [str(m) for m in NumberForm({}).errors["number"]]
    assert messages == ["This field is required."]
