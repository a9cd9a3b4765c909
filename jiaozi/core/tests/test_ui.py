"""The shared includes and helpers: sorting, pagination, badges, forms, tables."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from jiaozi.core.templatetags.jiaozi_ui import tone_for
from jiaozi.core.ui.tables import Column, ordering_from, paginate

rf = RequestFactory()


def render(source: str, *, request: HttpRequest | None = None, **context: object) -> str:
    template = Template("{% load jiaozi_ui i18n %}" + source)
    if request is not None:
        return template.render(RequestContext(request, context))
    return template.render(Context(context))


def test_ordering_accepts_only_known_keys() -> None:
    allowed = {"name": "real_name", "filed": ("-filed_at", "pk")}

    assert ordering_from(rf.get("/", {"sort": "name"}), allowed=allowed, default="name") == (
        "name",
        ["real_name"],
    )
    assert ordering_from(rf.get("/", {"sort": "-name"}), allowed=allowed, default="name") == (
        "-name",
        ["-real_name"],
    )
    assert ordering_from(rf.get("/", {"sort": "-filed"}), allowed=allowed, default="name") == (
        "-filed",
        ["filed_at", "-pk"],
    )
    assert ordering_from(rf.get("/", {"sort": "password"}), allowed=allowed, default="-name") == (
        "-name",
        ["-real_name"],
    )


def test_paginate_clamps_bad_page_numbers() -> None:
    items = list(range(45))

    assert paginate(rf.get("/", {"page": "99"}), items).number == 3
    assert paginate(rf.get("/", {"page": "abc"}), items).number == 1


def test_status_tones() -> None:
    assert tone_for("valid") == "success"
    assert tone_for("deferred") == "warning"
    assert tone_for("revoked") == "danger"
    assert tone_for("something-new") == "neutral"
    assert tone_for(None) == "neutral"


def test_status_badge_shows_words_and_tone() -> None:
    html = render('{% include "includes/status_badge.html" with status="revoked" label="已撤销" %}')

    assert "jz-badge-danger" in html
    assert "已撤销" in html
    assert render('{% include "includes/status_badge.html" with status="x" label="y" tone="info" %}').count(
        "jz-badge-info"
    )


def test_pagination_keeps_filters_and_sort() -> None:
    request = rf.get("/list/", {"city": "340100", "sort": "-name", "page": "2"})
    page_obj = paginate(request, list(range(100)))

    html = render(
        '{% include "includes/pagination.html" with page_obj=page_obj %}', request=request, page_obj=page_obj
    )

    assert "共 100 条" in html
    assert "?city=340100&amp;sort=-name&amp;page=3" in html
    assert "?city=340100&amp;sort=-name&amp;page=1" in html


def test_sort_header_toggles_direction_and_resets_page() -> None:
    request = rf.get("/list/", {"q": "张", "sort": "name", "page": "4"})

    html = render('{% include "includes/sort_th.html" with field="name" label="姓名" %}', request=request)

    assert 'aria-sort="ascending"' in html
    assert "?q=%E5%BC%A0&amp;sort=-name" in html
    assert "page=" not in html


def test_data_table_renders_rows_and_empty_state() -> None:
    columns = [Column("姓名", "name", sortable=True), Column("机构")]
    row = Template("<tr><td>{{ row.0 }}</td><td>{{ row.1 }}</td></tr>")
    source = (
        '{% include "includes/data_table.html" with columns=columns rows=rows '
        'row_template=row empty_message="没有教师" %}'
    )

    filled = render(source, request=rf.get("/"), columns=columns, rows=[("张三", "庐阳区教育局")], row=row)
    empty = render(source, request=rf.get("/"), columns=columns, rows=[], row=row)

    assert "<td>张三</td>" in filled
    assert 'aria-sort="none"' in filled
    assert "没有教师" in empty
    assert 'colspan="2"' in empty


class SampleForm(forms.Form):
    name = forms.CharField(label="姓名", help_text="与身份证一致")
    stage = forms.ChoiceField(label="学段", choices=[("a", "小学")], required=False)
    agree = forms.BooleanField(label="同意", required=False)


def test_form_include_marks_required_and_links_errors() -> None:
    form = SampleForm(data={"name": ""})
    form.is_valid()

    html = render('{% include "includes/form.html" with form=form %}', form=form)

    assert "请更正以下问题后再提交" in html
    assert html.count('class="jz-required"') == 1
    assert 'aria-describedby="id_name_errors id_name_helptext"' in html
    assert 'id="id_name_errors"' in html
    assert "is-invalid" in html
    assert 'class="form-select"' in html
    assert "form-check-input" in html
