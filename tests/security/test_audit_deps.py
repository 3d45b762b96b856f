"""`make audit-deps` fails on a vulnerable package, and warns (without failing) when nothing was audited."""

from __future__ import annotations

import json
import sys

from tests.security.audit_deps import judge, main


def report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_vulnerable_package_fails_with_the_version_that_fixes_it():
    verdict = judge(
        1,
        report(
            {"name": "ok", "version": "1.0", "vulns": []},
            {
                "name": "setuptools",
                "version": "65.5.0",
                "vulns": [
                    {"id": "PYSEC-2022-43012", "fix_versions": ["65.5.1"], "aliases": ["CVE-2022-40897"]}
                ],
            },
        ),
        "",
    )
    assert verdict.exit_code == 1
    assert "setuptools 65.5.0: PYSEC-2022-43012 (CVE-2022-40897); fixed in 65.5.1" in verdict.message


def test_a_clean_audit_passes_and_lists_what_it_skipped():
    verdict = judge(
        0, report({"name": "a", "version": "1", "vulns": []}, {"name": "b", "skip_reason": "editable"}), ""
    )
    assert verdict.exit_code == 0
    assert verdict.message == "pip-audit: 1 packages audited, no known vulnerabilities; 1 not audited: b"


def test_every_package_not_found_means_nothing_was_audited_a_warning():
    skipped = [
        {"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n} (1)"}
        for n in "abc"
    ]
    verdict = judge(0, report(*skipped), "No known vulnerabilities found\n")
    assert verdict.exit_code == 0
    assert verdict.message.startswith("WARNING") and "NOTHING WAS AUDITED" in verdict.message


def test_an_unreachable_service_is_a_warning_and_a_broken_tool_a_failure():
    traceback = (
        "Traceback ...\nrequests.exceptions.ConnectionError: Max retries exceeded with url: /v1/query\n"
    )
    unreachable = judge(1, "", traceback)
    assert unreachable.exit_code == 0 and "NOTHING WAS AUDITED" in unreachable.message
    broken = judge(2, "", "pip-audit: error: unrecognized arguments: --bogus\n")
    assert broken.exit_code == 2 and "unrecognized arguments" in broken.message


def test_main_runs_the_command_with_a_json_report(capsys):
    fake = (
        "import json, sys; assert sys.argv[-2:] == ['--format', 'json']; "
        "print(json.dumps({'dependencies': [], 'fixes': []}))"
    )
    assert main([sys.executable, "-c", fake]) == 0
    assert "0 packages audited" in capsys.readouterr().out
