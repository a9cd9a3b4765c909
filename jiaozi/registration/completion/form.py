"""The stamped 《教师资格定期注册申请表》 (periodic registration application form) as a PDF.

§5 Completion writes the conclusion into this form with each level's seal; §7 puts a
QR code on it that leads to the public verification page. This module only renders:
a ``RegistrationFormData`` in, PDF bytes out. It touches no database and no Django
setting, so the registration workflow, a Celery worker and ``bench/pdf.py`` call it alike.
What goes in is the filed snapshot (``completion.snapshot``), never live records.

Choices (docs/decisions/0070-0073, 0253):
- The font, the drawn seal and the QR code are the stamped-paper pieces every
  document shares (``jiaozi.certificates.pdf``, docs/decisions/0139): Chinese text is
  real text in the standard ``STSong-Light`` CID font unless a province configured an
  embedded TrueType font.
- The form always speaks Chinese, whatever the reader's UI language: it is the official
  paper form, so its labels are plain strings here, not gettext messages.
- The stamped form carries the full resident ID, as the paper form does (it is filed
  into the teacher's record); ``mask_resident_id=True`` gives a copy for other uses.
- Every field of the national form is printed; a fact the system does not hold prints
  as 无记录, never as an invented value. Opinions print exactly as recorded.
- Each level that decided gets its own drawn seal (never an image of a real seal) in
  the right-hand part of its own opinion box, which no text enters.
- The table flows: the applicant's part on the first page, the opinions, conclusion
  and QR code after it; a box that does not fit starts a new page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from reportlab.lib.colors import black
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from jiaozi.certificates.pdf import (
    SEAL_RADIUS,
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
HEALTH_TEXT = {"fit": "健康", "unfit": "不适合从事教育教学工作"}

# What the form prints for a fact the system does not hold.
NO_RECORD = "无记录"

# The appraisal rows have one column per year of the five-year cycle (§4).
CYCLE_YEARS = 5
# The workflow caps every written opinion at this length (transition_checks.REASON_MAX);
# the form prints it whole, however long.
OPINION_MAX_CHARS = 500
BREAKS_MAX_LINES = 6

FORM_TITLE = "教师资格定期注册申请表"

COMMITMENT = (
    "本人承诺：以上所填信息及所提交的材料真实、准确、完整。如有虚假，本人愿承担相应责任，"
    "并接受注册机构作出的处理。"
)

# The three review levels above the school, with their seals' captions.
SEAL_CAPTIONS = {
    "school": "学校审查章",
    "registration": "注册专用章",
    "city": "市级复核章",
    "province": "省级终审章",
}


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
    """One level's opinion: what it recorded, the deciding institution, when."""

    opinion: str
    institution: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class PreviousRegistration:
    """The certificate's registration record before this application (上次注册)."""

    registered_on: dt.date | None
    conclusion: str  # Conclusion code, or "" when none is recorded
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True, slots=True)
class RegistrationFormData:
    """Everything printed on the form. Plain values only; codes are validated so a
    wrong code fails loudly instead of printing an empty cell on an official form.
    Text fields left empty print as 无记录."""

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
    seal_institution: str  # the registration authority
    registered_on: dt.date
    verification_url: str
    generated_on: dt.date
    mask_resident_id: bool = False
    # The label of the registration authority's opinion, by its real level and kind.
    registration_label: str = "县级审核意见"
    # The cycle's appraisal years; empty: the five calendar years before R's year.
    appraisal_years: tuple[int, ...] = ()
    training_hours_required: Decimal | None = None
    # The national form's fields; "" / None where the system holds nothing.
    ethnicity: str = ""
    political_status: str = ""
    education: str = ""
    degree: str = ""
    professional_title: str = ""
    work_started_on: dt.date | None = None
    teaching_started_on: dt.date | None = None
    teaching_stage: str = ""
    post_title: str = ""
    phone: str = ""
    address: str = ""
    work_history: str = ""
    health: str = ""  # Health code or ""
    ethics_statement: str = ""
    previous_registration: PreviousRegistration | None = None
    other_certificates: tuple[str, ...] = field(default=())
    has_photo: bool = False

    def __post_init__(self) -> None:
        _check_code("sex", self.sex, SEX_TEXT)
        _check_code("post", self.post, POST_TEXT)
        _check_code("qualification_type", self.qualification_type, QUALIFICATION_TYPE_TEXT)
        _check_code("registration_type", self.registration_type, REGISTRATION_TYPE_TEXT)
        _check_code("conclusion", self.conclusion, CONCLUSION_TEXT)
        if self.health:
            _check_code("health", self.health, HEALTH_TEXT)
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
        if self.appraisal_years and len(self.appraisal_years) != CYCLE_YEARS:
            raise ValueError(f"appraisal_years: exactly {CYCLE_YEARS} years")

    @property
    def cycle_years(self) -> tuple[int, ...]:
        if self.appraisal_years:
            return tuple(sorted(self.appraisal_years))
        last = self.registered_on.year - 1
        return tuple(range(last - CYCLE_YEARS + 1, last + 1))


