"""CI's dependency audit step (.ci/dependency_audit.py), run as CI runs it, against a stand-in
pip-audit that answers the way the real one does in each case (its JSON report, or a traceback
on stderr when the service cannot be reached)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "dependency_audit.py"

UNREACHABLE = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): "
    'Max retries exceeded with url: /v1/query (Caused by NameResolutionError("Failed to '
    "resolve 'api.osv.dev'\"))"
)
ALL_NOT_FOUND = {
    "dependencies": [
        {
            "name": "django",
            "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.8)",
        }
    ],
    "fixes": [],
}
CLEAN = {"dependencies": [{"name": "django", "version": "5.2.8", "vulns": []}], "fixes": []}
FIXABLE = {
    "dependencies": [
        {
            "name": "requests",
            "version": "2.19.0",
            "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"], "aliases": []}],
        }
    ],
    "fixes": [],
}
NO_FIX_YET = {
    "dependencies": [
        {
            "name": "somelib",
            "version": "1.0",
            "vulns": [{"id": "GHSA-xxxx", "fix_versions": [], "aliases": []}],
        }
    ],
    "fixes": [],
}


def _fake_pip_audit(tmp_path: Path, answers: dict[str, tuple[int, object, str]]) -> Path:
    """A pip-audit that answers per service: (exit code, JSON report or None, stderr)."""
    script = tmp_path / "pip-audit"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"answers = json.loads({json.dumps(answers)!r})\n"
        "service = sys.argv[sys.argv.index('--vulnerability-service') + 1]\n"
        "code, report, stderr = answers[service]\n"
        "if report is not None:\n"
        "    print(json.dumps(report))\n"
        "sys.stderr.write(stderr)\n"
        "sys.exit(code)\n"
    )
    script.chmod(0o755)
    return script


def _run(tmp_path: Path, **answers: tuple[int, object, str]) -> subprocess.CompletedProcess[str]:
    fake = _fake_pip_audit(tmp_path, answers)
    requirements = tmp_path / "constraints.txt"
    requirements.write_text("django==5.2.8\n")
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(fake), str(requirements)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_vulnerability_with_a_fix_fails_the_step(tmp_path):
    run = _run(tmp_path, osv=(1, FIXABLE, ""), pypi=(0, ALL_NOT_FOUND, ""))
    assert run.returncode == 1
    assert "requests 2.19.0: PYSEC-2018-28 (fixed in 2.20.0)" in run.stdout


def test_a_vulnerability_found_by_the_second_service_fails_it_when_the_first_is_unreachable(
    tmp_path,
):
    run = _run(tmp_path, osv=(1, None, UNREACHABLE), pypi=(1, FIXABLE, ""))
    assert run.returncode == 1
    assert "osv: blocked" in run.stdout
    assert "PYSEC-2018-28" in run.stdout


def test_a_vulnerability_without_a_fix_is_reported_and_does_not_fail(tmp_path):
    run = _run(tmp_path, osv=(1, NO_FIX_YET, ""), pypi=(0, CLEAN, ""))
    assert run.returncode == 0
    assert "no fix yet: somelib 1.0: GHSA-xxxx" in run.stdout


def test_unreachable_services_report_blocked_with_the_reason_and_pass(tmp_path):
    run = _run(tmp_path, osv=(1, None, UNREACHABLE), pypi=(0, ALL_NOT_FOUND, ""))
    assert run.returncode == 0
    assert run.stdout.startswith("blocked: osv: requests.exceptions.ConnectionError")
    assert "pypi: no package could be looked up (1 skipped: Dependency not found" in run.stdout


def test_an_index_that_finds_no_package_is_not_taken_for_a_clean_audit(tmp_path):
    # pip-audit itself exits 0 with "No known vulnerabilities found" here.
    run = _run(tmp_path, osv=(0, ALL_NOT_FOUND, ""), pypi=(0, ALL_NOT_FOUND, ""))
    assert run.stdout.startswith("blocked:")
    assert "packages audited" not in run.stdout


def test_pip_audit_failing_for_any_other_reason_fails_the_step(tmp_path):
    run = _run(
        tmp_path,
        osv=(1, None, "ValueError: invalid requirement: 'django=='"),
        pypi=(0, CLEAN, ""),
    )
    assert run.returncode == 2
    assert "invalid requirement" in run.stderr


@pytest.mark.parametrize("service", ["osv", "pypi"])
def test_a_clean_audit_by_either_service_passes_and_says_how_many_it_audited(tmp_path, service):
    other = "pypi" if service == "osv" else "osv"
    run = _run(tmp_path, **{service: (0, CLEAN, ""), other: (1, None, UNREACHABLE)})
    assert run.returncode == 0
    assert f"{service}: 1 packages audited, 0 skipped" in run.stdout


def test_ci_runs_the_step_on_the_pinned_dependencies_and_stops_when_it_fails():
    """The step above only protects anything while CI calls it, on the pinned set, unmasked
    (no `|| true`), under `set -e`."""
    ci = (ROOT / ".ci" / "run").read_text()
    calls = [
        line.split()
        for line in ci.splitlines()
        if "dependency_audit.py" in line and not line.lstrip().startswith("#")
    ]

    assert "set -euo pipefail" in ci
    assert calls == [
        ['"$PY"', ".ci/dependency_audit.py", '"$BIN/pip-audit"', "requirements/constraints.txt"]
    ]
