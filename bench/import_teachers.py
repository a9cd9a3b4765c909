"""Benchmark: import of 100,000 teachers with all sheets (PRODUCT.md §10: ≤ 60 s, with a
row-level error report).

Generates the §12 workbook the way Excel saves one (shared strings, dates as
date-formatted numbers) — 100,000 teachers with a certificate each, five annual and
five ethics appraisals, about ten training records and a few breaks per teacher, ~2.3
million rows — into the work directory, then times ``import_teachers`` end to end
(reading, validation, writing, commit) into the scratch database. A second run of the
same file (everything unchanged: the re-import path) is timed too, and a third file
with one bad row shows that a rejected file writes nothing.

Through the registry: ``python bench/run.py import_teachers [--teachers N]``
(SQLite, and PostgreSQL when BENCH_DATABASE_URL / --postgres is set). Alone:
``python bench/import_teachers.py [--teachers N]`` uses a scratch SQLite file.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

TITLE = "Teacher import (import_teachers, §12 template, all sheets)"
TARGET_SECONDS = 60.0
DEFAULT_TEACHERS = 100_000
SEED = 20241231

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建文斌宇浩凯健俊帆帅旭宁龙林欣颖雪梅琳晨"
SUBJECTS = (
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "历史",
    "地理",
    "政治",
    "音乐",
    "体育",
    "美术",
    "信息技术",
    "科学",
)
PROGRAMMES = tuple(
    f"{name}（{year}）"
    for year in range(2019, 2025)
    for name in (
        "国培计划",
        "省培计划",
        "校本研修",
        "暑期集中培训",
        "班主任培训",
        "信息技术应用能力提升",
        "师德师风专题",
        "心理健康教育培训",
        "学科骨干教师研修",
    )
)
QUALIFICATIONS = (("初级中学", "3"), ("小学", "2"), ("高级中学", "4"), ("幼儿园", "1"), ("中等职业学校", "5"))
STAGES = ("小学", "初中", "高中", "完全中学", "九年一贯制", "幼儿园", "中职")
POSTS = ("专任教师",) * 16 + ("双肩挑", "实验教学", "心理健康教育", "其他")
EMPLOYMENTS = ("公办在编",) * 12 + ("公办聘用同等待遇", "民办聘用", "民办聘用", "其他")
REASONS = (("产假", "是"), ("病假", "是"), ("脱产进修", "是"), ("事假", "否"), ("未经批准离岗", "否"))
EXCEL_EPOCH = dt.date(1899, 12, 30)


# --- A minimal Excel-like .xlsx writer ---------------------------------------------------

_COLUMNS = [chr(65 + i) for i in range(26)]


class _Date:
    __slots__ = ("serial",)

    def __init__(self, day: dt.date) -> None:
        self.serial = (day - EXCEL_EPOCH).days


class XlsxWriter:
    """Writes sheets the way Excel does: strings in a shared table, dates as numbers with
    a date style. Streams each sheet into the zip; the string table is written last."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.strings: dict[str, int] = {}
        self.sheets: list[str] = []

    def sheet(self, name: str, rows: Iterable[list[Any]]) -> int:
        index = len(self.sheets) + 1
        self.sheets.append(name)
        strings = self.strings
        count = 0
        with self.zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            buffer: list[str] = []
            for row_no, row in enumerate(rows, start=1):
                cells = []
                for col, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    ref = f"{_COLUMNS[col]}{row_no}"
                    if isinstance(value, str):
                        si = strings.get(value)
                        if si is None:
                            si = strings[value] = len(strings)
                        cells.append(f'<c r="{ref}" t="s"><v>{si}</v></c>')
                    elif isinstance(value, _Date):
                        cells.append(f'<c r="{ref}" s="1"><v>{value.serial}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                buffer.append(f'<row r="{row_no}">{"".join(cells)}</row>')
                count += 1
                if len(buffer) >= 5000:
                    out.write("".join(buffer).encode())
                    buffer = []
            out.write("".join(buffer).encode())
            out.write(b"</sheetData></worksheet>")
        return count - 1

    def close(self) -> None:
        z = self.zip
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            chunk: list[str] = []
            for text in self.strings:
                chunk.append(f"<si><t>{escape(text)}</t></si>")
                if len(chunk) >= 10000:
                    out.write("".join(chunk).encode())
                    chunk = []
            out.write("".join(chunk).encode())
            out.write(b"</sst>")
        sheets = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(self.sheets, 1)
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        n = len(self.sheets)
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml'
            '/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + sheets
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships">'
            + rels
            + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/styles" Target="styles.xml"/>'
            + f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        z.writestr(
            "xl/styles.xml",
            '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>",
        )
        z.close()


# --- The data ---------------------------------------------------------------------------------


def _check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def generate(path: Path, *, teachers: int, counties: list[str], bad_row: bool = False) -> dict[str, int]:
    """Write the workbook; returns the row count per sheet."""
    from jiaozi.teachers.importing.columns import ANNUAL, BREAKS, ETHICS, SCHOOLS, SHEETS, TEACHERS, TRAINING

    rng = random.Random(SEED)
    n_schools = max(1, teachers // 100)
    schools = [
        (f"{counties[i % len(counties)]}{8000 + i // len(counties):04d}", counties[i % len(counties)])
        for i in range(n_schools)
    ]
    people: list[tuple[str, str, str]] = []  # (resident ID, sex, school code)
    used: set[str] = set()
    for i in range(teachers):
        code, county = schools[i % n_schools]
        while True:
            birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(12000))
            sex = "男" if rng.random() < 0.35 else "女"
            seq = rng.randrange(500) * 2 + (1 if sex == "男" else 0)
            rid = _check(f"{county}{birth:%Y%m%d}{seq:03d}")
            if rid not in used:
                used.add(rid)
                break
        people.append((rid, sex, code))

    def school_rows() -> Iterator[list[Any]]:
        yield list(SHEETS[SCHOOLS].headers)
        for index, (code, county) in enumerate(schools):
            yield [
                code,
                f"基准学校{index + 1:04d}",
                county,
                "公办" if index % 7 else "民办",
                STAGES[index % len(STAGES)],
                "",
            ]

    # A 民办 school employs no 公办在编 teacher (the import refuses that row).
    private = {code for index, (code, _county) in enumerate(schools) if not index % 7}

    def employment(code: str) -> str:
        chosen = rng.choice(EMPLOYMENTS)
        return "民办聘用" if chosen == "公办在编" and code in private else chosen

    def teacher_rows() -> Iterator[list[Any]]:
        yield list(SHEETS[TEACHERS].headers)
        for i, (rid, sex, code) in enumerate(people):
            qualification, digit = QUALIFICATIONS[i % len(QUALIFICATIONS)]
            year = 2000 + i % 20
            number = f"{year}34{1 + i % 90:03d}{digit}{'1' if sex == '男' else '2'}{i + 1:06d}"
            kind = i % 10
            if kind < 7:  # registered, valid to the end of 2024
                conclusion, start, end = "合格", _Date(dt.date(2019, 12, 1)), _Date(dt.date(2024, 11, 30))
            elif kind == 7:
                conclusion, start, end = "暂缓注册", None, None
            else:  # never registered
                conclusion, start, end = "", None, None
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            yield [
                rid,
                name,
                sex,
                f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                code,
                rng.choice(POSTS),
                employment(code),
                number,
                qualification,
                SUBJECTS[i % len(SUBJECTS)],
                "有效",
                _Date(dt.date(year, 8, 31)),
                conclusion,
                start,
                end,
                "" if i % 50 else "不适合",
            ]
            if bad_row and i == teachers // 2:
                # One bad row: a resident ID with a wrong check digit.
                bad = rid[:-1] + ("0" if rid[-1] != "0" else "1")
                yield [bad, name, sex, "", code, "专任教师", "公办在编", "", "", "", "", "", "", "", "", ""]

    def annual_rows() -> Iterator[list[Any]]:
        yield list(SHEETS[ANNUAL].headers)
        grades = ("优秀", "合格", "合格", "合格", "合格", "合格", "基本合格", "不合格")
        for rid, _sex, _code in people:
            for year in range(2019, 2024):
                yield [rid, year, rng.choice(grades)]

    def ethics_rows() -> Iterator[list[Any]]:
        yield list(SHEETS[ETHICS].headers)
        for rid, _sex, _code in people:
            for year in range(2019, 2024):
                yield [rid, year, "合格" if rng.random() < 0.995 else "不合格"]

    def training_rows() -> Iterator[list[Any]]:
        yield list(SHEETS[TRAINING].headers)
        for rid, _sex, _code in people:
            seen = set()
            for _ in range(rng.randint(8, 12)):
                day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000))
                programme = rng.choice(PROGRAMMES)
                if (day, programme) in seen:
                    continue
                seen.add((day, programme))
                yield [rid, _Date(day), rng.choice((8, 12, 16, 24, 36, 48, 72)), programme]

    def break_rows() -> Iterator[list[Any]]:
        yield list(SHEETS[BREAKS].headers)
        for rid, _sex, _code in people:
            starts = set()
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(1800))
                if start in starts:
                    continue
                starts.add(start)
                reason, approved = rng.choice(REASONS)
                yield [
                    rid,
                    _Date(start),
                    _Date(start + dt.timedelta(days=rng.randint(20, 300))),
                    reason,
                    approved,
                ]

    writer = XlsxWriter(path)
    counts = {
        SCHOOLS: writer.sheet(SCHOOLS, school_rows()),
        TEACHERS: writer.sheet(TEACHERS, teacher_rows()),
        ANNUAL: writer.sheet(ANNUAL, annual_rows()),
        ETHICS: writer.sheet(ETHICS, ethics_rows()),
        TRAINING: writer.sheet(TRAINING, training_rows()),
        BREAKS: writer.sheet(BREAKS, break_rows()),
    }
    writer.close()
    return counts


