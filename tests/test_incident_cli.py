"""Bad input gives one clear line, exit 2, and changes neither the database nor the checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_incident_flow import DESCRIPTION, TITLE, Cli, iso
from typer.testing import CliRunner

OPEN = [
    "incident",
    "open",
    "--title",
    TITLE,
    "--description",
    DESCRIPTION,
    "--service",
    "billing",
    "--component",
    "database",
    "--environment",
    "prod",
    "--detected-at",
    iso(0),
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPSTEAM_DATABASE_URL", "OPSTEAM_CHECKPOINT_URL", "OPSTEAM_HOME"):
        monkeypatch.delenv(name, raising=False)


def snapshot(home: Path) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name in ("opsteam.db", "checkpoints.sqlite"):
        path = home / name
        if not path.exists():
            continue
        with sqlite3.connect(path) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                state[f"{name}:{table}"] = sorted(map(repr, conn.execute(f"SELECT * FROM {table}")))
    return state


def failing(cli: Cli, *args: str, message: str) -> None:
    before = snapshot(cli.home)
    result = CliRunner().invoke(cli.app, [*args, "--home", str(cli.home)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any(line.startswith("error: ") and message in line for line in lines), lines
    assert snapshot(cli.home) == before


@pytest.fixture
def opened(tmp_path: Path) -> tuple[Cli, str]:
    cli = Cli(tmp_path / "home")
    data = cli(*OPEN, "--now", iso(1), code=3)
    cli("incident", "update", data["id"], "--decision", "go", "--now", iso(2))
    return cli, str(data["id"])


def test_unknown_severity(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    failing(cli, *OPEN, "--severity", "P7", message="unknown severity 'P7'")
    assert (
        not (cli.home / "opsteam.db").exists()
        or snapshot(cli.home).get("opsteam.application.db:incidents") == []
    )


def test_resolve_twice(opened: tuple[Cli, str]) -> None:
    cli, iid = opened
    cli("incident", "resolve", iid, "--root-cause", "disk full", "--now", iso(30))
    failing(
        cli,
        "incident",
        "resolve",
        iid,
        "--root-cause",
        "again",
        "--now",
        iso(40),
        message="already resolved",
    )
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--status",
        "Fixing",
        "--now",
        iso(40),
        message="already resolved",
    )


def test_times_in_the_past(opened: tuple[Cli, str]) -> None:
    cli, iid = opened
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--status",
        "Identified",
        "--now",
        iso(-5),
        message="before the incident was detected",
    )
    failing(
        cli, "incident", "update", iid, "--note", "late", "--now", iso(1), message="is in the past"
    )
    failing(cli, "incident", "update", iid, "--eta", iso(3), "--now", iso(4), message="eta: ")
    failing(cli, "incident", "tick", "--now", iso(1), message="is in the past")
    failing(
        cli,
        "incident",
        "resolve",
        iid,
        "--root-cause",
        "x",
        "--now",
        iso(-1),
        message="before the incident was detected",
    )
    failing(cli, *OPEN[:-2], "--detected-at", iso(90), "--now", iso(60), message="is in the future")


def test_status_cannot_go_back(opened: tuple[Cli, str]) -> None:
    cli, iid = opened
    cli("incident", "update", iid, "--status", "Fixing", "--now", iso(5))
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--status",
        "Identified",
        "--now",
        iso(6),
        message="cannot go back from Fixing to Identified",
    )
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--status",
        "Resolved",
        "--now",
        iso(6),
        message="incident resolve",
    )
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--status",
        "Sleeping",
        "--now",
        iso(6),
        message="unknown status",
    )


def test_unknown_id_duplicate_and_empty_update(opened: tuple[Cli, str]) -> None:
    cli, iid = opened
    failing(cli, "incident", "show", "inc-00000000", message="not found")
    failing(cli, "incident", "update", "inc-00000000", "--note", "x", message="not found")
    failing(cli, *OPEN, "--now", iso(9), message="already exists")
    failing(cli, "incident", "update", iid, "--now", iso(9), message="nothing to update")


def test_malformed_payloads_and_fields(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    broken = tmp_path / "alert.json"
    broken.write_text('{"labels": {"severity": "critical"}\n  "oops": [')
    failing(cli, *OPEN, "--alert", str(broken), message="malformed JSON/YAML")
    listing = tmp_path / "alert.yaml"
    listing.write_text("- a\n- b\n")
    failing(cli, *OPEN, "--alert", str(listing), message="must hold a mapping")
    failing(cli, *OPEN, "--alert", str(tmp_path / "missing.json"), message="cannot read")
    failing(
        cli,
        *OPEN[:-6],
        "--component",
        "db; rm -rf /",
        "--environment",
        "prod",
        "--detected-at",
        iso(0),
        message="component",
    )
    failing(cli, *OPEN, "--now", "half past ten", message="not an ISO 8601 time")


def _webhook(*alerts: str) -> str:
    return "alerts:\n" + "".join(alerts)


LAG = "  - labels: {severity: warning, alertname: PgReplicationLag}\n"
ERRORS = (
    "  - labels: {severity: warning, alertname: BillingErrors, service: billing}\n"
    "    annotations: {description: 12% of billing requests failed}\n"
)


@pytest.mark.parametrize("order", ["lag first", "errors first"])
def test_the_highest_impact_among_all_alerts_counts(tmp_path: Path, order: str) -> None:
    """Reordering the same alerts never changes the severity (issue 15)."""
    cli = Cli(tmp_path / "home")
    alert = tmp_path / "alert.yaml"
    alert.write_text(_webhook(LAG, ERRORS) if order == "lag first" else _webhook(ERRORS, LAG))
    args = [a if a != DESCRIPTION else "replica lag is growing" for a in OPEN]
    data = cli(*args, "--alert", str(alert), "--now", iso(1), code=3)
    assert data["severity"] == "P1"
    assert data["severity_reason"] == (
        "P1: handbook P1 (partial outage or error rate above 5%): 12% of requests failing "
        "in alert BillingErrors (service=billing)"
    )


def test_alert_impact_beats_its_label(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    alert = tmp_path / "alert.yaml"
    alert.write_text(_webhook(LAG))
    replaced = {DESCRIPTION: "replica lag is growing", TITLE: "Replica behind"}
    args = [replaced.get(a, a) for a in OPEN]
    data = cli(*args, "--alert", str(alert), "--now", iso(1))
    assert data["severity"] == "P2"
    assert "degraded (lag)" in data["severity_reason"]
    assert data["waiting_for_human"] is False
    shown = cli("incident", "show", data["id"])
    assert shown["timeline"][0]["message"] == "Incident opened: Replica behind"


def test_human_text_output_and_exit_three(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    result = CliRunner().invoke(cli.app, [*OPEN, "--now", iso(0), "--home", str(cli.home)])
    assert result.exit_code == 3
    assert "Waiting for a human decision: major incident: P1 in production" in result.output
    assert "COMMANDER: Site Reliability Engineer" in result.output
    listed = CliRunner().invoke(cli.app, ["incident", "list", "--home", str(cli.home)])
    assert listed.exit_code == 0 and "P1" in listed.output


def _without_environment() -> list[str]:
    at = OPEN.index("--environment")
    return OPEN[:at] + OPEN[at + 2 :]


@pytest.mark.parametrize(
    ("labels", "expected", "code"),
    [
        ("environment: staging", "staging", 0),
        ("env: production", "prod", 3),  # the label's spelling, read like a request's
        ("", "prod", 3),  # nothing says it: the side that escalates (a P1 there waits)
    ],
)
def test_the_alerts_environment_label_is_the_incidents_when_none_is_given(
    tmp_path: Path, labels: str, expected: str, code: int
) -> None:
    """A staging alert opened without --environment is not a production incident."""
    cli = Cli(tmp_path / "home")
    alert = tmp_path / "alert.yaml"
    extra = f", {labels}" if labels else ""
    alert.write_text(_webhook(f"  - labels: {{alertname: DatabaseDown, severity: P1{extra}}}\n"))
    data = cli(*_without_environment(), "--alert", str(alert), "--now", iso(1), code=code)
    assert data["environment"] == expected


def test_an_explicit_environment_beats_the_alerts_label(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    alert = tmp_path / "alert.yaml"
    alert.write_text(_webhook("  - labels: {alertname: DatabaseDown, environment: staging}\n"))
    data = cli(*OPEN, "--alert", str(alert), "--now", iso(1), code=3)
    assert data["environment"] == "prod"
