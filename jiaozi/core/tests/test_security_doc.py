"""docs/security.md stays true: every test it names exists, and every check of the
security checklist has its row (SECURITY.md check ↔ test mapping, issue 14 deliverable 7)."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "security.md"
CHECKS = 30
TEST_REF = re.compile(r"`((?:jiaozi|e2e)/[\w/]+\.py)::(test_\w+)`")
ROW = re.compile(r"^\| (\d+) \|", re.MULTILINE)


@cache
def _tests_in(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            # A Hypothesis state machine's TestCase is exposed as ``test_x = Machine.TestCase``.
            names.update(t.id for t in node.targets if isinstance(t, ast.Name) and t.id.startswith("test_"))
    return frozenset(names)


def test_every_named_test_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    refs = TEST_REF.findall(text)
    assert len(refs) > 100
    missing = [
        f"{path}::{name}" for path, name in refs if not (ROOT / path).is_file() or name not in _tests_in(path)
    ]
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


def test_every_check_has_one_row() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## 1.", 1)[1].split("## 2.", 1)[0]
    rows = [int(n) for n in ROW.findall(section)]
    assert rows == list(range(1, CHECKS + 1))


def test_every_row_names_a_test_or_says_why_not() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## 1.", 1)[1].split("## 2.", 1)[0]
    for line in section.splitlines():
        if ROW.match(line):
            held_by = line.rsplit("|", 2)[1]
            assert TEST_REF.search(held_by) or "see §2" in held_by, line[:80]