def _check_code(name: str, value: str, vocabulary: dict[str, str]) -> None:
    if value not in vocabulary:
        raise ValueError(f"{name}: unknown code {value!r}")


# --- Formatting -------------------------------------------------------------------


def format_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def format_hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


def held(text: str) -> str:
    """The text, or 无记录 when the system holds nothing."""
    return text.strip() or NO_RECORD


def held_date(value: dt.date | None) -> str:
    return format_date(value) if value is not None else NO_RECORD


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


def previous_text(previous: PreviousRegistration | None, registration_type: str) -> str:
    if previous is None or (previous.registered_on is None and not previous.conclusion):
        return "无（首次注册）" if registration_type == "first" else NO_RECORD
    parts = [f"注册日期：{held_date(previous.registered_on)}"]
    parts.append(f"结论：{CONCLUSION_TEXT.get(previous.conclusion, NO_RECORD)}")
    if previous.valid_from is not None or previous.valid_to is not None:
        parts.append(f"有效期：{format_date(previous.valid_from)}至{format_date(previous.valid_to)}")
    return "；".join(parts)


def training_text(hours: Decimal, required: Decimal | None) -> str:
    text = f"本注册周期累计 {format_hours(hours)} 学时"
    if required is not None:
        verdict = "达到要求" if hours >= required else "未达到要求"
        text += f"（要求不少于 {format_hours(required)} 学时，{verdict}）"
    return text


# --- Drawing ----------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 45.0
RIGHT = PAGE_WIDTH - 45.0
TABLE_WIDTH = RIGHT - LEFT
LABEL_WIDTH = 80.0
PAD = 5.0
BODY_SIZE = 10.0
SMALL_SIZE = 8.5
NOTE_SIZE = 9.0
ROW = 24.0
QR_SIZE = 78.0
TOP = PAGE_HEIGHT - 50.0
TABLE_TOP = PAGE_HEIGHT - 105.0
BOTTOM = 40.0
CONCLUSION_ROW = 44.0
AUTHORITY_ROW = 36.0
FOOTER_HEIGHT = 14.0 + QR_SIZE
PHOTO_WIDTH = 84.0
# The personal rows beside the photo: label, value, label, value, label, value.
GRID = (64.0, 92.0, 56.0, 72.0, 56.0, TABLE_WIDTH - PHOTO_WIDTH - 64.0 - 92.0 - 56.0 - 72.0 - 56.0)
# The full-width rows below it.
WIDE = (64.0, 148.0, 64.0, 80.0, 56.0, TABLE_WIDTH - 64.0 - 148.0 - 64.0 - 80.0 - 56.0)
# An opinion box: the seal's square on the right, the text and signature to its left.
SEAL_SCALE = 0.82
SEAL_ZONE = 2 * SEAL_RADIUS * SEAL_SCALE + 2 * PAD
OPINION_SIZE = 10.0
OPINION_MIN_HEIGHT = SEAL_ZONE + 2.0


