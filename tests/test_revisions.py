"""A person's requested changes really revise the design, through the real command line.

Two processes: one submits, another approves with ``--changes``. The change must reach the
Database Administrator's plan, the Terraform and the cost table; a region change must move
every regional resource; what the team cannot apply is reported back, never dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsteam.agents.architect import role as architect
from opsteam.domain.models import ChangeRequest, Size
from opsteam.domain.registry import Registry, load_registry
from opsteam.intake.changes import parse_change
from tests.conftest import RequestFactory
from tests.test_cli import EXAMPLES, run

pytestmark = pytest.mark.slow
ROUTING = load_registry().routing


def test_changes_move_the_region_add_a_dr_replica_and_report_the_rest(tmp_path: Path) -> None:
    home = tmp_path / "home"
    submitted = run(home, "submit", str(EXAMPLES / "prod-postgres-ha.yaml"), "--json")
    assert submitted.returncode == 3, submitted.stderr
    thread = json.loads(submitted.stdout)["thread_id"]

    asked = (
        "use eu-west-1 instead of us-east-1; add a read replica in a second region; "
        "and paint the racks blue"
    )
    revised = run(home, "approve", thread, "--changes", asked, "--json")
    assert revised.returncode == 3, revised.stderr
    data = json.loads(revised.stdout)
    [pending] = [p for p in data["pending"] if p["id"] == "architecture-change"]
    assert "region: eu-west-1" in pending["applied"]
    assert "replica_regions: eu-central-1" in pending["applied"]
    assert any("paint the racks blue" in line for line in pending["not_applied"])
    shown = run(home, "status", thread)
    assert "Not applied: not understood: and paint the racks blue" in shown.stdout

    assert run(home, "approve", thread, "--all").returncode == 3
    out = tmp_path / "bundle"
    done = run(home, "approve", thread, "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    files = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}

    dba = files["database/database-plan.md"]
    assert "| Cross-region read replicas | eu-central-1 |" in dba
    database_tf = files["terraform/database.tf"]
    assert 'resource "aws_db_instance" "dr_eu_central_1"' in database_tf
    assert "replicate_source_db                   = aws_db_instance.main.arn" in database_tf
    plan = files["plan/infrastructure-plan.md"]
    assert "| Cross-region read replica (eu-central-1) | Amazon RDS |" in plan

    # Every regional resource moved: zones, provider, backend, DNS; the old region is gone.
    network_tf = files["terraform/network.tf"]
    assert '"eu-west-1a"' in network_tf and "us-east-1a" not in network_tf
    assert 'default     = "eu-west-1"' in files["terraform/variables.tf"]
    leftovers = [
        path
        for path, text in files.items()
        if "us-east-1" in text.replace("reference regions us-east-1", "")
    ]
    assert leftovers == []


def test_change_text_becomes_a_typed_delta() -> None:
    delta = parse_change("add a read replica in a second region", Size.MEDIUM, ROUTING)
    assert delta.replica_in_other_region == 1 and delta.not_understood == []
    moved = parse_change("use eu-west-1 instead of us-east-1", Size.MEDIUM, ROUTING)
    assert moved.region == "eu-west-1"
    mixed = parse_change("make it large, RPO 15 minutes; switch to mysql 8.4", Size.SMALL, ROUTING)
    assert (mixed.size, mixed.rpo_minutes, mixed.engine_version) == (Size.LARGE, 15, "8.4")
    assert mixed.engine is not None and mixed.engine.value == "mysql"
    assert parse_change("bigger instances", Size.MEDIUM, ROUTING).size is Size.LARGE
    assert parse_change("single AZ please", Size.MEDIUM, ROUTING).multi_az is False
    assert parse_change("open port 8443 and close port 80", Size.MEDIUM, ROUTING).add_ports == [
        8443
    ]
    unknown = parse_change("ask the vendor about pricing", Size.MEDIUM, ROUTING)
    assert unknown.not_understood == ["ask the vendor about pricing"]


def test_the_architect_applies_what_fits_and_refuses_what_does_not(
    make_request: RequestFactory, registry: Registry
) -> None:
    cache: ChangeRequest = make_request()  # a Redis cache: no SQL database to replicate
    revised, design = architect.revise(cache, ("add a read replica in a second region",), registry)
    assert revised.replica_regions == []
    assert design.not_applied and "SQL database" in design.not_applied[0]

    database = make_request(component="database", engine="postgres", environment="prod")
    feedback = ("add 2 more read replicas", "RPO 1 minute, rto 10 minutes")
    revised, design = architect.revise(database, feedback, registry)
    assert (revised.extra_read_replicas, revised.rpo_minutes, revised.rto_minutes) == (2, 1, 10)
    assert design.revision == 3 and design.not_applied == []
    assert {c.field for c in design.changes} == {
        "extra_read_replicas",
        "rpo_minutes",
        "rto_minutes",
    }


def test_a_value_the_form_refuses_is_reported_not_forced(
    make_request: RequestFactory, registry: Registry
) -> None:
    database = make_request(component="database", engine="postgres")
    revised, design = architect.revise(database, ("add 9 more read replicas",), registry)
    assert revised.extra_read_replicas == 0
    assert any("extra_read_replicas" in line for line in design.not_applied)
