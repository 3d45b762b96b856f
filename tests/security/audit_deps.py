"""`make audit-deps`: pip-audit over the installed packages, failing on a known vulnerability.

    python -m tests.security.audit_deps .venv/bin/pip-audit --skip-editable --progress-spinner off

Runs the given pip-audit command with `--format json` and reads its report. A vulnerable package fails
(exit 1) with its advisory ids and the versions that fix it. When the vulnerability service cannot be
reached — the network is down, or the PyPI mirror here answers the simple index but not the JSON API
that carries the advisories, so pip-audit skips every package as "not found" and still says "No known
vulnerabilities found" — nothing was audited: that is a WARNING, loudly, and exit 0, so the tests run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

TIMEOUT_S = 600
_UNREACHABLE = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "timed out",
    "Could not connect",
    "ServiceError",
    "SSLError",
)


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    message: str


def judge(returncode: int, stdout: str, stderr: str) -> Verdict:
    """What pip-audit's JSON report (or its failure) means for the build."""
    try:
        report = json.loads(stdout)
        dependencies: list[dict[str, Any]] = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        if any(sign in stderr for sign in _UNREACHABLE):
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            warning = "WARNING: pip-audit could not reach the vulnerability service; NOTHING WAS AUDITED."
            return Verdict(0, f"{warning}\n  {last}")
        return Verdict(returncode or 1, f"pip-audit failed (exit {returncode}):\n{stderr.strip()}")

    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    if vulnerable:
        lines = [f"pip-audit: {len(vulnerable)} vulnerable package(s) of {len(audited)} audited:"]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                aliases = ", ".join(vuln.get("aliases") or [])
                lines.append(
                    f"  {dep['name']} {dep['version']}: {vuln['id']}"
                    + (f" ({aliases})" if aliases else "")
                    + f"; fixed in {fixes}"
                )
        return Verdict(1, "\n".join(lines))
    not_found = [d for d in skipped if "not found on PyPI" in d["skip_reason"]]
    if not_found and not audited:
        return Verdict(
            0,
            f"WARNING: pip-audit reached no vulnerability data; NOTHING WAS AUDITED: {len(not_found)} "
            "packages were skipped as 'not found on PyPI' (the package index here serves downloads but "
            "not PyPI's JSON API with its advisories). Run `make audit-deps` where pypi.org is reachable.",
        )
    message = f"pip-audit: {len(audited)} packages audited, no known vulnerabilities"
    if skipped:
        message += f"; {len(skipped)} not audited: " + ", ".join(sorted(d["name"] for d in skipped))
    return Verdict(0, message)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.security.audit_deps PIP-AUDIT [ARGS...]", file=sys.stderr)
        return 2
    command = [*argv, "--format", "json"]
    print("$ " + " ".join(command), flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        verdict = Verdict(0, f"WARNING: pip-audit did not finish in {TIMEOUT_S} s; NOTHING WAS AUDITED.")
    else:
        verdict = judge(done.returncode, done.stdout, done.stderr)
    print(verdict.message, file=sys.stderr if verdict.exit_code else sys.stdout)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
