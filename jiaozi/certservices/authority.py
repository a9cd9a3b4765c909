"""The issuing authority of a certificate, read from its number (§6).

A certificate number is year(4) + province(2) + certifying-authority code(3) + type(1) +
sex(1) + serial(6). The province's authority-code table is data (``Institution.
authority_code`` on the bureaus), so the number names the bureau that issued the
certificate — also for certificates loaded by the import, which carry no ``ISSUED``
event (docs/decisions/0221-issuing-authority-from-the-number.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jiaozi.orgs.models import Institution

NUMBER_RE = re.compile(r"\d{17}")


@dataclass(frozen=True, slots=True)
class NumberParts:
    year: str
    province: str  # GB/T 2260 province code, six digits (34 → 340000)
    authority_code: str
    qualification_type: str
    sex: str
    serial: str


def number_parts(number: str) -> NumberParts | None:
    """The fields of a well-formed 17-digit number; None for anything else."""
    number = number.strip()
    if not NUMBER_RE.fullmatch(number):
        return None
    return NumberParts(
        year=number[:4],
        province=number[4:6] + "0000",
        authority_code=number[6:9],
        qualification_type=number[9],
        sex=number[10],
        serial=number[11:],
    )


def issuing_authority(number: str) -> Institution | None:
    """The bureau whose authority code the number carries, within the number's province;
    None when the number is malformed or the authority is not one of ours (another
    province, or a code no bureau holds)."""
    parts = number_parts(number)
    if parts is None:
        return None
    return (
        Institution.objects.filter(
            kind=Institution.Kind.BUREAU,
            authority_code=parts.authority_code,
            division__code__startswith=parts.province[:2],
        )
        .order_by("path")
        .first()
    )


def authority_keys_within(path: str) -> list[str]:
    """province(2) + authority code(3) of every bureau at or below ``path``: the number
    prefixes (after the year) of the certificates those bureaus issued."""
    rows = Institution.objects.filter(
        kind=Institution.Kind.BUREAU, path__startswith=path, authority_code__gt=""
    ).values_list("division_id", "authority_code")
    return sorted({str(division)[:2] + code for division, code in rows})
