"""The stamped 《教师资格定期注册申请表》 (periodic registration application form) as a PDF.

§5 Completion writes the conclusion into this form with the institution's seal; §7 puts
a QR code on it that leads to the public verification page. This module only renders:
a ``RegistrationFormData`` in, PDF bytes out. It touches no database and no Django
setting, so the registration workflow, a Celery worker and ``bench/pdf.py`` call it alike.

Choices (docs/decisions/0070-0073):
- The font, the drawn seal and the QR code are the stamped-paper pieces every
  document shares (``jiaozi.certificates.pdf``, docs/decisions/0139): Chinese text is
  real text in the standard ``STSong-Light`` CID font unless a province configured an
  embedded TrueType font.
- The form always speaks Chinese, whatever the reader's UI language: it is the official
  paper form, so its labels are plain strings here, not gettext messages.
- The stamped form carries the full resident ID, as the paper form does (it is filed
  into the teacher's record); ``mask_resident_id=True`` gives a copy for other uses.
- The seal is drawn, never an image of a real seal: a red ring, the institution's name
  on an arc, a star and the words "注册专用章 · 系统生成".
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from reportlab.lib.colors import black
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from jiaozi.certificates.pdf import (
    current_font,
    draw_qr,
    draw_seal,
    text_width,
    wrap_text,
)
from jiaozi.core.masking import mask_resident_id

# --- Vocabulary -----------------------------------------------------------------
# Codes are those of jiaozi.teachers.models and jiaozi.certificates.models (a test
# keeps them in step); the texts are the official form's wording.

SEX_TEXT = {"male": "男", "female": "女"}
POST_TEXT = {
    "full_time": "专任教师",
    "dual": "双肩挑",
    "lab": "实验教学",
    "mental_health": "心理健康教育",
    "young_pioneers": "少先队工作",
    "edu_it": "教育信息化运维",
    "other": "其他",
}
QUALIFICATION_TYPE_TEXT = {
    "1": "幼儿园",
    "2": "小学",
    "3": "初级中学",
    "4": "高级中学",
    "5": "中等职业学校",
    "6": "中职实习指导",
    "7": "高等学校",
}
CONCLUSION_TEXT = {"qualified": "注册合格", "deferred": "暂缓注册", "unqualified": "注册不合格"}
REGISTRATION_TYPE_TEXT = {"first": "首次注册", "periodic": "定期注册"}
APPRAISAL_GRADE_TEXT = {"excellent": "优秀", "qualified": "合格", "basic": "基本合格", "failed": "不合格"}
ETHICS_RESULT_TEXT = {"passed": "合格", "failed": "不合格"}

# The appraisal rows have one column per year of the five-year cycle (§4).
CYCLE_YEARS = 5
# Opinions longer than this would not fit their box; the workflow's forms cap reasons
# at the same length, so nothing is ever cut off on paper.
OPINION_MAX_CHARS = 120
BREAKS_MAX_LINES = 3

FORM_TITLE = "教师资格定期注册申请表"


# --- Input ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YearGrade:
    """One appraisal year: ``grade`` is an AppraisalGrade code for annual appraisals,
    an EthicsResult code for ethics appraisals."""

    year: int
    grade: str


@dataclass(frozen=True, slots=True)
class BreakPeriod:
    """A break from teaching (中止任教) inside the cycle."""

    start: dt.date
    end: dt.date
    reason: str
    approved: bool


@dataclass(frozen=True, slots=True)
class ReviewOpinion:
    """One level's opinion: what it said, who said it, when."""

    opinion: str
    institution: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class RegistrationFormData:
    """Everything printed on the form. Plain values only; codes are validated so a
    wrong code fails loudly instead of printing an empty cell on an official form."""

    form_number: str
    applicant_name: str
    sex: str  # Sex code: male / female
    resident_id: str
    birth_date: dt.date
    school: str
    post: str  # PostType code
    certificate_number: str
    qualification_type: str  # QualificationType digit
    subject: str
    registration_type: str  # first / periodic
    annual_appraisals: tuple[YearGrade, ...]
    ethics_appraisals: tuple[YearGrade, ...]
    training_hours: Decimal
    breaks: tuple[BreakPeriod, ...]
    school_opinion: ReviewOpinion | None
    county_opinion: ReviewOpinion | None
    city_opinion: ReviewOpinion | None
    province_opinion: ReviewOpinion | None
    conclusion: str  # Conclusion code: qualified / deferred / unqualified
    valid_from: dt.date | None
    valid_to: dt.date | None
    seal_institution: str  # the registration authority, whose seal is drawn
    registered_on: dt.date
    verification_url: str
    generated_on: dt.date
    mask_resident_id: bool = False

    def __post_init__(self) -> None:
        _check_code("sex", self.sex, SEX_TEXT)
        _check_code("post", self.post, POST_TEXT)
        _check_code("qualification_type", self.qualification_type, QUALIFICATION_TYPE_TEXT)
        _check_code("registration_type", self.registration_type, REGISTRATION_TYPE_TEXT)
        _check_code("conclusion", self.conclusion, CONCLUSION_TEXT)
        for name, rows, vocabulary in (
            ("annual_appraisals", self.annual_appraisals, APPRAISAL_GRADE_TEXT),
            ("ethics_appraisals", self.ethics_appraisals, ETHICS_RESULT_TEXT),
        ):
            if len(rows) > CYCLE_YEARS:
                raise ValueError(f"{name}: at most {CYCLE_YEARS} years")
            for row in rows:
                _check_code(name, row.grade, vocabulary)
        for name in ("applicant_name", "school", "certificate_number", "seal_institution", "form_number"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} is required")
        for opinion in (self.school_opinion, self.county_opinion, self.city_opinion, self.province_opinion):
            if opinion is not None and len(opinion.opinion) > OPINION_MAX_CHARS:
                raise ValueError(f"an opinion is limited to {OPINION_MAX_CHARS} characters")
        # Only 注册合格 gives a validity (§4); the others must not print one.
        if self.conclusion == "qualified":
            if self.valid_from is None or self.valid_to is None or self.valid_to < self.valid_from:
                raise ValueError("注册合格 needs a validity with valid_from <= valid_to")
        elif self.valid_from is not None or self.valid_to is not None:
            raise ValueError("only 注册合格 carries a validity")
        if urlsplit(self.verification_url).scheme not in {"http", "https"}:
            raise ValueError("verification_url must be an absolute http(s) URL")
        if self.training_hours < 0:
            raise ValueError("training_hours must not be negative")


