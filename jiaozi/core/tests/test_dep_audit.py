"""The dependency audit of CI (.ci/dep_audit.py, SECURITY.md check 30): a finding fails, an
unreachable service is an explained SKIP (never a silent pass), an ignore needs a reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[3] / ".ci" / "dep_audit.py"
_spec = importlib.util.spec_from_file_location("dep_audit", _PATH)
assert _spec is not None
assert _spec.loader is not None
dep_audit = importlib.util.module_from_spec(_spec)
sys.modules["dep_audit"] = dep_audit
_spec.loader.exec_module(dep_audit)


def _dep(name: str, version: str = "1.0", vulns: list[dict] | None = None) -> dict:
    return {"name": name, "version": version, "vulns": vulns or []}


def _vuln(vid: str, aliases: tuple[str, ...] = (), fix: tuple[str, ...] = ("9.9",)) -> dict:
    return {"id": vid, "aliases": list(aliases), "fix_versions": list(fix), "description": "x"}


def _not_found(name: str) -> dict:
    return {
        "name": name,
        "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)",
    }


def test_clean_report_passes_and_says_how_many_were_audited() -> None:
    outcome = dep_audit.classify(0, {"dependencies": [_dep("django"), _dep("celery")]}, "", [])
    assert outcome.kind == "PASS"
    assert "2 locked packages audited" in outcome.lines[0]
    assert outcome.exit_code(strict=False) == 0


def test_known_vulnerability_fails() -> None:
    report = {"dependencies": [_dep("django", "5.2", [_vuln("PYSEC-2099-1", ("CVE-2099-1",))])]}
    outcome = dep_audit.classify(1, report, "", [])
    assert outcome.kind == "FAIL"
    assert outcome.exit_code(strict=False) == 1
    assert any("VULNERABLE django 5.2: PYSEC-2099-1" in line for line in outcome.lines)


def test_a_justified_ignore_by_alias_passes_and_is_reported() -> None:
    report = {"dependencies": [_dep("django", "5.2", [_vuln("PYSEC-2099-1", ("CVE-2099-1",))])]}
    ignores = dep_audit.parse_ignores("CVE-2099-1 Django only in the admin, which is not mounted\n")
    outcome = dep_audit.classify(1, report, "", ignores)
    assert outcome.kind == "PASS"
    assert any(line.startswith("ignored django 5.2") for line in outcome.lines)


def test_an_ignore_for_another_package_does_not_hide_the_finding() -> None:
    report = {"dependencies": [_dep("django", "5.2", [_vuln("PYSEC-2099-1")])]}
    ignores = dep_audit.parse_ignores("PYSEC-2099-1 celery the justification is long enough\n")
    outcome = dep_audit.classify(1, report, "", ignores)
    assert outcome.kind == "FAIL"
    assert any("matches nothing" in line for line in outcome.lines)


@pytest.mark.parametrize("line", ["PYSEC-2099-1", "PYSEC-2099-1 django", "PYSEC-2099-1 django because"])
def test_an_ignore_without_a_justification_is_refused(line: str) -> None:
    with pytest.raises(dep_audit.IgnoreFileError):
        dep_audit.parse_ignores(f"# comment\n\n{line}\n")


def test_the_committed_ignore_file_parses() -> None:
    text = (_PATH.parents[1] / "requirements" / "audit-ignore.txt").read_text(encoding="utf-8")
    assert all(len(entry.reason) >= 10 for entry in dep_audit.parse_ignores(text))


def test_every_package_not_found_is_an_explained_skip_not_a_pass() -> None:
    # pip-audit itself exits 0 and prints "No known vulnerabilities found" here.
    report = {"dependencies": [_not_found("django"), _not_found("celery")]}
    outcome = dep_audit.classify(0, report, "", [])
    assert outcome.kind == "SKIPPED"
    assert "NOT audited" in outcome.lines[0]
    assert "'not found' for all 2 packages" in outcome.lines[1]
    assert outcome.exit_code(strict=False) == 0
    assert outcome.exit_code(strict=True) == 3


def test_a_network_error_is_an_explained_skip() -> None:
    stderr = "Traceback ...\nrequests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/django/5.2/json"
    outcome = dep_audit.classify(1, None, stderr, [])
    assert outcome.kind == "SKIPPED"
    assert "Max retries exceeded" in outcome.lines[1]


def test_pip_audit_broken_for_another_reason_fails() -> None:
    outcome = dep_audit.classify(1, None, "ERROR:pip_audit._cli:invalid requirements input: x.lock", [])
    assert outcome.kind == "FAIL"


def test_some_packages_unaudited_while_others_were_fails() -> None:
    report = {"dependencies": [_dep("django"), _not_found("typo-squat")]}
    outcome = dep_audit.classify(0, report, "", [])
    assert outcome.kind == "FAIL"
    assert any("typo-squat" in line for line in outcome.lines)