def _counties() -> list[str]:
    from jiaozi.orgs.models import Division

    counties = list(
        Division.objects.filter(level="county", parent_id__in=["340100", "340200"])
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not counties:
        raise RuntimeError("No 合肥/芜湖 counties: run migrate first (orgs loads the Anhui divisions).")
    return counties


def _import(path: Path) -> tuple[float, float, Any, dict[str, float]]:
    """Import ``path``; returns wall seconds, CPU seconds, the result, seconds per sheet."""
    from jiaozi.teachers.services import teacher_import

    started = time.perf_counter()
    last = [started]
    reached: dict[str, float] = {}

    def progress(sheet: str, rows: int) -> None:
        now = time.perf_counter()
        reached[sheet] = now
        if now - last[0] > 5:
            print(f"    … {sheet} {rows:,} rows", flush=True)
            last[0] = now

    cpu = time.process_time()
    result = teacher_import(actor=None, file=path, progress=progress)
    cpu = time.process_time() - cpu
    finished = time.perf_counter()
    per_sheet: dict[str, float] = {}
    previous = started
    for sheet, at in reached.items():
        per_sheet[sheet] = at - previous
        previous = at
    per_sheet["commit"] = finished - previous
    return finished - started, cpu, result, per_sheet


def _row_total(counts: dict[str, dict[str, int]]) -> int:
    return sum(c["rows"] for c in counts.values())


def run(ctx: Any = None) -> dict[str, Any]:
    from jiaozi.teachers.models import AnnualAppraisal, Teacher, TrainingRecord

    options = getattr(ctx, "options", {}) or {}
    teachers = int(options.get("teachers", DEFAULT_TEACHERS))
    workdir = Path(getattr(ctx, "workdir", None) or tempfile.mkdtemp(prefix="jiaozi-bench-import-"))
    backend = getattr(ctx, "backend", "sqlite")
    path = workdir / "teachers.xlsx"
    bad_path = workdir / "teachers-one-bad-row.xlsx"

    started = time.perf_counter()
    sheet_rows = generate(path, teachers=teachers, counties=_counties())
    generated = time.perf_counter() - started
    rows = sum(sheet_rows.values())
    size_mb = path.stat().st_size / 1e6
    print(f"  generated {rows:,} rows ({size_mb:.0f} MB) in {generated:.0f} s", flush=True)

    seconds, cpu, result, per_sheet = _import(path)
    if not result.ok:
        raise RuntimeError(f"benchmark file rejected: {result.errors[:5]}")
    print(f"  imported in {seconds:.1f} s (CPU {cpu:.1f} s)", flush=True)
    assert Teacher.objects.count() == teachers
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    again, _cpu2, result2, _sheets2 = _import(path)
    unchanged = sum(c["unchanged"] for c in result2.counts.values())
    print(f"  re-imported (unchanged) in {again:.1f} s", flush=True)

    generate(bad_path, teachers=teachers, counties=_counties(), bad_row=True)
    appraisals_before = AnnualAppraisal.objects.count()
    training_before = TrainingRecord.objects.count()
    rejected_seconds, _cpu3, rejected, _sheets3 = _import(bad_path)
    print(f"  one-bad-row file rejected in {rejected_seconds:.1f} s", flush=True)
    nothing_written = (
        not rejected.ok
        and AnnualAppraisal.objects.count() == appraisals_before
        and TrainingRecord.objects.count() == training_before
    )
    first = rejected.errors[0] if rejected.errors else None
    for generated_file in (path, bad_path):
        generated_file.unlink(missing_ok=True)

    return {
        "title": TITLE,
        "metrics": [
            {
                "what": f"import {teachers:,} teachers, {rows:,} rows, all sheets",
                "value": f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s)",
                "target": f"≤ {TARGET_SECONDS:.0f} s",
                "ok": seconds <= TARGET_SECONDS,
            },
            {
                "what": "re-import of the same file (all unchanged, nothing written)",
                "value": f"{again:.1f} s",
            },
            {
                "what": "file with one bad row: rejected, nothing written, row-level report",
                "value": f"{rejected_seconds:.1f} s; "
                + (f"{first.sheet} 第{first.row}行 {first.column}：{first.reason}" if first else "no error?"),
                "ok": nothing_written and rejected.error_total == 1,
            },
        ],
        "notes": [
            f"backend {backend}; workbook written like Excel (shared strings, date cells): {size_mb:.0f} MB, "
            + ", ".join(f"{k} {v:,}" for k, v in sheet_rows.items()),
            f"reader: {result.reader}; CPU time of the import {cpu:.1f} s (wall minus CPU is the share of "
            f"the 2 cores taken by other processes, and I/O); peak RSS {peak_mb:.0f} MB; generating the file "
            f"took {generated:.0f} s (not counted)",
            "seconds per sheet (reading, validating and writing): "
            + ", ".join(f"{k} {v:.1f}" for k, v in per_sheet.items()),
            f"re-import counted {unchanged:,} unchanged rows",
        ],
    }


def _standalone(argv: list[str]) -> int:
    """Without bench/run.py: a scratch SQLite database in a temporary directory."""
    teachers = DEFAULT_TEACHERS
    if "--teachers" in argv:
        teachers = int(argv[argv.index("--teachers") + 1])
    workdir = Path(tempfile.mkdtemp(prefix="jiaozi-bench-import-"))
    # Run as a script, bench/ is first on the path, and a bench module may shadow the
    # standard library (bench/queue.py does): the repository root goes there instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DATABASE_URL"] = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    class Ctx:
        options = {"teachers": str(teachers)}
        backend = "sqlite" if os.environ["DATABASE_URL"].startswith("sqlite") else "postgresql"

    Ctx.workdir = workdir  # type: ignore[attr-defined]
    try:
        result = run(Ctx())
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    for metric in result["metrics"]:
        print(f"{metric['what']}: {metric['value']}  (target {metric.get('target', '-')})")
    for note in result["notes"]:
        print("  " + note)
    return 0


if __name__ == "__main__":
    raise SystemExit(_standalone(sys.argv[1:]))