def _check_code(name: str, value: str, vocabulary: dict[str, str]) -> None:
    if value not in vocabulary:
        raise ValueError(f"{name}: unknown code {value!r}")


# --- Formatting -------------------------------------------------------------------


def format_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def format_hours(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def breaks_text(breaks: Sequence[BreakPeriod]) -> str:
    if not breaks:
        return "无"
    lines = []
    for item in breaks:
        approval = "已批准" if item.approved else "未批准"
        reason = f"，{item.reason}" if item.reason else ""
        days = (item.end - item.start).days + 1
        lines.append(f"{format_date(item.start)}至{format_date(item.end)}（{days}天{reason}，{approval}）")
    return "\n".join(lines)


# --- Drawing ----------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 45.0
RIGHT = PAGE_WIDTH - 45.0
TABLE_WIDTH = RIGHT - LEFT
LABEL_WIDTH = 80.0
PAD = 5.0
BODY_SIZE = 10.5
SMALL_SIZE = 8.5
NOTE_SIZE = 9.0
ROW = 26.0
QR_SIZE = 78.0
TABLE_TOP = PAGE_HEIGHT - 105.0
CONCLUSION_ROW = 44.0
AUTHORITY_ROW = 52.0
CONCLUSION_HEIGHT = CONCLUSION_ROW + AUTHORITY_ROW
# Below the table: a gap, the QR code and the bottom margin.
BOTTOM_RESERVED = 14.0 + QR_SIZE + 20.0
OPINION_SIZES = (10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
OPINION_MIN_HEIGHT = 56.0
# Column widths of the four personal-data rows (label, value, label, value, label, value).
GRID = (LABEL_WIDTH, 112.0, 60.0, 80.0, 60.0, TABLE_WIDTH - LABEL_WIDTH - 112.0 - 60.0 - 80.0 - 60.0)


class _Page:
    """Collects the table's strokes and strings and writes them as one path and one
    text object: a few hundred operators instead of a few hundred reportlab objects,
    which is most of what keeps a form at a few milliseconds."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.c = canvas
        self.font = font
        self.y = 0.0
        self.strokes: list[str] = []
        self.text = canvas.beginText()
        self._size = 0.0

    def rect(self, x: float, y: float, width: float, height: float) -> None:
        self.strokes.append(f"{x:.2f} {y:.2f} {width:.2f} {height:.2f} re")

    def string(self, x: float, y: float, text: str, size: float = BODY_SIZE, align: str = "left") -> None:
        if size != self._size:
            self.text.setFont(self.font, size)
            self._size = size
        if align == "center":
            x -= text_width(text, self.font, size) / 2
        elif align == "right":
            x -= text_width(text, self.font, size)
        self.text.setTextOrigin(x, y)
        self.text.textOut(text)

    def cell(
        self,
        x: float,
        y_top: float,
        width: float,
        height: float,
        text: str,
        *,
        size: float = BODY_SIZE,
        align: str = "center",
    ) -> None:
        """A bordered cell with its text vertically centred, shrunk to fit one line
        or wrapped when shrinking is not enough."""
        self.rect(x, y_top - height, width, height)
        if not text:
            return
        inner = width - 2 * PAD
        longest = max(text.splitlines(), key=lambda line: text_width(line, self.font, 1))
        while size > 7.5 and text_width(longest, self.font, size) > inner:
            size -= 0.5
        lines = wrap_text(text, self.font, size, inner)
        leading = size * 1.25
        first_baseline = y_top - height / 2 + (len(lines) - 1) * leading / 2 - size * 0.35
        for index, line in enumerate(lines):
            baseline = first_baseline - index * leading
            if align == "center":
                self.string(x + width / 2, baseline, line, size, "center")
            else:
                self.string(x + PAD, baseline, line, size)

    def row(self, cells: Sequence[tuple[float, str]], height: float = ROW) -> None:
        x = LEFT
        for width, text in cells:
            self.cell(x, self.y, width, height, text)
            x += width
        self.y -= height

    def flush(self) -> None:
        self.c.setLineWidth(0.7)
        self.c.setStrokeColor(black)
        self.c.addLiteral("\n".join([*self.strokes, "S"]))
        self.c.setFillColor(black)
        self.c.drawText(self.text)


def render_registration_form(data: RegistrationFormData) -> bytes:
    """The stamped form as PDF bytes (one A4 page). Same data → same bytes."""
    font = current_font()
    buffer = io.BytesIO()
    # invariant: no clock-dependent ids or dates inside, so a stored SHA-256 of the
    # file identifies it and tests may compare bytes.
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(f"{FORM_TITLE}（{data.form_number}）")
    canvas.setAuthor(data.seal_institution)
    canvas.setSubject(FORM_TITLE)
    canvas.setCreator("Jiaozi 教资")
    page = _Page(canvas, font)
    _draw_heading(page, data)
    page.y = TABLE_TOP
    table_top = page.y
    _draw_personal_rows(page, data)
    _draw_cycle_rows(page, data)
    _draw_opinions(page, data)
    seal_row_centre = _draw_conclusion(page, data)
    table_bottom = page.y
    _draw_footer(page, data, table_bottom - 14.0)
    page.flush()
    # The outer border is heavier, as on the printed form.
    canvas.setLineWidth(1.4)
    canvas.rect(LEFT, table_bottom, TABLE_WIDTH, table_top - table_bottom, stroke=1, fill=0)
    draw_seal(canvas, font, data.seal_institution, RIGHT - 100.0, seal_row_centre + 4.0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_heading(page: _Page, data: RegistrationFormData) -> None:
    c = page.c
    title = c.beginText()
    title.setFont(page.font, 20)
    # A CID font has no bold face: fill and stroke the glyphs for the title's weight.
    title.setTextRenderMode(2)
    width = text_width(FORM_TITLE, page.font, 20)
    title.setTextOrigin((PAGE_WIDTH - width) / 2, PAGE_HEIGHT - 66.0)
    title.textOut(FORM_TITLE)
    # The render mode is text state and outlives the text object: reset it.
    title.setTextRenderMode(0)
    c.setLineWidth(0.5)
    c.drawText(title)
    page.string(LEFT, PAGE_HEIGHT - 96.0, "（依据《中小学教师资格定期注册暂行办法》）", SMALL_SIZE)
    page.string(RIGHT, PAGE_HEIGHT - 96.0, f"编号：{data.form_number}", NOTE_SIZE, "right")


def _draw_personal_rows(page: _Page, data: RegistrationFormData) -> None:
    g = GRID
    resident_id = mask_resident_id(data.resident_id) if data.mask_resident_id else data.resident_id
    page.row(
        [
            (g[0], "姓名"),
            (g[1], data.applicant_name),
            (g[2], "性别"),
            (g[3], SEX_TEXT[data.sex]),
            (g[4], "出生日期"),
            (g[5], format_date(data.birth_date)),
        ]
    )
    page.row(
        [
            (g[0], "身份证号码"),
            (g[1] + g[2] + g[3], resident_id),
            (g[4], "注册类型"),
            (g[5], REGISTRATION_TYPE_TEXT[data.registration_type]),
        ]
    )
    page.row(
        [
            (g[0], "工作单位"),
            (g[1] + g[2] + g[3], data.school),
            (g[4], "岗位类别"),
            (g[5], POST_TEXT[data.post]),
        ]
    )
    page.row(
        [
            (g[0], "资格种类"),
            (g[1], QUALIFICATION_TYPE_TEXT[data.qualification_type]),
            (g[2], "任教学科"),
            (g[3], data.subject),
            (g[4], "证书编号"),
            (g[5], data.certificate_number),
        ]
    )


def _draw_cycle_rows(page: _Page, data: RegistrationFormData) -> None:
    column = (TABLE_WIDTH - LABEL_WIDTH) / CYCLE_YEARS
    half = ROW * 0.85
    for label, rows, vocabulary in (
        ("年度考核", data.annual_appraisals, APPRAISAL_GRADE_TEXT),
        ("师德考核", data.ethics_appraisals, ETHICS_RESULT_TEXT),
    ):
        page.cell(LEFT, page.y, LABEL_WIDTH, 2 * half, label)
        ordered = sorted(rows, key=lambda row: row.year)
        for index in range(CYCLE_YEARS):
            x = LEFT + LABEL_WIDTH + index * column
            year = f"{ordered[index].year}年" if index < len(ordered) else ""
            grade = vocabulary[ordered[index].grade] if index < len(ordered) else ""
            page.cell(x, page.y, column, half, year, size=NOTE_SIZE)
            page.cell(x, page.y - half, column, half, grade)
        page.y -= 2 * half
    value_width = TABLE_WIDTH - LABEL_WIDTH
    page.row(
        [(LABEL_WIDTH, "培训学时"), (value_width, f"本注册周期累计 {format_hours(data.training_hours)} 学时")]
    )
    lines = wrap_text(breaks_text(data.breaks), page.font, BODY_SIZE, value_width - 2 * PAD)
    if len(lines) > BREAKS_MAX_LINES:
        lines = [*lines[: BREAKS_MAX_LINES - 1], f"等共 {len(data.breaks)} 段，详见注册材料"]
    height = max(ROW, len(lines) * BODY_SIZE * 1.3 + 2 * PAD)
    page.cell(LEFT, page.y, LABEL_WIDTH, height, "中止任教情况")
    page.cell(LEFT + LABEL_WIDTH, page.y, value_width, height, "\n".join(lines), align="left")
    page.y -= height


OPINION_LABELS = (
    ("school_opinion", "学校审查意见"),
    ("county_opinion", "县级审核意见\n（注册结论）"),
    ("city_opinion", "市级复核意见"),
    ("province_opinion", "省级终审意见"),
)


def _draw_opinions(page: _Page, data: RegistrationFormData) -> None:
    """The four opinions, in the largest type size at which they all fit above the
    conclusion rows and the footer; OPINION_MAX_CHARS guarantees the smallest does."""
    value_width = TABLE_WIDTH - LABEL_WIDTH
    available = page.y - CONCLUSION_HEIGHT - BOTTOM_RESERVED
    layout: list[tuple[str, ReviewOpinion | None, list[str], float]] = []
    size = OPINION_SIZES[0]
    for size in OPINION_SIZES:
        layout = []
        for attribute, label in OPINION_LABELS:
            opinion: ReviewOpinion | None = getattr(data, attribute)
            # A chain without a city level (省直管县, province-level reviewers) says so.
            text = opinion.opinion if opinion is not None else "（本级无需审核）"
            lines = wrap_text(text, page.font, size, value_width - 2 * PAD)
            height = max(OPINION_MIN_HEIGHT, len(lines) * size * 1.35 + 2 * PAD + 20.0)
            layout.append((label, opinion, lines, height))
        if sum(row[3] for row in layout) <= available:
            break
    leading = size * 1.35
    for label, opinion, lines, height in layout:
        page.cell(LEFT, page.y, LABEL_WIDTH, height, label)
        page.rect(LEFT + LABEL_WIDTH, page.y - height, value_width, height)
        baseline = page.y - PAD - size
        for line in lines:
            page.string(LEFT + LABEL_WIDTH + PAD, baseline, line, size)
            baseline -= leading
        if opinion is not None:
            signature = f"{opinion.institution}（盖章）    {format_date(opinion.date)}"
            page.string(RIGHT - PAD, page.y - height + PAD + 2.0, signature, NOTE_SIZE, "right")
        page.y -= height


def _draw_conclusion(page: _Page, data: RegistrationFormData) -> float:
    """The conclusion, the validity and the registration authority; returns the
    vertical centre of the authority row, where the seal goes."""
    conclusion_width = 150.0
    label_width = 64.0
    value_width = TABLE_WIDTH - LABEL_WIDTH - conclusion_width - label_width
    if data.conclusion == "qualified":
        validity = f"{format_date(data.valid_from)}至{format_date(data.valid_to)}"
    else:
        validity = "——"
    height = CONCLUSION_ROW
    x = LEFT
    for width, text, size in (
        (LABEL_WIDTH, "注册结论", BODY_SIZE),
        (conclusion_width, CONCLUSION_TEXT[data.conclusion], 16.0),
        (label_width, "注册有效期", BODY_SIZE),
        (value_width, validity, BODY_SIZE),
    ):
        page.cell(x, page.y, width, text=text, height=height, size=size)
        x += width
    page.y -= height
    height = AUTHORITY_ROW
    page.row(
        [
            (LABEL_WIDTH, "注册机构"),
            (conclusion_width, data.seal_institution),
            (label_width, "注册日期"),
            (value_width, format_date(data.registered_on)),
        ],
        height,
    )
    return page.y + height / 2


def _draw_footer(page: _Page, data: RegistrationFormData, top: float) -> None:
    qr_x = RIGHT - QR_SIZE
    draw_qr(page.c, data.verification_url, qr_x, top - QR_SIZE, QR_SIZE)
    parts = urlsplit(data.verification_url)
    lookup = f"{parts.scheme}://{parts.netloc}/verify/"
    hint = (
        "核验说明：用手机扫描右侧二维码，可查看本表注册结论的核验页面；"
        f"也可访问 {lookup} ，凭证书编号和姓名查询注册状态。"
    )
    notes = [
        *wrap_text(hint, page.font, NOTE_SIZE, qr_x - LEFT - 12.0),
        f"生成日期：{format_date(data.generated_on)}",
        "本表由教师资格管理信息系统生成；印章为系统绘制的电子图形，以核验结果为准。",
    ]
    baseline = top - NOTE_SIZE - 2.0
    for line in notes:
        page.string(LEFT, baseline, line, NOTE_SIZE)
        baseline -= NOTE_SIZE * 1.5
