"""CLI for evals: ``opsteam eval [FILE] --incidents [--json]``.

The incident eval triages labelled incidents and scores owner and severity against the
targets; it exits 1 when a target is missed, so CI fails. Scoring lives in
:mod:`opsteam.application.incident_eval`; this module only parses options and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opsteam.domain.errors import InputError
from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import JsonOpt, RegistryOpt

if TYPE_CHECKING:
    from opsteam.application.incident_eval import EvalReport

EXIT_MISSED = 1


def report_data(report: EvalReport) -> dict[str, Any]:
    """The eval as data: totals against targets, per owner, and every case."""
    t = report.targets
    return {
        "kind": "incidents",
        "cases": report.total,
        "owner_accuracy": round(report.owner_accuracy, 4),
        "severity_accuracy": round(report.severity_accuracy, 4),
        "p1_below_p2": report.p1_below_p2,
        "targets": {"owner": t.owner, "severity": t.severity, "p1_below_p2": t.p1_below_p2},
        "passed": report.passed,
        "missed_targets": report.missed_targets,
        "by_owner": [
            {"owner": s.owner, "hit": s.hit, "missed": s.missed, "false_trigger": s.false_trigger}
            for s in report.by_owner()
        ],
        "results": [
            {
                "id": r.id,
                "file": r.file,
                "owner": r.owner,
                "expected_owner": r.expected_owner,
                "owner_ok": r.owner_ok,
                "severity": r.severity.value,
                "expected_severity": r.expected_severity.value,
                "severity_ok": r.severity_ok,
                "severity_reason": r.severity_reason,
                "owner_evidence": list(r.owner_evidence),
            }
            for r in report.results
        ],
    }


def render_report(data: dict[str, Any]) -> list[str]:
    lines = [f"Incident eval: {data['cases']} cases"]
    wrong = [r for r in data["results"] if not (r["owner_ok"] and r["severity_ok"])]
    for r in wrong:
        owner = "" if r["owner_ok"] else f" owner {r['owner']} (expected {r['expected_owner']})"
        sev = (
            ""
            if r["severity_ok"]
            else f" severity {r['severity']} (expected {r['expected_severity']})"
        )
        lines.append(f"  miss {r['file']}:{r['id']}:{owner}{sev}")
    lines.append(f"  {'owner':<26} {'hit':>3} {'missed':>7} {'false trigger':>14}")
    for s in data["by_owner"]:
        lines.append(f"  {s['owner']:<26} {s['hit']:>3} {s['missed']:>7} {s['false_trigger']:>14}")
    t = data["targets"]
    lines += [
        f"Owner right:    {data['owner_accuracy']:.1%} (target {t['owner']:.0%})",
        f"Severity right: {data['severity_accuracy']:.1%} (target {t['severity']:.0%})",
        f"P1 rated below P2: {data['p1_below_p2']} (target {t['p1_below_p2']})",
        "PASSED" if data["passed"] else "FAILED: " + "; ".join(data["missed_targets"]),
    ]
    return lines


def register(app: typer.Typer) -> None:
    """Add ``eval`` to the main application."""

    @app.command("eval")
    def eval_cmd(
        file: Annotated[
            Path | None,
            typer.Argument(help="A case file or directory (default: evals/incidents)."),
        ] = None,
        incidents: Annotated[
            bool, typer.Option("--incidents", help="Run the incident triage eval.")
        ] = False,
        registry: RegistryOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Run an eval against its targets; exit 1 when a target is missed.

        --incidents: triage labelled incidents (alerts as seen at open time) and score the
        owner (target 90%) and severity (target 85%), with no P1 rated below P2.
        """
        invocation = Invocation(registry_option=registry)
        with guarded(invocation, as_json):
            if not incidents:
                raise InputError("the request eval is not available yet; use --incidents")
            from opsteam.application import incident_eval

            cases = incident_eval.load_cases(file or incident_eval.DEFAULT_DIR)
            report = incident_eval.run_eval(cases, invocation.registry)
            invocation.output.emit(report_data(report), as_json=as_json, render=render_report)
            passed = report.passed
        if not passed:
            raise typer.Exit(EXIT_MISSED)
