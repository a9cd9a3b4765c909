"""Loading a province's administrative divisions and its education bureaus (§2).

One loader serves the data migration (with historical models) and the
``load_divisions`` command (with the real ones), so it touches the models only through
plain ORM calls: no custom ``save()``, no methods. It is idempotent: divisions are
created or corrected, bureaus are created when missing and never renamed or moved
afterwards (an institution's identity outlives a reload).

The bureau tree follows one rule (``bureau_parent_code``): a bureau's parent is the
bureau of the parent division, except that the bureau of a 省直管县 reports straight to
the province bureau.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
PROVINCES_DIR = DATA_DIR / "provinces"

LEVELS = ("province", "city", "county")
_CODE = re.compile(r"^\d{6}$")
_AUTHORITY_CODE = re.compile(r"^\d{3}$")


class DivisionDataError(ValueError):
    """The province configuration or its CSV is inconsistent."""


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    is_province_direct: bool = False


@dataclass(frozen=True)
class ProvinceConfig:
    key: str
    code: str
    name: str
    divisions_file: Path
    province_direct: Mapping[str, str]
    province_bureau_name: str
    bureau_name_pattern: str = "{name}教育局"
    bureau_names: Mapping[str, str] = field(default_factory=dict)
    authority_codes: Mapping[str, str] = field(default_factory=dict)

    def bureau_name(self, row: DivisionRow) -> str:
        if row.code in self.bureau_names:
            return self.bureau_names[row.code]
        if row.level == "province":
            return self.province_bureau_name
        return self.bureau_name_pattern.format(name=row.name)


@dataclass
class LoadResult:
    divisions_created: int = 0
    divisions_updated: int = 0
    bureaus_created: int = 0

    def __str__(self) -> str:
        return (
            f"divisions created {self.divisions_created}, updated {self.divisions_updated}; "
            f"bureaus created {self.bureaus_created}"
        )


def province_config(key: str | None = None, *, path: Path | str | None = None) -> ProvinceConfig:
    """Read ``data/provinces/<key>.json`` (or the file at ``path``)."""
    if path is None:
        if not key or not re.fullmatch(r"[a-z0-9_-]+", key):
            raise DivisionDataError(f"Unknown province key {key!r}.")
        path = PROVINCES_DIR / f"{key}.json"
    path = Path(path)
    if not path.is_file():
        raise DivisionDataError(f"No province configuration at {path}.")
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    try:
        divisions_file = Path(raw["divisions_file"])
        if not divisions_file.is_absolute():
            # Relative to data/, where the shipped CSVs live, or to the config file.
            candidates = [DATA_DIR / divisions_file, path.parent / divisions_file]
            divisions_file = next((c for c in candidates if c.is_file()), candidates[0])
        config = ProvinceConfig(
            key=raw["key"],
            code=raw["code"],
            name=raw["name"],
            divisions_file=divisions_file,
            province_direct=dict(raw.get("province_direct", {})),
            province_bureau_name=raw["province_bureau_name"],
            bureau_name_pattern=raw.get("bureau_name_pattern", "{name}教育局"),
            bureau_names=dict(raw.get("bureau_names", {})),
            authority_codes=dict(raw.get("authority_codes", {})),
        )
    except KeyError as exc:
        raise DivisionDataError(f"{path}: missing key {exc.args[0]!r}.") from None
    if not _CODE.match(config.code) or not config.code.endswith("0000"):
        raise DivisionDataError(f"{path}: province code must be six digits ending in 0000.")
    if "{name}" not in config.bureau_name_pattern:
        raise DivisionDataError(f"{path}: bureau_name_pattern must contain {{name}}.")
    for code, value in config.authority_codes.items():
        if not _AUTHORITY_CODE.match(value):
            raise DivisionDataError(f"{path}: authority code of {code} must be three digits.")
    return config


def read_divisions(config: ProvinceConfig) -> list[DivisionRow]:
    """The province's divisions, parents before children, checked for consistency."""
    with config.divisions_file.open(encoding="utf-8", newline="") as fh:
        raw_rows = list(csv.DictReader(fh))
    rows: dict[str, DivisionRow] = {}
    for n, raw in enumerate(raw_rows, start=2):
        code = (raw.get("code") or "").strip()
        name = (raw.get("name") or "").strip()
        level = (raw.get("level") or "").strip()
        parent = (raw.get("parent_code") or "").strip() or None
        if not _CODE.match(code) or not name or level not in LEVELS:
            raise DivisionDataError(f"{config.divisions_file.name} line {n}: bad row {raw!r}.")
        if code in rows:
            raise DivisionDataError(f"{config.divisions_file.name} line {n}: duplicate code {code}.")
        rows[code] = DivisionRow(code, name, level, parent, code in config.province_direct)

    provinces = [r for r in rows.values() if r.level == "province"]
    if [r.code for r in provinces] != [config.code] or provinces[0].parent_code is not None:
        raise DivisionDataError(f"{config.divisions_file.name}: expected exactly one province {config.code}.")
    expected_parent_level = {"city": "province", "county": "city"}
    for row in rows.values():
        if row.level == "province":
            continue
        parent = rows.get(row.parent_code or "")
        # A county may sit directly under the province (直辖县级行政单位 such as Hainan's).
        allowed = {expected_parent_level[row.level]} | ({"province"} if row.level == "county" else set())
        if parent is None or parent.level not in allowed:
            raise DivisionDataError(f"Division {row.code} has no valid parent ({row.parent_code}).")
    for code, name in config.province_direct.items():
        direct = rows.get(code)
        if direct is None or direct.level != "county" or direct.name != name:
            raise DivisionDataError(f"省直管县 {code} {name} is not a county of {config.name} in the CSV.")
    order = {level: i for i, level in enumerate(LEVELS)}
    return sorted(rows.values(), key=lambda r: (order[r.level], r.code))


