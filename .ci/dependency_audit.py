"""CI's dependency audit: pip-audit over requirements/constraints.txt (issue 16, section 4).

Usage: python .ci/dependency_audit.py PIP_AUDIT REQUIREMENTS

Each vulnerability service is asked in turn (OSV, then PyPI's JSON API). The run fails (exit 1)
on a known vulnerability that has a fixed version, in any service that could audit; one without
a fix is reported and does not fail (nothing to upgrade to). It passes with "blocked: <reason>"
(exit 0) only when no service could be reached at all, because that is the network, not our
dependencies; any other failure of pip-audit is an error (exit 2).

"Reached" is judged from what pip-audit says, not its exit code: against an index that answers
404 for every package pip-audit skips them all and exits 0 with "No known vulnerabilities found",
which would make a blocked audit look like a clean one. So a service that audited no package is
blocked too. docs/operations.md "Dependency audit" has what each service answered here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

SERVICES = ("osv", "pypi")
TIMEOUT_SECONDS = 600
# What requests/urllib3 say when the host cannot be reached: DNS, refused, timeouts, proxies.
NETWORK_ERRORS = (
    "ConnectionError",
    "NameResolutionError",
    "Failed to resolve",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeout",
    "ReadTimeout",
    "timed out",
    "ProxyError",
)


@dataclass
class Outcome:
    service: str
    blocked: str = ""  # why nothing could be audited; empty when it audited something
    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    fixable: list[str] = field(default_factory=list)
    unfixable: list[str] = field(default_factory=list)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def audit(pip_audit: str, requirements: str, service: str) -> Outcome:
    command = [
        pip_audit,
        "--vulnerability-service",
        service,
        "--requirement",
        requirements,
        "--no-deps",  # constraints.txt pins every package: nothing to resolve
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return Outcome(service, blocked=f"no answer in {TIMEOUT_SECONDS} s")
    try:
        report = json.loads(run.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        if any(marker in run.stderr for marker in NETWORK_ERRORS):
            return Outcome(service, blocked=_last_line(run.stderr))
        raise RuntimeError(
            f"pip-audit -s {service} failed (exit {run.returncode}): {_last_line(run.stderr)}"
        )
    outcome = Outcome(service)
    for dependency in report.get("dependencies", []):
        name = f"{dependency.get('name')} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            outcome.skipped.append(dependency["skip_reason"])
            continue
        outcome.audited += 1
        for vuln in dependency.get("vulns", []):
            fixes = vuln.get("fix_versions") or []
            fixed = f" (fixed in {', '.join(fixes)})" if fixes else ""
            line = f"{name}: {vuln.get('id')}{fixed}"
            (outcome.fixable if fixes else outcome.unfixable).append(line)
    if outcome.audited == 0:
        reason = outcome.skipped[0] if outcome.skipped else "no dependency in the report"
        skipped = len(outcome.skipped)
        outcome.blocked = f"no package could be looked up ({skipped} skipped: {reason})"
    return outcome


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    pip_audit, requirements = argv[1], argv[2]
    try:
        outcomes = [audit(pip_audit, requirements, service) for service in SERVICES]
    except (OSError, RuntimeError) as exc:
        print(f"dependency audit: error: {exc}", file=sys.stderr)
        return 2
    reached = [o for o in outcomes if not o.blocked]
    if not reached:
        print("blocked: " + "; ".join(f"{o.service}: {o.blocked}" for o in outcomes))
        return 0
    failed = False
    for o in outcomes:
        if o.blocked:
            print(f"{o.service}: blocked: {o.blocked}")
            continue
        print(f"{o.service}: {o.audited} packages audited, {len(o.skipped)} skipped")
        for line in o.skipped:
            print(f"  skipped: {line}")
        for line in o.unfixable:
            print(f"  known vulnerability, no fix yet: {line}")
        for line in o.fixable:
            print(f"  VULNERABLE, upgrade: {line}")
        failed = failed or bool(o.fixable)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
