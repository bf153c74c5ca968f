"""Done-when of issue 4: a P1 database incident from triage to postmortem, with the clock moved.

Each CLI invocation opens its own store and checkpointer, as a separate process would.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ops_db
import pytest
import typer
from langgraph.types import Command
from typer.testing import CliRunner, Result

from opsteam.application import incidents as ops
from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.db import open_store, record_change
from opsteam.domain.incidents import IncidentReport, incident_id
from opsteam.domain.registry import load_registry
from opsteam.graphs.incident import build_incident_graph
from opsteam.graphs.state import IncidentCommand
from opsteam.interfaces.cli import incidents as incident_cli
from opsteam.interfaces.cli import ops as ops_cli

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TITLE = "Primary database unreachable"
DESCRIPTION = "billing API returns 500: connection refused by postgres primary"


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def report(**overrides: Any) -> IncidentReport:
    data: dict[str, Any] = {
        "title": TITLE,
        "description": DESCRIPTION,
        "service": "billing",
        "component": "database",
        "environment": "prod",
        "detected_at": T0,
    }
    return IncidentReport.model_validate({**data, **overrides})


def update_text(iid: str, status: str, impact: str, action: str, eta: str) -> str:
    return (
        f"INCIDENT: {iid} {TITLE} (billing, prod)\n"
        "SEVERITY: P1\n"
        f"STATUS: {status}\n"
        f"IMPACT: {impact}\n"
        f"CURRENT_ACTION: {action}\n"
        f"ETA: {eta}\n"
        "COMMANDER: Site Reliability Engineer\n"
    )


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPSTEAM_DATABASE_URL", "OPSTEAM_CHECKPOINT_URL", "OPSTEAM_HOME"):
        monkeypatch.delenv(name, raising=False)


class Cli:
    def __init__(self, home: Path) -> None:
        self.app = typer.Typer()
        incident_cli.register(self.app)
        ops_cli.register(self.app)
        self.home = home
        self.outputs: list[str] = []

    def __call__(self, *args: str, code: int = 0) -> Any:
        result: Result = CliRunner().invoke(self.app, [*args, "--home", str(self.home), "--json"])
        self.outputs.append(result.output)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return json.loads(result.stdout)


def bundle_for(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundles" / "billing"
    (bundle / "docs").mkdir(parents=True)
    (bundle / "monitoring").mkdir()
    (bundle / "docs" / "runbook.md").write_text("# runbook\n")
    (bundle / "monitoring" / "alerts.rules.yml").write_text("groups: []\n")
    return bundle


def test_p1_database_incident_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bundle = bundle_for(tmp_path)
    from test_db import change_request

    with open_store(home) as store:  # the request flow built the service two hours earlier
        record_change(
            store,
            "req-1",
            change_request(service="billing"),
            "succeeded",
            T0 - timedelta(hours=2),
            resources_as_code=5,
            resources_total=5,
            bundle_path=str(bundle),
        )
    cli = Cli(home)
    iid = incident_id(report())
    open_args = ["--title", TITLE, "--description", DESCRIPTION, "--service", "billing"]
    opened = cli(
        "incident",
        "open",
        *open_args,
        "--component",
        "database",
        "--environment",
        "prod",
        "--detected-at",
        T0.isoformat(),
        "--now",
        iso(0),
        code=3,
    )
    # Triage and routing.
    assert opened["id"] == iid and re.fullmatch(r"inc-[0-9a-f]{8}", iid)
    assert opened["severity"] == "P1"
    assert opened["severity_reason"] == (
        "P1: handbook P1 (partial outage or error rate above 5%): "
        "outage (unreachable) in the report"
    )
    assert opened["owner"] == "Database Administrator"
    assert opened["handed_to"] is None
    assert "the report: cannot reach the data store (postgres)" in opened["owner_evidence"]
    assert opened["escalation_level"] == "on-call"
    assert opened["waiting_for_human"] is True
    assert opened["awaiting_human"] == "major incident: P1 in production"
    impact = "outage or high error rate for billing (prod)"
    first = update_text(
        iid,
        "Investigating",
        impact,
        "Site Reliability Engineer is investigating billing (suspected: database)",
        "Not yet estimated; next update within 15 minutes",
    )
    assert opened["communication"] == first

    # Still waiting for a person: a tick inside the first window changes nothing.
    ticked = cli("incident", "tick", "--now", iso(10), code=3)
    assert [t["escalation_level"] for t in ticked] == ["on-call"]

    # The human decision, from another process (a fresh checkpointer).
    decided = cli(
        "incident",
        "update",
        iid,
        "--decision",
        "Declare a major incident; fail over",
        "--by",
        "Dana (duty manager)",
        "--now",
        iso(12),
    )
    assert decided["waiting_for_human"] is False

    # Two escalation windows by moving the clock.
    second = cli("incident", "tick", "--now", iso(16))
    assert second[0]["escalation_level"] == "secondary"
    third = cli("incident", "tick", "--now", iso(31))
    assert third[0]["escalation_level"] == "component-owner"

    identified = cli(
        "incident",
        "update",
        iid,
        "--status",
        "Identified",
        "--action",
        "Database Administrator is promoting the replica",
        "--eta",
        iso(50),
        "--now",
        iso(35),
    )
    assert identified["communication"] == update_text(
        iid,
        "Identified",
        impact,
        "Database Administrator is promoting the replica",
        "2026-11-22 10:50 UTC",
    )
    fixing = cli("incident", "update", iid, "--status", "fixing", "--now", iso(40))
    assert fixing["communication"] == update_text(
        iid,
        "Fixing",
        impact,
        "Database Administrator is promoting the replica",
        "2026-11-22 10:50 UTC",
    )
    resolved = cli(
        "incident",
        "resolve",
        iid,
        "--root-cause",
        "Primary ran out of disk; WAL archiving stalled",
        "--follow-up",
        "Alert on disk usage above 80%",
        "--now",
        iso(45),
    )
    assert resolved["status"] == "Resolved"
    assert resolved["communication"] == update_text(
        iid,
        "Resolved",
        impact,
        "Service restored; postmortem in progress",
        "Resolved at 2026-11-22 10:45 UTC",
    )
    check_postmortem(resolved["postmortem"], iid, bundle)
    assert Path(resolved["postmortem_path"]).read_text() == resolved["postmortem"]

    shown = cli("incident", "show", iid)
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds == [
        "opened",
        "triaged",
        "routed",
        "human-requested",
        "escalated",
        "human-decision",
        "escalated",
        "escalated",
        "status",
        "status",
        "resolved",
        "postmortem",
    ]
    messages = [e["message"] for e in shown["timeline"]]
    assert "Escalated to Systems Administrator (secondary, 15-30 min)" in messages
    assert "Escalated to Database Administrator (component-owner, 30-60 min)" in messages
    assert "Human decision by Dana (duty manager): Declare a major incident; fail over" in messages
    stored = [e["communication"] for e in shown["timeline"] if e["communication"]]
    assert stored == [
        first,
        identified["communication"],
        fixing["communication"],
        resolved["communication"],
    ]
    assert cli("incident", "list") == []
    assert [r["id"] for r in cli("incident", "list", "--all")] == [iid]

    kpis = {k["key"]: k for k in cli("kpis", "--since", "2026-11-22", "--now", "2026-11-23")}
    assert kpis["availability"]["actual"] == round(100 * (1 - 45 / 1440), 3)
    assert kpis["availability"]["status"] == "missed"
    assert (kpis["mttr"]["actual"], kpis["mttr"]["status"]) == (45.0, "missed")
    assert (kpis["change_success_rate"]["actual"], kpis["change_success_rate"]["status"]) == (
        100.0,
        "met",
    )
    assert (kpis["iac_coverage"]["actual"], kpis["iac_coverage"]["status"]) == (100.0, "met")
    assert kpis["cost_trend"]["status"] == "no data"
    assert not any(re.search(r"INF\s*-?\s*\d{3}", out) for out in cli.outputs)


def check_postmortem(text: str, iid: str, bundle: Path) -> None:
    assert text.startswith(f"# Postmortem: {TITLE}\n")
    assert "| Lifecycle state | Draft |" in text
    assert "| Owner | Site Reliability Engineer (incident commander) |" in text
    assert "| Time to recover | 45 min |" in text
    assert f"| Document | Incident postmortem {iid} |" in text
    assert "| 2026-11-22 10:31 UTC | Escalated to Database Administrator" in text
    assert "## Root cause\n\nPrimary ran out of disk; WAL archiving stalled\n" in text
    assert "- [ ] Alert on disk usage above 80%" in text
    assert f"- Runbook: [{bundle}/docs/runbook.md]({bundle}/docs/runbook.md)" in text
    alerts = f"{bundle}/monitoring/alerts.rules.yml"
    assert f"- Alert rules: [{alerts}]({alerts})" in text
    assert (
        "- 2026-11-22 10:12 UTC, Dana (duty manager): Declare a major incident; fail over" in text
    )


def test_human_escalation_is_durable_across_checkpointer_instances(tmp_path: Path) -> None:
    registry = load_registry()
    result = ops.open_incident(tmp_path, report(), now=T0, registry=registry)
    config = {"configurable": {"thread_id": result.incident.id}}
    with open_checkpointer(tmp_path) as saver:  # a new instance, as another process would
        graph = build_incident_graph(registry, saver)
        snapshot = graph.get_state(config)  # type: ignore[arg-type]
        assert snapshot.next == ("human",)
        (pending,) = snapshot.interrupts
        assert pending.value["kind"] == "human-decision"
        assert pending.value["reason"] == "major incident: P1 in production"
    with open_checkpointer(tmp_path) as saver:
        graph = build_incident_graph(registry, saver)
        command = IncidentCommand.model_validate(
            {
                "kind": "update",
                "at": iso(3),
                "update": {"at": iso(3), "decision": "Proceed with failover", "by": "Dana"},
            }
        )
        graph.invoke(Command(resume=command.model_dump(mode="json")), config)  # type: ignore[arg-type]
        after = graph.get_state(config)  # type: ignore[arg-type]
        assert after.next == ("wait",)
        assert after.values["incident"].awaiting_human is None
        assert after.values["incident"].decisions[0].by == "Dana"


def test_escalation_past_the_architect_window_needs_a_human(tmp_path: Path) -> None:
    registry = load_registry()
    network = report(
        title="Load balancer health checks flapping",
        description="elevated errors behind the public load balancer",
        component="load-balancer",
    )
    result = ops.open_incident(tmp_path, network, now=T0, registry=registry)
    assert (result.incident.severity.value, result.incident.owner) == ("P2", "network-engineer")
    assert result.waiting_for_human is False
    levels = []
    for minutes in (20, 40, 61):
        (ticked,) = ops.tick(tmp_path, now=T0 + timedelta(minutes=minutes), registry=registry)
        levels.append(ticked.incident.level)
        assert ticked.waiting_for_human is False
    assert levels == ["secondary", "component-owner", "architecture"]
    (last,) = ops.tick(tmp_path, now=T0 + timedelta(minutes=121), registry=registry)
    assert last.incident.level == "human"
    assert last.waiting_for_human is True
    assert last.incident.awaiting_human == "Human escalation: no resolution after 120 min"
    holders = [e.message for e in last.incident.timeline if e.kind == "escalated"]
    assert holders[-2:] == [
        "Escalated to Infrastructure Architect (architecture, 60-120 min)",
        "Escalated to Human escalation (human, 120+ min)",
    ]


postgres_url = ops_db.postgres_url


@pytest.mark.postgres
def test_incident_flow_on_postgres(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same store and checkpoints on PostgreSQL (history and graph threads)."""
    monkeypatch.setenv("OPSTEAM_DATABASE_URL", postgres_url)
    cli = Cli(tmp_path)
    open_args = ["--title", TITLE, "--description", DESCRIPTION, "--service", "billing"]
    opened = cli(
        "incident",
        "open",
        *open_args,
        "--component",
        "database",
        "--detected-at",
        iso(0),
        "--now",
        iso(0),
        code=3,
    )
    iid = opened["id"]
    cli("incident", "update", iid, "--decision", "fail over", "--now", iso(5))
    assert cli("incident", "tick", "--now", iso(16))[0]["escalation_level"] == "secondary"
    resolved = cli("incident", "resolve", iid, "--root-cause", "disk full", "--now", iso(20))
    assert "| Time to recover | 20 min |" in resolved["postmortem"]
    assert cli("incident", "show", iid)["status"] == "Resolved"
    assert not (tmp_path / "opsteam.db").exists()  # nothing fell back to SQLite
