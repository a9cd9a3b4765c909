"""Reference data of certification: the province's authority-code table (a data file,
§6) and the Anhui 2024 second-half batch (§3). Idempotent loaders, used by the data
migrations, ``load_authority_codes`` and the tests' reference fixture."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA_DIR = Path(__file__).resolve().parent / "data"
ANHUI_CODES = DATA_DIR / "anhui-authority-codes.csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_DIGITS3 = re.compile(r"^[0-9]{3}$")
_DIVISION = re.compile(r"^[0-9]{6}$")


class AuthorityCodeError(ValueError):
    """A bad authority-code file; the message names the line."""


@dataclass(frozen=True, slots=True)
class CodeRow:
    line: int
    division_code: str
    name: str
    code: str


def read_codes(path: Path = ANHUI_CODES) -> list[CodeRow]:
    """The rows of an authority-code file, checked: six-digit divisions, three-digit
    codes, neither repeated."""
    rows: list[CodeRow] = []
    seen_codes: dict[str, int] = {}
    seen_divisions: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"division_code", "authority_code"} - set(reader.fieldnames or ())
        if missing:
            raise AuthorityCodeError(f"{path.name}: missing columns {sorted(missing)}")
        for line, raw in enumerate(reader, start=2):
            division, code = (
                (raw.get("division_code") or "").strip(),
                (raw.get("authority_code") or "").strip(),
            )
            if not _DIVISION.match(division):
                raise AuthorityCodeError(
                    f"{path.name} line {line}: division code {division!r} is not 6 digits"
                )
            if not _DIGITS3.match(code):
                raise AuthorityCodeError(f"{path.name} line {line}: authority code {code!r} is not 3 digits")
            if code in seen_codes:
                raise AuthorityCodeError(
                    f"{path.name} line {line}: code {code} repeats line {seen_codes[code]}"
                )
            if division in seen_divisions:
                raise AuthorityCodeError(
                    f"{path.name} line {line}: division {division} repeats line {seen_divisions[division]}"
                )
            seen_codes[code], seen_divisions[division] = line, line
            rows.append(CodeRow(line, division, (raw.get("authority_name") or "").strip(), code))
    return rows


def load_codes(*, institution_model: Any, code_model: Any, rows: Iterable[CodeRow]) -> int:
    """Give each row's bureau its code (replacing the table's earlier codes for those
    bureaus). Returns how many rows were written; a bureau missing is an error."""
    rows = list(rows)
    bureaus = {
        b.code: b
        for b in institution_model.objects.filter(kind="bureau", code__in=[r.division_code for r in rows])
    }
    for row in rows:
        if row.division_code not in bureaus:
            raise AuthorityCodeError(f"line {row.line}: no education bureau for division {row.division_code}")
    ids = [bureaus[r.division_code].pk for r in rows]
    # Clear first, so that swapping two codes does not trip the unique constraint.
    code_model.objects.filter(authority_id__in=ids).delete()
    code_model.objects.filter(code__in=[r.code for r in rows]).delete()
    code_model.objects.bulk_create(
        [code_model(authority_id=bureaus[r.division_code].pk, code=r.code) for r in rows]
    )
    return len(rows)


def _at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


# 皖教秘〔2024〕263号: the announcement by 09-13, online 09-14 → 09-25 17:00, finished by
# 12-20. The end of on-site confirmation is each province's setting; 10-18 17:00 is the
# reference value (docs/decisions/0203).
ANHUI_2024_H2: dict[str, Any] = {
    "name": "安徽省2024年下半年中小学教师资格认定",
    "province_code": "340000",
    "year": 2024,
    "announced_on": dt.date(2024, 9, 13),
    "apply_opens_at": _at(2024, 9, 14),
    "apply_closes_at": _at(2024, 9, 25, 17),
    "confirm_closes_at": _at(2024, 10, 18, 17),
    "completes_on": dt.date(2024, 12, 20),
    "announcement": (
        "根据《安徽省教育厅关于做好2024年中小学教师资格定期注册和下半年中小学教师资格认定工作的通知》"
        "（皖教秘〔2024〕263号），2024年下半年中小学教师资格认定网上申报时间为9月14日至9月25日17时，"
        "申请人须在网上申报后按所选确认点的安排参加现场确认。各级认定机构于12月20日前完成认定工作。"
    ),
    "is_active": True,
}


def ensure_anhui(apps: Any = None) -> None:
    """The Anhui authority codes and the 2024 second-half batch, if missing."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    institution_model = apps.get_model("orgs", "Institution")
    code_model = apps.get_model("certification", "AuthorityCode")
    batch_model = apps.get_model("certification", "CertificationBatch")
    if not code_model.objects.exists() and institution_model.objects.filter(kind="bureau").exists():
        load_codes(institution_model=institution_model, code_model=code_model, rows=read_codes())
    values = dict(ANHUI_2024_H2)
    batch_model.objects.get_or_create(
        province_code=values.pop("province_code"), name=values.pop("name"), defaults=values
    )
