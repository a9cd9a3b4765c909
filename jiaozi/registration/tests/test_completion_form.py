"""The stamped form: real, extractable Chinese text, the right facts, a QR code that
decodes to the verification URL, and input validation. Uses poppler's pdftotext /
pdftoppm / pdfinfo / pdffonts and zbar's zbarimg (apt: poppler-utils, zbar-tools)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import reportlab

from jiaozi.certificates import models as registry
from jiaozi.certificates import pdf as stamped
from jiaozi.registration.completion import form as pdf
from jiaozi.registration.completion.form import BreakPeriod, ReviewOpinion, render_registration_form
from jiaozi.registration.completion.samples import SAMPLE, form_data
from jiaozi.teachers import models as teachers


def run(*command: str, data: bytes | None = None) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()  # noqa: S603


def page_text(document: bytes, number: int) -> str:
    """pdftotext of one page, whitespace removed."""
    out = run("pdftotext", "-f", str(number), "-l", str(number), "-enc", "UTF-8", "-", "-", data=document)
    return re.sub(r"\s+", "", out)


def text_of(document: bytes) -> str:
    """pdftotext of the document, whitespace removed (layout breaks lines anywhere)."""
    return re.sub(r"\s+", "", run("pdftotext", "-enc", "UTF-8", "-", "-", data=document))


def test_name_conclusion_and_labels_are_extractable_text() -> None:
    text = text_of(render_registration_form(SAMPLE))
    assert "欧阳明远" in text
    assert "注册合格" in text
    for label in ("教师资格定期注册申请表", "学校审查意见", "县级审核意见", "市级复核意见", "省级终审意见"):
        assert label in text
    assert "20123401041000123" in text
    assert "2024年09月01日至2029年08月31日" in text
    assert "高级中学" in text
    assert "专任教师" in text
    assert "372.5" in text


def test_a_deferred_form_says_so_and_prints_no_validity() -> None:
    document = render_registration_form(
        form_data(
            conclusion="deferred",
            valid_from=None,
            valid_to=None,
            previous_registration=None,
            county_opinion=ReviewOpinion(
                "培训学时不足，暂缓注册。", "合肥市庐阳区教育体育局", dt.date(2024, 9, 12)
            ),
        )
    )
    text = text_of(document)
    assert "暂缓注册" in text
    assert "注册合格" not in text
    assert "2029年" not in text


def test_the_stamped_form_carries_the_full_resident_id() -> None:
    text = text_of(render_registration_form(SAMPLE))
    assert "34010419900101123X" in text


def test_a_masked_copy_hides_the_middle_of_the_resident_id() -> None:
    text = text_of(render_registration_form(form_data(mask_resident_id=True)))
    assert "34010419900101123X" not in text
    assert "340104********123X" in text


def test_two_a4_pages_with_the_cid_font_not_embedded() -> None:
    """The applicant's part on the first page, the reviewers' on the second."""
    document = render_registration_form(SAMPLE)
    info = run("pdfinfo", "-", data=document)
    assert re.search(r"Pages:\s+2\b", info)
    assert "595.276 x 841.89" in info  # A4
    fonts = run("pdffonts", "-", data=document)
    assert "STSong-Light" in fonts
    assert "UniGB-UCS2-H" in fonts
    first = page_text(document, 1)
    assert "个人承诺" in first
    assert "学校审查意见" not in first
    second = page_text(document, 2)
    assert "学校审查意见" in second
    assert "个人承诺" not in second


def test_same_data_gives_the_same_bytes() -> None:
    assert render_registration_form(SAMPLE) == render_registration_form(SAMPLE)
    assert render_registration_form(SAMPLE) != render_registration_form(form_data(applicant_name="李四"))


def test_the_qr_code_decodes_to_the_verification_url(tmp_path: Path) -> None:
    (tmp_path / "form.pdf").write_bytes(render_registration_form(SAMPLE))
    # The QR code is on the last page, under the conclusion.
    run(
        "pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", "-singlefile",
        str(tmp_path / "form.pdf"), str(tmp_path / "page"),
    )  # fmt: skip
    decoded = run("zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")).strip()
    assert decoded == SAMPLE.verification_url


def _content_streams(document: bytes) -> Iterator[bytes]:
    for raw in re.findall(rb"(?<!end)stream\r?\n(.*?)endstream", document, re.DOTALL):
        try:
            yield zlib.decompressobj().decompress(raw)
        except zlib.error:
            continue


def test_the_qr_runs_drawn_are_those_of_the_matrix() -> None:
    document = render_registration_form(SAMPLE)
    content = b"\n".join(_content_streams(document)).decode("latin-1")
    runs = {tuple(int(v) for v in m) for m in re.findall(r"^(\d+) (\d+) (\d+) 1 re$", content, re.MULTILINE)}
    matrix = stamped.qr_matrix(SAMPLE.verification_url)
    drawn = [[0] * len(matrix) for _ in matrix]
    for column, row, length in runs:
        for offset in range(length):
            drawn[row][column + offset] = 1
    assert drawn == [list(row) for row in matrix]


def test_the_seal_is_drawn_with_the_institution_name() -> None:
    document = render_registration_form(SAMPLE)
    content = b"\n".join(_content_streams(document))
    # The seal is a form XObject (drawn once, placed by reference), not an image.
    assert b"/Subtype /Form" in document
    assert b"/Subtype /Image" not in document
    text = text_of(document)
    assert "注册专用章" in text
    assert "系统生成" in text
    for char in SAMPLE.seal_institution:
        assert char in text
    assert b" Do" in content


def test_longest_opinions_and_many_breaks_print_whole() -> None:
    """Opinions print exactly as recorded, however long (up to the workflow's cap): the
    table flows onto another page rather than cutting one short."""
    long = ("该同志" + "师德表现良好，教育教学成绩突出，" * 40)[: pdf.OPINION_MAX_CHARS]
    breaks = tuple(
        BreakPeriod(dt.date(2020, month, 1), dt.date(2020, month, 20), "病假", approved=month % 2 == 0)
        for month in range(1, 9)
    )
    document = render_registration_form(
        form_data(
            school_opinion=ReviewOpinion(long, "合肥市第一中学", dt.date(2024, 9, 5)),
            county_opinion=ReviewOpinion(long, "合肥市庐阳区教育体育局", dt.date(2024, 9, 12)),
            city_opinion=ReviewOpinion(long, "合肥市教育局", dt.date(2024, 9, 25)),
            province_opinion=ReviewOpinion(long, "安徽省教育厅", dt.date(2024, 10, 8)),
            breaks=breaks,
        )
    )
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", "-", data=document)).group(1))  # type: ignore[union-attr]
    assert pages >= 3
    text = text_of(document)
    assert text.count(long) == 4
    assert "等共8段，详见注册材料" in text
    assert "以核验结果为准" in text  # the footer's last line is still there


def test_a_level_without_an_opinion_says_it_needed_none() -> None:
    text = text_of(render_registration_form(form_data(city_opinion=None)))
    assert "本级无需审核" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sex": "男"}, "sex"),
        ({"post": "teacher"}, "post"),
        ({"qualification_type": "8"}, "qualification_type"),
        ({"registration_type": "renewal"}, "registration_type"),
        ({"conclusion": "passed"}, "conclusion"),
        ({"valid_to": None}, "validity"),
        ({"valid_to": dt.date(2020, 1, 1)}, "validity"),
        ({"conclusion": "unqualified"}, "only 注册合格"),
        ({"applicant_name": " "}, "applicant_name"),
        ({"verification_url": "/verify/abc/"}, "absolute"),
        ({"training_hours": Decimal("-1")}, "negative"),
        (
            {
                "city_opinion": ReviewOpinion(
                    "长" * (pdf.OPINION_MAX_CHARS + 1), "合肥市教育局", dt.date(2024, 9, 1)
                )
            },
            "opinion",
        ),
        ({"annual_appraisals": (pdf.YearGrade(2019, "good"),)}, "annual_appraisals"),
        ({"ethics_appraisals": tuple(pdf.YearGrade(y, "passed") for y in range(2017, 2024))}, "at most"),
    ],
)
def test_bad_data_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        form_data(**changes)


def test_the_vocabulary_matches_the_teachers_and_registry_codes() -> None:
    assert set(pdf.SEX_TEXT) == set(teachers.Sex.values)
    assert set(pdf.POST_TEXT) == set(teachers.PostType.values)
    assert set(pdf.QUALIFICATION_TYPE_TEXT) == set(registry.QualificationType.values)
    assert set(pdf.CONCLUSION_TEXT) == set(registry.Conclusion.values)
    assert set(pdf.APPRAISAL_GRADE_TEXT) == set(teachers.AppraisalGrade.values)
    assert set(pdf.ETHICS_RESULT_TEXT) == set(teachers.EthicsResult.values)
    # Same words as the registry's labels, in Chinese whatever the request language.
    assert {c.value: str(c.label) for c in registry.Conclusion} == pdf.CONCLUSION_TEXT


def test_an_embedded_truetype_font_can_replace_the_cid_font() -> None:
    vera = str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")
    try:
        stamped.register_embedded_font(vera)
        document = render_registration_form(form_data(applicant_name="Ouyang Mingyuan"))
    finally:
        stamped.use_cid_font()
    fonts = run("pdffonts", "-", data=document)
    assert "STSong-Light" not in fonts
    assert re.search(r"Vera\S*\s+TrueType.*\byes\s+yes\b", fonts)
    assert "OuyangMingyuan" in text_of(document)
    # And back to the default.
    assert "STSong-Light" in run("pdffonts", "-", data=render_registration_form(SAMPLE))
