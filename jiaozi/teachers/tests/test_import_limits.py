"""Zip bombs (issue 14, finding 3): an .xlsx or a .zip of CSV files whose members
inflate beyond the caps is refused with a clear message before it is inflated, and
refused again while it is read if a header understated a size. Nothing is imported."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaozi.accounts.models import User
from jiaozi.core.errors import ValidationFailed
from jiaozi.teachers.importing import limits, xlsx
from jiaozi.teachers.importing.limits import Caps, InflatedTooLarge, Meter
from jiaozi.teachers.models import ImportJob, Teacher
from jiaozi.teachers.services import teacher_import
from jiaozi.teachers.tests.conftest import SCHOOL_A
from jiaozi.teachers.tests.workbook import TemplateBook
from jiaozi.teachers.uploads import import_job_create

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _school(school_a: Any) -> Any:
    # The book's teacher works there: a file that is not refused loads.
    return school_a


def _book() -> TemplateBook:
    book = TemplateBook()
    book.full_teacher(school=SCHOOL_A)
    return book


def _repack(
    data: bytes, *, pad: dict[str, int] | None = None, extra: dict[str, bytes] | None = None
) -> bytes:
    """The zip ``data`` again, with ``pad[name]`` bytes of XML whitespace appended to
    member ``name`` (still well-formed: whitespace may follow the root element) and
    ``extra`` members added. Whitespace deflates about a thousand to one."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if pad and info.filename in pad:
                body += b" " * pad[info.filename]
            dst.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _csv_zip(book: TemplateBook, tmp_path: Path, *, pad: int = 0) -> bytes:
    folder = book.write_csv(tmp_path / "csv")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.iterdir()):
            body = path.read_bytes()
            if path.stem == "教师":
                body += b"\r\n" * (pad // 2)  # blank lines: skipped, but inflated
            z.writestr(path.name, body)
    return out.getvalue()


def _refused(result: Any) -> str:
    assert not result.ok
    assert len(result.errors) == 1
    assert not Teacher.objects.exists()
    return str(result.errors[0].reason)


# --- Declared sizes: refused before inflating ------------------------------------------


def test_a_workbook_part_inflating_past_its_cap_is_refused_before_it_is_read() -> None:
    """The report's file: a small .xlsx whose xl/workbook.xml inflates to 160 MB (here
    24 MiB against the default 16 MiB cap of a part read whole). Refused on its
    declared size, without inflating it: the memory the refusal takes stays small."""
    bomb = _repack(_book().xlsx(), pad={"xl/workbook.xml": 24 * MIB})
    assert len(bomb) < 200_000

    tracemalloc.start()
    try:
        result = teacher_import(actor=None, file=io.BytesIO(bomb), name="bomb.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "文件解压后过大" in _refused(result)
    assert "16 MB" in str(result.errors[0].reason)
    assert peak < 4 * MIB


def test_a_worksheet_past_the_sheet_cap_is_refused(settings: Any) -> None:
    settings.TEACHER_IMPORT_MAX_SHEET_BYTES = 1 * MIB
    bomb = _repack(_book().xlsx(), pad={"xl/worksheets/sheet2.xml": 2 * MIB})

    for fast in (True, False):
        # Neither reader inflates it: the openpyxl fallback is behind the same check.
        from jiaozi.teachers.importing.sources import open_source

        with pytest.raises(InflatedTooLarge) as error:
            open_source(io.BytesIO(bomb), name="bomb.xlsx", fast=fast)
        assert error.value.code == "file_inflated_too_large"
    assert "文件解压后过大" in _refused(teacher_import(actor=None, file=io.BytesIO(bomb), name="b.xlsx"))


def test_the_total_inflated_size_is_capped(settings: Any) -> None:
    settings.TEACHER_IMPORT_MAX_INFLATED_BYTES = 3 * MIB
    # Each member under its own cap (16 MiB), together over the total.
    bomb = _repack(_book().xlsx(), extra={f"docProps/pad{n}.xml": b" " * (2 * MIB) for n in range(2)})

    reason = _refused(teacher_import(actor=None, file=io.BytesIO(bomb), name="b.xlsx"))

    assert "超过 3 MB" in reason


def test_a_zip_of_csv_files_is_capped_too(settings: Any, tmp_path: Path) -> None:
    settings.TEACHER_IMPORT_MAX_SHEET_BYTES = 1 * MIB
    bomb = _csv_zip(_book(), tmp_path, pad=2 * MIB)

    reason = _refused(teacher_import(actor=None, file=io.BytesIO(bomb), name="csv.zip"))

    assert "文件解压后过大" in reason
    # Under the cap the same bundle loads.
    settings.TEACHER_IMPORT_MAX_SHEET_BYTES = 4 * MIB
    assert teacher_import(actor=None, file=io.BytesIO(bomb), name="csv.zip").ok


def test_too_many_members_are_refused(settings: Any) -> None:
    settings.TEACHER_IMPORT_MAX_MEMBERS = 20
    bomb = _repack(_book().xlsx(), extra={f"docProps/x{n}.xml": b"<x/>" for n in range(20)})

    reason = _refused(teacher_import(actor=None, file=io.BytesIO(bomb), name="b.xlsx"))

    assert "文件过多" in reason


def test_a_legitimate_workbook_passes_the_default_caps() -> None:
    assert teacher_import(actor=None, file=io.BytesIO(_book().xlsx()), name="t.xlsx").ok


# --- Counted while reading: a header may lie --------------------------------------------


def test_the_meter_refuses_what_the_declared_sizes_did_not_show(monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory that understates a size gets past ``check_declared`` (simulated by
    switching it off); the bytes actually inflated are counted and refused."""
    monkeypatch.setattr(limits, "check_declared", lambda *_a, **_k: None)
    monkeypatch.setattr(
        Caps,
        "from_settings",
        classmethod(
            lambda cls: Caps(total=64 * MIB, sheet=1 * MIB, shared_strings=MIB, part=MIB, members=100)
        ),
    )
    bomb = _repack(_book().xlsx(), pad={"xl/worksheets/sheet2.xml": 3 * MIB})

    reason = _refused(teacher_import(actor=None, file=io.BytesIO(bomb), name="b.xlsx"))

    assert "文件解压后过大" in reason


def test_the_meter_counts_a_member_read_twice_once() -> None:
    data = _repack(_book().xlsx(), extra={"a.csv": b"x" * 1000})
    caps = Caps(total=1500 + 10_000_000, sheet=1000, shared_strings=MIB, part=MIB, members=100)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        meter = Meter(archive, caps)
        assert len(meter.read("a.csv")) == 1000
        assert len(meter.read("a.csv")) == 1000  # the encoding probe, then the rows
        tight = Meter(archive, Caps(total=10_000, sheet=999, shared_strings=MIB, part=MIB, members=100))
        with pytest.raises(InflatedTooLarge):
            tight.read("a.csv")


def test_a_row_without_end_is_not_buffered_without_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROW_BYTES", 64 * 1024)
    monkeypatch.setattr(xlsx, "CHUNK", 16 * 1024)
    data = _book().xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        sheet = src.read("xl/worksheets/sheet2.xml")
    head, _sep, _tail = sheet.partition(b"</sheetData>")
    endless = head + b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"a" * (512 * 1024)
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, endless if info.filename.endswith("sheet2.xml") else src.read(info))

    reason = _refused(teacher_import(actor=None, file=io.BytesIO(bomb.getvalue()), name="b.xlsx"))

    assert "文件解压后过大" in reason


# --- The upload: refused at once, with a stable code --------------------------------------


def test_the_upload_of_a_bomb_is_refused_at_once(school_a_staff: User) -> None:
    bomb = _repack(_book().xlsx(), pad={"xl/workbook.xml": 24 * MIB})

    with pytest.raises(ValidationFailed) as error:
        import_job_create(actor=school_a_staff, upload=SimpleUploadedFile("教师.xlsx", bomb))

    assert error.value.code == "file_inflated_too_large"
    assert "文件解压后过大" in error.value.message
    assert not ImportJob.objects.exists()


def test_the_member_count_is_read_from_the_end_record_before_the_directory() -> None:
    """Two million empty members fit in an upload; ``zipfile`` would build an object
    for each. The count in the end-of-directory record (ZIP64 past 65,535) is checked
    first."""
    caps = Caps(total=MIB, sheet=MIB, shared_strings=MIB, part=MIB, members=1000)
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for n in range(0x10000):  # one past what the classic record can count
            z.writestr(f"{n}", b"")
    few = io.BytesIO(_book().xlsx())

    with pytest.raises(InflatedTooLarge) as error:
        limits.check_member_count(many, caps)
    limits.check_member_count(few, caps)

    assert "文件过多" in str(error.value)
    assert few.tell() == 0
    assert many.getvalue()[-22:-18] == b"PK\x05\x06"  # the classic record says 0xFFFF
    assert many.getvalue()[-12:-10] == b"\xff\xff"


def test_the_import_page_says_why_a_bomb_is_refused(signed_in: Any, school_a_staff: User) -> None:
    from django.urls import reverse

    bomb = io.BytesIO(_repack(_book().xlsx(), pad={"xl/workbook.xml": 24 * MIB}))
    bomb.name = "教师.xlsx"

    response = signed_in(school_a_staff).post(reverse("teachers:import"), {"file": bomb})

    assert response.status_code == 200
    assert "文件解压后过大" in response.content.decode()
    assert not ImportJob.objects.exists()