def bureau_parent_code(row: DivisionRow, province_code: str) -> str | None:
    """The division code of the bureau above ``row``'s bureau (the one tree rule)."""
    if row.level == "province":
        return None
    if row.is_province_direct:
        return province_code
    return row.parent_code


def load_province(*, division_model: Any, institution_model: Any, config: ProvinceConfig) -> LoadResult:
    """Create or correct the divisions of ``config`` and create one bureau per division.

    ``division_model`` / ``institution_model`` are the real models or the historical
    ones of a migration."""
    rows = read_divisions(config)
    result = LoadResult()

    existing = {d.code: d for d in division_model.objects.filter(code__in=[r.code for r in rows])}
    for row in rows:
        values = {
            "name": row.name,
            "level": row.level,
            "parent_id": row.parent_code,
            "is_province_direct": row.is_province_direct,
        }
        current = existing.get(row.code)
        if current is None:
            division_model.objects.create(code=row.code, **values)
            result.divisions_created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            division_model.objects.filter(code=row.code).update(**values)
            result.divisions_updated += 1

    bureaus = {
        b.code: b for b in institution_model.objects.filter(kind="bureau", code__in=[r.code for r in rows])
    }
    used_authority_codes = {b.authority_code for b in bureaus.values() if b.authority_code}
    next_authority = max((int(c) for c in used_authority_codes), default=0) + 1
    for row in rows:  # parents first, so the parent's path is known
        if row.code in bureaus:
            continue
        parent_code = bureau_parent_code(row, config.code)
        parent = bureaus.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            raise DivisionDataError(f"The bureau of {parent_code} is missing; cannot attach {row.code}.")
        authority_code = config.authority_codes.get(row.code)
        if authority_code is None:
            while f"{next_authority:03d}" in used_authority_codes:
                next_authority += 1
            authority_code = f"{next_authority:03d}"
            next_authority += 1
        if authority_code in used_authority_codes:
            raise DivisionDataError(f"Authority code {authority_code} is used twice.")
        used_authority_codes.add(authority_code)
        bureaus[row.code] = institution_model.objects.create(
            code=row.code,
            name=config.bureau_name(row),
            kind="bureau",
            level=row.level,
            division_id=row.code,
            parent=parent,
            path=(parent.path if parent else "/") + row.code + "/",
            authority_code=authority_code,
        )
        result.bureaus_created += 1
    return result


def unload_province(*, division_model: Any, institution_model: Any, config: ProvinceConfig) -> None:
    """Undo ``load_province``: remove the bureaus and divisions, deepest first.

    Fails with ``ProtectedError`` while other institutions or staff still point at
    them, which is what a reversal should do."""
    rows = read_divisions(config)
    for level in reversed(LEVELS):
        codes = [r.code for r in rows if r.level == level]
        institution_model.objects.filter(kind="bureau", code__in=codes).delete()
    for level in reversed(LEVELS):
        division_model.objects.filter(code__in=[r.code for r in rows if r.level == level]).delete()


def ensure_province(key: str = "anhui") -> None:
    """Load province ``key`` with the real models when its bureau is missing (a test
    database flushed by ``transactional_db`` loses the migration's data)."""
    from .models import Division, Institution

    config = province_config(key)
    if not Institution.objects.filter(kind="bureau", code=config.code).exists():
        load_province(division_model=Division, institution_model=Institution, config=config)
