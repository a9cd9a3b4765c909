"""English complete (issue 9, item 11; docs/decisions/0269): every message of every
catalogue — ``jiaozi/**/locale/en/LC_MESSAGES/django.po``, the wings' own included —
has its English, none is left fuzzy, and the compiled ``.mo`` next to it holds every
translated message (a forgotten ``compilemessages`` shows Chinese on English pages)."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # jiaozi/
CATALOGUES = sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po"))
_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$')


@dataclass
class Entry:
    parts: dict[str, str] = field(default_factory=dict)
    fuzzy: bool = False
    line: int = 0

    @property
    def msgid(self) -> str:
        return self.parts.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [v for k, v in self.parts.items() if k.startswith("msgstr")]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def entries(path: Path) -> list[Entry]:
    """The catalogue's live entries (obsolete ``#~`` ones left out), header excluded."""
    found: list[Entry] = []
    current = Entry()
    key = ""
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if current.parts:
                found.append(current)
            current, key = Entry(), ""
            continue
        if line.startswith("#,") and "fuzzy" in line:
            current.fuzzy = True
            continue
        if line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match:
            key = match.group(1)
            if key in ("msgid", "msgctxt") and "msgid" in current.parts:
                # A new entry without a blank line before it (allowed by the format).
                found.append(current)
                current = Entry()
            current.parts[key] = _unescape(match.group(2))
            current.line = current.line or n
        elif line.startswith('"') and key:
            current.parts[key] += _unescape(line[1:-1])
    if current.parts:
        found.append(current)
    return [e for e in found if e.msgid]


def test_there_are_catalogues() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in CATALOGUES}
    assert "locale/en/LC_MESSAGES/django.po" in names
    assert "registration/locale/en/LC_MESSAGES/django.po" in names


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_message_has_its_english(path: Path) -> None:
    missing = [
        f"{path.relative_to(ROOT)}:{e.line}: {e.msgid[:60]!r}{' (fuzzy)' if e.fuzzy else ''}"
        for e in entries(path)
        if e.fuzzy or not all(t.strip() for t in e.translations)
    ]
    assert not missing, f"{len(missing)} message(s) without English:\n" + "\n".join(missing[:50])


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_compiled_catalogue_holds_every_message(path: Path) -> None:
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run compilemessages -l en"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    catalog = compiled._catalog  # type: ignore[attr-defined]
    keys = {k[0] if isinstance(k, tuple) else k for k in catalog}
    stale = []
    for e in entries(path):
        if e.fuzzy or not all(t.strip() for t in e.translations):
            continue  # the test above names it
        key = e.msgid if "msgctxt" not in e.parts else f"{e.parts['msgctxt']}\x04{e.msgid}"
        if key not in keys:
            stale.append(f"{e.msgid[:60]!r}")
    assert not stale, (
        f"{mo.relative_to(ROOT)} lacks {len(stale)} message(s) of its .po (run compilemessages -l en):\n"
        + "\n".join(stale[:30])
    )
