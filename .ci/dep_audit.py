"""Audit the locked dependencies for known vulnerabilities (SECURITY.md check 30).

Runs pip-audit on the lock files against PyPI's vulnerability service and turns its answer
into one of three outcomes, each with its own first word so that a log reader can never
take one for another:

- ``PASS``: every locked package was audited and none has a known vulnerability (or only
  ones listed with a justification in the ignore file). Exit 0.
- ``FAIL``: a known vulnerability not in the ignore file, a package the service could not
  audit while it audited the others, a malformed ignore file, or pip-audit broken for a
  reason other than the network. Exit 1.
- ``SKIPPED``: the vulnerability service could not be reached (no connection, DNS, a
  time-out, or a service that answers "not found" for every package, as an index mirror
  without PyPI's JSON API does). Nothing was audited and the message says so and why.
  Exit 0, so that a network outage does not fail CI; exit 3 instead when
  ``DEP_AUDIT_STRICT=1`` (a release build must not ship unaudited).

Standard library only; pip-audit runs as a subprocess. See docs/decisions/0175.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_SKIP_STRICT = 3

NOT_FOUND = "Dependency not found on PyPI"
# What pip-audit prints when the network, not the input, is at fault.
NETWORK_PATTERNS = re.compile(
    r"ConnectionError|Could not connect|Max retries exceeded|NameResolutionError|"
    r"Failed to resolve|Name or service not known|Temporary failure in name resolution|"
    r"timed out|Timeout|Connection refused|Network is unreachable|not redirecting properly|"
    r"ServiceError|SSLError|ProxyError|RemoteDisconnected",
)


@dataclass(frozen=True)
class Ignore:
    vuln_id: str
    package: str
    reason: str


@dataclass
class Outcome:
    kind: str  # "PASS" | "FAIL" | "SKIPPED"
    lines: list[str] = field(default_factory=list)

    def exit_code(self, *, strict: bool) -> int:
        if self.kind == "PASS":
            return EXIT_PASS
        if self.kind == "SKIPPED":
            return EXIT_SKIP_STRICT if strict else EXIT_PASS
        return EXIT_FAIL


class IgnoreFileError(ValueError):
    pass


def parse_ignores(text: str) -> list[Ignore]:
    """One entry a line: ``<vulnerability id> <package> <justification…>``; ``#`` starts a comment line.

    An entry without a justification is an error, not a silent ignore.
    """
    out: list[Ignore] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or len(parts[2].strip()) < 10:
            raise IgnoreFileError(
                f"line {number}: '{raw.strip()}' needs a vulnerability id, a package and a "
                "justification of at least 10 characters"
            )
        out.append(Ignore(parts[0], parts[1].lower(), parts[2].strip()))
    return out


def classify(returncode: int, report: dict | None, stderr: str, ignores: list[Ignore]) -> Outcome:
    """Turn one pip-audit run (exit code, JSON report or None, stderr) into an outcome."""
    if report is None:
        tail = (stderr.strip().splitlines() or [f"exit code {returncode}"])[-1][-400:]
        if NETWORK_PATTERNS.search(stderr):
            return Outcome(
                "SKIPPED",
                [
                    "vulnerability service unreachable, dependencies NOT audited (this is not a pass).",
                    f"reason: {tail}",
                ],
            )
        return Outcome("FAIL", [f"pip-audit did not produce a report: {tail}"])

    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    if deps and not audited:
        reasons = {d["skip_reason"].split(":")[0] for d in skipped}
        why = "; ".join(sorted(reasons))
        if all(NOT_FOUND in d["skip_reason"] for d in skipped):
            why = (
                f"the service answered 'not found' for all {len(skipped)} packages, so it is "
                "not PyPI's vulnerability API (an index mirror without the JSON API, or an outage)"
            )
        return Outcome(
            "SKIPPED",
            [
                "vulnerability service unreachable, dependencies NOT audited (this is not a pass).",
                f"reason: {why}",
            ],
        )

    lines: list[str] = []
    failed = False
    if skipped:
        failed = True
        lines.append(f"{len(skipped)} package(s) could not be audited while the others were:")
        lines += [f"  {d['name']}: {d['skip_reason']}" for d in skipped]

    used: set[Ignore] = set()
    for dep in audited:
        name = dep["name"].lower()
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            match = next((i for i in ignores if i.package == name and i.vuln_id in ids), None)
            label = f"{dep['name']} {dep.get('version', '?')}: {vuln['id']}"
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            if match is not None:
                used.add(match)
                lines.append(f"ignored {label} (fixed in {fixes}) — {match.reason}")
            else:
                failed = True
                lines.append(f"VULNERABLE {label} (fixed in {fixes}); upgrade, or justify in the ignore file")
    for stale in ignores:
        if stale not in used:
            lines.append(f"note: ignore entry {stale.vuln_id} {stale.package} matches nothing; remove it")
    if failed:
        return Outcome("FAIL", lines)
    summary = f"{len(audited)} locked packages audited against PyPI's vulnerability service"
    return Outcome("PASS", [f"{summary}; no known vulnerability.", *lines])


def run_pip_audit(lock_files: list[str], timeout: int) -> tuple[int, dict | None, str]:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [str(pip_audit), "--vulnerability-service", "pypi", "--disable-pip", "--no-deps"]
        for lock in lock_files:
            cmd += ["--requirement", lock]
        cmd += ["--format", "json", "--output", str(out), "--progress-spinner", "off"]
        cmd += ["--timeout", str(timeout)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        report = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    return proc.returncode, report, proc.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock_files", nargs="+")
    parser.add_argument("--ignore", default="requirements/audit-ignore.txt")
    parser.add_argument("--timeout", type=int, default=20)
    args = parser.parse_args(argv)
    strict = os.environ.get("DEP_AUDIT_STRICT") == "1"

    try:
        path = Path(args.ignore)
        ignores = parse_ignores(path.read_text(encoding="utf-8")) if path.exists() else []
    except IgnoreFileError as exc:
        outcome = Outcome("FAIL", [f"{args.ignore}: {exc}"])
    else:
        if Path(sys.executable).with_name("pip-audit").exists():
            outcome = classify(*run_pip_audit(args.lock_files, args.timeout), ignores)
        else:
            outcome = Outcome(
                "FAIL", ["pip-audit is not installed in this environment (requirements/dev.in)."]
            )

    head = {
        "PASS": "dep-audit PASS",
        "FAIL": "dep-audit FAIL",
        "SKIPPED": "dep-audit SKIPPED (strict: failing)" if strict else "dep-audit SKIPPED",
    }[outcome.kind]
    print(f"== {head}: {outcome.lines[0]}")
    for line in outcome.lines[1:]:
        print(f"   {line}")
    return outcome.exit_code(strict=strict)


if __name__ == "__main__":
    sys.exit(main())
