"""CLI for evals: ``opsteam eval [FILE] [--incidents] [--json]``.

The request eval runs labelled requests through intake and the architect and scores the
specialists, checkpoints, redirects and parsed fields; the incident eval triages labelled
incidents. Either exits 1 when a target is missed, so CI fails. Scoring lives in the
application layer; this module only parses options and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import JsonOpt, RegistryOpt

if TYPE_CHECKING:
    from opsteam.application.eval_scores import Score
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


def request_data(score: Score) -> dict[str, Any]:
    """The request eval as data: totals against targets, per role and kind, the failures."""
    t = score.targets

    def tallies(items: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": x.name,
                "hit": x.hit,
                "missed": x.missed,
                "false_trigger": x.false_trigger,
                "precision": round(x.precision, 4),
                "recall": round(x.recall, 4),
            }
            for x in items
        ]

    return {
        "kind": "requests",
        "cases": len(score.outcomes),
        "routed_cases": score.routed,
        "specialists_exact": round(score.specialists_exact, 4),
        "checkpoint_recall": round(score.checkpoint_recall, 4),
        "checkpoint_precision": round(score.checkpoint_precision, 4),
        "redirect_accuracy": round(score.redirect_accuracy, 4),
        "field_accuracy": round(score.field_accuracy, 4),
        "targets": {
            "specialists_exact": t.specialists_exact,
            "checkpoint_recall": t.checkpoint_recall,
            "checkpoint_precision": t.checkpoint_precision,
            "redirects": t.redirects,
            "fields": t.fields,
        },
        "roles": tallies(score.roles.values()),
        "checkpoints": tallies(score.kinds.values()),
        "fields": tallies(score.fields.values()),
        "passed": score.passed,
        "missed_targets": score.missed_targets,
        "failures": [
            {"id": out.case.id, "file": out.case.file, "problems": problems}
            for out, problems in score.failures
        ],
    }


def render_requests(data: dict[str, Any]) -> list[str]:
    lines = [f"Request eval: {data['cases']} cases ({data['routed_cases']} routed)"]
    for f in data["failures"]:
        lines.append(f"  miss {f['file']}:{f['id']}: " + "; ".join(f["problems"]))
    header = (
        f"  {'':<26} {'hit':>4} {'missed':>7} {'false trigger':>14} {'precision':>10} {'recall':>7}"
    )
    for title, rows in (("role", data["roles"]), ("checkpoint", data["checkpoints"])):
        lines.append(header.replace(" " * 26, f"{title:<26}", 1))
        for r in rows:
            lines.append(
                f"  {r['name']:<26} {r['hit']:>4} {r['missed']:>7} {r['false_trigger']:>14} "
                f"{r['precision']:>10.1%} {r['recall']:>7.1%}"
            )
    fields = [
        f"{r['name']} {r['recall']:.0%} ({r['hit']}/{r['hit'] + r['missed']})"
        for r in data["fields"]
    ]
    lines.append("  field accuracy: " + ", ".join(fields))
    t = data["targets"]
    rows = (
        ("Specialist set exact", "specialists_exact", "specialists_exact"),
        ("Checkpoint recall", "checkpoint_recall", "checkpoint_recall"),
        ("Checkpoint precision", "checkpoint_precision", "checkpoint_precision"),
        ("Redirects right", "redirect_accuracy", "redirects"),
        ("Fields right", "field_accuracy", "fields"),
    )
    lines += [
        f"{label + ':':<22}{data[key]:.1%} (target {t[target]:.0%})" for label, key, target in rows
    ]
    lines.append("PASSED" if data["passed"] else "FAILED: " + "; ".join(data["missed_targets"]))
    return lines


def register(app: typer.Typer) -> None:
    """Add ``eval`` to the main application."""

    @app.command("eval")
    def eval_cmd(
        file: Annotated[
            Path | None,
            typer.Argument(
                help="A case file or directory (default: evals/requests, or evals/incidents)."
            ),
        ] = None,
        incidents: Annotated[
            bool, typer.Option("--incidents", help="Run the incident triage eval.")
        ] = False,
        registry: RegistryOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Run an eval against its targets; exit 1 when a target is missed.

        Requests (default): labelled requests in plain words or forms, scored on the specialist
        set (95% exact), checkpoints (100% recall, 90% precision), redirects (100%) and parsed
        fields (95%). --incidents: labelled incidents, scored on owner (90%) and severity (85%).
        """
        invocation = Invocation(registry_option=registry)
        with guarded(invocation, as_json):
            if not incidents:
                from opsteam.application import request_eval
                from opsteam.application.model import words_reader

                cases = request_eval.load_cases(file or request_eval.DEFAULT_DIR)
                reader = words_reader(invocation.settings, invocation.registry)
                score = request_eval.run_eval(cases, invocation.registry, reader=reader)
                invocation.output.emit(request_data(score), as_json=as_json, render=render_requests)
                passed = score.passed
            else:
                passed = _incidents(invocation, file, as_json)
        if not passed:
            raise typer.Exit(EXIT_MISSED)


def _incidents(invocation: Invocation, file: Path | None, as_json: bool) -> bool:
    from opsteam.application import incident_eval

    cases = incident_eval.load_cases(file or incident_eval.DEFAULT_DIR)
    report = incident_eval.run_eval(cases, invocation.registry)
    invocation.output.emit(report_data(report), as_json=as_json, render=render_report)
    return report.passed