class _Page:
    """Collects a page's strokes and strings and writes them as one path and one text
    object: a few hundred operators instead of a few hundred reportlab objects, which
    is most of what keeps a form at a few milliseconds. Seals are queued and drawn
    over the page's table when it is flushed."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.c = canvas
        self.font = font
        self.y = 0.0
        self.number = 1
        self.seals: list[tuple[str, str, str, float, float]] = []
        self._reset()

    def _reset(self) -> None:
        self.strokes: list[str] = []
        self.text = self.c.beginText()
        self._size = 0.0
        self.frame_top = self.y

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

    def row(self, cells: Sequence[tuple[float, str]], height: float = ROW, x: float = LEFT) -> None:
        self.need(height)
        for width, text in cells:
            self.cell(x, self.y, width, height, text)
            x += width
        self.y -= height

    def need(self, height: float) -> None:
        """Start a new page when ``height`` does not fit above the bottom margin."""
        if self.y - height < BOTTOM:
            if self.table_bottom is None:
                self.table_bottom = self.y
            self.new_page()

    def new_page(self) -> None:
        self.flush()
        self.c.showPage()
        self.number += 1
        self.y = TOP
        self._reset()

    def flush(self) -> None:
        self.c.setLineWidth(0.7)
        self.c.setStrokeColor(black)
        if self.strokes:
            self.c.addLiteral("\n".join([*self.strokes, "S"]))
        self.c.setFillColor(black)
        self.c.drawText(self.text)
        # The outer border of the page's part of the table is heavier, as on paper.
        if self.table_bottom is not None and self.frame_top > self.table_bottom:
            self.c.setLineWidth(1.4)
            self.c.rect(LEFT, self.table_bottom, TABLE_WIDTH, self.frame_top - self.table_bottom, stroke=1)
        for index, (name, caption, key, cx, cy) in enumerate(self.seals):
            form_name = f"JiaoziSeal{key}{self.number}{index}"
            draw_seal(self.c, self.font, name, cx, cy, caption=caption, form_name=form_name, scale=SEAL_SCALE)
        self.seals = []
        self.table_bottom: float | None = None

    table_bottom: float | None = None


def render_registration_form(data: RegistrationFormData) -> bytes:
    """The stamped form as PDF bytes (A4, usually two pages). Same data → same bytes."""
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
    page.frame_top = page.y
    _draw_personal_rows(page, data)
    _draw_record_rows(page, data)
    _draw_cycle_rows(page, data)
    _draw_commitment(page, data)
    page.table_bottom = page.y
    # The reviewers' part starts on a page of its own, as on the national form.
    page.new_page()
    page.string(LEFT, page.y + 8.0, "审核意见及注册结论", BODY_SIZE)
    page.string(RIGHT, page.y + 8.0, f"编号：{data.form_number}", NOTE_SIZE, "right")
    page.y -= 6.0
    page.frame_top = page.y
    _draw_opinions(page, data)
    _draw_conclusion(page, data)
    page.table_bottom = page.y
    page.need(FOOTER_HEIGHT)
    _draw_footer(page, data, page.y - 14.0)
    page.flush()
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
    top = page.y
    page.row(
        [
            (g[0], "姓名"),
            (g[1], data.applicant_name),
            (g[2], "性别"),
            (g[3], SEX_TEXT[data.sex]),
            (g[4], "民族"),
            (g[5], held(data.ethnicity)),
        ]
    )
    page.row(
        [
            (g[0], "出生日期"),
            (g[1], format_date(data.birth_date)),
            (g[2], "政治面貌"),
            (g[3], held(data.political_status)),
            (g[4], "健康状况"),
            (g[5], HEALTH_TEXT.get(data.health, NO_RECORD)),
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
            (g[0], "学历"),
            (g[1], held(data.education)),
            (g[2], "学位"),
            (g[3], held(data.degree)),
            (g[4], "职称"),
            (g[5], held(data.professional_title)),
        ]
    )
    # The photo box beside the four rows: the system holds no photo unless one was filed.
    photo = "照片" if data.has_photo else f"照片\n（{NO_RECORD}）"
    page.cell(RIGHT - PHOTO_WIDTH, top, PHOTO_WIDTH, top - page.y, photo, size=NOTE_SIZE)


def _draw_record_rows(page: _Page, data: RegistrationFormData) -> None:
    w = WIDE
    page.row(
        [
            (w[0], "工作单位"),
            (w[1] + w[2] + w[3], data.school),
            (w[4], "任教学段"),
            (w[5], held(data.teaching_stage)),
        ]
    )
    page.row(
        [
            (w[0], "参加工作时间"),
            (w[1], held_date(data.work_started_on)),
            (w[2], "从事教学时间"),
            (w[3], held_date(data.teaching_started_on)),
            (w[4], "岗位类别"),
            (w[5], POST_TEXT[data.post]),
        ]
    )
    page.row(
        [
            (w[0], "资格种类"),
            (w[1], QUALIFICATION_TYPE_TEXT[data.qualification_type]),
            (w[2], "任教学科"),
            (w[3], held(data.subject)),
            (w[4], "证书编号"),
            (w[5], data.certificate_number),
        ]
    )
    page.row(
        [
            (w[0], "现任职务"),
            (w[1], held(data.post_title)),
            (w[2], "联系电话"),
            (w[3] + w[4] + w[5], held(data.phone)),
        ]
    )
    page.row([(w[0], "通讯地址"), (TABLE_WIDTH - w[0], held(data.address))])
    others = "；".join(data.other_certificates) if data.other_certificates else "无"
    page.row([(w[0], "其他资格证书"), (TABLE_WIDTH - w[0], others)])
    page.row(
        [
            (w[0], "上次注册情况"),
            (TABLE_WIDTH - w[0], previous_text(data.previous_registration, data.registration_type)),
        ]
    )
    _text_box(page, "近五年\n工作经历", held(data.work_history), min_height=2 * ROW, max_lines=8)


def _text_box(
    page: _Page,
    label: str,
    text: str,
    *,
    min_height: float = ROW,
    max_lines: int = 0,
    size: float = BODY_SIZE,
) -> None:
    """A label and a left-aligned, wrapped value as tall as its text."""
    value_width = TABLE_WIDTH - WIDE[0]
    lines = wrap_text(text, page.font, size, value_width - 2 * PAD)
    if max_lines and len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1] + "（详见注册材料）"]
    leading = size * 1.3
    height = max(min_height, len(lines) * leading + 2 * PAD)
    page.need(height)
    page.cell(LEFT, page.y, WIDE[0], height, label)
    page.rect(LEFT + WIDE[0], page.y - height, value_width, height)
    baseline = page.y - PAD - size * 0.9
    if len(lines) * leading + 2 * PAD < height:  # one short line: centred vertically
        baseline = page.y - height / 2 + (len(lines) - 1) * leading / 2 - size * 0.35
    for line in lines:
        page.string(LEFT + WIDE[0] + PAD, baseline, line, size)
        baseline -= leading
    page.y -= height


def _draw_cycle_rows(page: _Page, data: RegistrationFormData) -> None:
    """One column per year of the cycle, whatever is recorded: a year without a
    record says so in its own column."""
    label_width = WIDE[0]
    column = (TABLE_WIDTH - label_width) / CYCLE_YEARS
    half = ROW * 0.85
    years = data.cycle_years
    for label, rows, vocabulary in (
        ("年度考核", data.annual_appraisals, APPRAISAL_GRADE_TEXT),
        ("师德考核", data.ethics_appraisals, ETHICS_RESULT_TEXT),
    ):
        page.need(2 * half)
        by_year = {row.year: row.grade for row in rows}
        page.cell(LEFT, page.y, label_width, 2 * half, label)
        for index, year in enumerate(years):
            x = LEFT + label_width + index * column
            grade = vocabulary[by_year[year]] if year in by_year else NO_RECORD
            page.cell(x, page.y, column, half, f"{year}年", size=NOTE_SIZE)
            page.cell(x, page.y - half, column, half, grade)
        page.y -= 2 * half
    page.row(
        [
            (label_width, "培训学时"),
            (TABLE_WIDTH - label_width, training_text(data.training_hours, data.training_hours_required)),
        ]
    )
    text = breaks_text(data.breaks)
    if len(data.breaks) > BREAKS_MAX_LINES:
        text = "\n".join(
            [*text.splitlines()[: BREAKS_MAX_LINES - 1], f"等共 {len(data.breaks)} 段，详见注册材料"]
        )
    _text_box(page, "中止任教情况", text)
    _text_box(page, "师德表现", held(data.ethics_statement))


def _draw_commitment(page: _Page, data: RegistrationFormData) -> None:
    value_width = TABLE_WIDTH - WIDE[0]
    lines = wrap_text(COMMITMENT, page.font, BODY_SIZE, value_width - 2 * PAD)
    height = len(lines) * BODY_SIZE * 1.4 + 2 * PAD + 30.0
    page.need(height)
    page.cell(LEFT, page.y, WIDE[0], height, "个人承诺")
    page.rect(LEFT + WIDE[0], page.y - height, value_width, height)
    baseline = page.y - PAD - BODY_SIZE
    for line in lines:
        page.string(LEFT + WIDE[0] + PAD, baseline, line, BODY_SIZE)
        baseline -= BODY_SIZE * 1.4
    page.string(
        RIGHT - PAD,
        page.y - height + PAD + 4.0,
        "申请人签名：________________        年    月    日",
        BODY_SIZE,
        "right",
    )
    page.y -= height


def _split_label(label: str) -> str:
    """A long level label (市级主管部门审核意见) on two lines, broken before 审核意见."""
    if len(label) > 6 and label.endswith("审核意见"):
        return f"{label[:-4]}\n审核意见"
    return label


def opinion_rows(data: RegistrationFormData) -> list[tuple[str, str, ReviewOpinion | None]]:
    """(level key, label, opinion) of the four review levels, in chain order."""
    return [
        ("school", "学校审查意见", data.school_opinion),
        ("registration", f"{_split_label(data.registration_label)}\n（注册结论）", data.county_opinion),
        ("city", "市级复核意见", data.city_opinion),
        ("province", "省级终审意见", data.province_opinion),
    ]


def _draw_opinions(page: _Page, data: RegistrationFormData) -> None:
    """Each level's box: its opinion as recorded on the left, its institution and date
    under it, its seal alone in the right-hand square; a level that did not decide
    (a chain without a city step) says so and gets no seal."""
    value_width = TABLE_WIDTH - LABEL_WIDTH
    text_width_ = value_width - SEAL_ZONE - 2 * PAD
    size = OPINION_SIZE
    leading = size * 1.35
    for key, label, opinion in opinion_rows(data):
        text = opinion.opinion if opinion is not None else "（本级无需审核）"
        lines = wrap_text(text, page.font, size, text_width_) if text else []
        signature_room = 2 * NOTE_SIZE + 8.0 if opinion is not None else 0.0
        height = max(OPINION_MIN_HEIGHT, len(lines) * leading + 2 * PAD + signature_room)
        page.need(height)
        page.cell(LEFT, page.y, LABEL_WIDTH, height, label)
        page.rect(LEFT + LABEL_WIDTH, page.y - height, value_width, height)
        baseline = page.y - PAD - size
        for line in lines:
            page.string(LEFT + LABEL_WIDTH + PAD, baseline, line, size)
            baseline -= leading
        if opinion is not None:
            text_right = RIGHT - SEAL_ZONE - PAD
            bottom = page.y - height + PAD + 2.0
            page.string(
                text_right, bottom + NOTE_SIZE * 1.4, f"{opinion.institution}（盖章）", NOTE_SIZE, "right"
            )
            page.string(text_right, bottom, format_date(opinion.date), NOTE_SIZE, "right")
            centre_x = RIGHT - SEAL_ZONE / 2
            centre_y = page.y - height / 2
            page.seals.append((opinion.institution, SEAL_CAPTIONS[key], key, centre_x, centre_y))
        page.y -= height


def _draw_conclusion(page: _Page, data: RegistrationFormData) -> None:
    """The conclusion, the validity and the registration authority (its seal is on
    its opinion box above: nothing here is covered)."""
    conclusion_width = 150.0
    label_width = 64.0
    value_width = TABLE_WIDTH - LABEL_WIDTH - conclusion_width - label_width
    if data.conclusion == "qualified":
        validity = f"{format_date(data.valid_from)}至{format_date(data.valid_to)}"
    else:
        validity = "——"
    page.need(CONCLUSION_ROW + AUTHORITY_ROW)
    x = LEFT
    for width, text, size in (
        (LABEL_WIDTH, "注册结论", BODY_SIZE),
        (conclusion_width, CONCLUSION_TEXT[data.conclusion], 16.0),
        (label_width, "注册有效期", BODY_SIZE),
        (value_width, validity, BODY_SIZE),
    ):
        page.cell(x, page.y, width, text=text, height=CONCLUSION_ROW, size=size)
        x += width
    page.y -= CONCLUSION_ROW
    page.row(
        [
            (LABEL_WIDTH, "注册机构"),
            (conclusion_width, data.seal_institution),
            (label_width, "注册日期"),
            (value_width, format_date(data.registered_on)),
        ],
        AUTHORITY_ROW,
    )


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
        hint,
        f"核验链接：{data.verification_url}",
        f"生成日期：{format_date(data.generated_on)}",
        "本表由教师资格管理信息系统生成；印章为系统绘制的电子图形，以核验结果为准。",
    ]
    lines: list[str] = []
    for note in notes:
        lines.extend(wrap_text(note, page.font, NOTE_SIZE, qr_x - LEFT - 12.0))
    baseline = top - NOTE_SIZE - 2.0
    for line in lines:
        page.string(LEFT, baseline, line, NOTE_SIZE)
        baseline -= NOTE_SIZE * 1.5
    page.y = min(baseline, top - QR_SIZE)
