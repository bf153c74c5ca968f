"""Across artifacts, the team agrees: ports, CIDRs, labels; and plans follow the request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from opsteam.application.service import Opsteam
from opsteam.domain.models import ChangeRequest
from opsteam.domain.naming import engine_port
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(name: str, **changes: Any) -> ChangeRequest:
    [request] = parse_requests((EXAMPLES / name).read_bytes())
    return request.model_validate({**request.model_dump(), **changes}) if changes else request


def run(tmp_path: Path, request: ChangeRequest) -> tuple[RequestState, dict[str, str]]:
    """Run to completion, approving every checkpoint; return the state and file texts."""
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    [result] = team.submit([request])
    while result.pending:
        result = team.decide(result.thread_id, "approve", all_pending=True)
    assert result.status == "completed", result.error
    state = team.state(result.thread_id)
    return state, {a.path: a.content for a in state.all_artifacts()}


def terraform(files: dict[str, str], name: str) -> dict[str, Any]:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    parsed: dict[str, Any] = hcl2.loads(files[name], serialization_options=options)
    return parsed


def resources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = []
    for block in doc.get("resource", []):
        for body in block.get(kind, {}).values() if kind in block else []:
            found.append(body)
    return found


def unquote(value: Any) -> Any:
    return value.strip('"') if isinstance(value, str) else value


def test_database_port_and_cidrs_agree(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("prod-postgres-ha.yaml"))
    database = state.data.database if state.data else None
    assert database is not None and state.network is not None
    port = engine_port(database.engine)
    assert database.port == port == 5432
    network = terraform(files, "terraform/network.tf")
    tf_cidrs = {unquote(s["cidr_block"]) for s in resources(network, "aws_subnet")}
    assert tf_cidrs == {s.cidr for s in state.network.subnets}
    assert {unquote(v["cidr_block"]) for v in resources(network, "aws_vpc")} == {
        state.network.vpc_cidr
    }
    db_rules = [r for r in state.network.rules if r.port == port]
    assert db_rules and all(r.source != "0.0.0.0/0" for r in db_rules)
    assert re.search(rf"from_port\s*=\s*{port}\b", files["terraform/network.tf"])
    database_tf = terraform(files, "terraform/database.tf")
    instances = resources(database_tf, "aws_db_instance")
    assert len(instances) == 1 + database.read_replicas
    assert all(int(unquote(i["port"])) == port for i in instances)
    [primary] = [i for i in instances if "replicate_source_db" not in i]
    assert unquote(primary["instance_class"]) == database.instance_class
    assert primary["multi_az"] is True


def _selectors(expr: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, value in re.findall(r'(\w+)="([^"]*)"', expr):
        found.setdefault(key, set()).add(value)
    return found


def test_alert_rules_select_the_labels_the_manifests_carry(tmp_path: Path) -> None:
    _, files = run(tmp_path, example("web-service-k8s.yaml"))
    deployment = yaml.safe_load(files["kubernetes/base/deployment.yaml"])
    meta = deployment["metadata"]
    rules = yaml.safe_load(files["monitoring/alerts.rules.yml"])["groups"][0]["rules"]
    k8s_rules = [r for r in rules if "kube_deployment" in r["expr"]]
    assert k8s_rules
    for rule in k8s_rules:
        selectors = _selectors(rule["expr"])
        assert selectors["namespace"] == {meta["namespace"]}
        assert selectors["deployment"] == {meta["name"]}
        assert rule["labels"]["service"] == meta["labels"]["app.kubernetes.io/name"]
    overlay = yaml.safe_load(files["kubernetes/overlays/staging/kustomization.yaml"])
    assert overlay["namespace"] == meta["namespace"]


@pytest.mark.parametrize(("env", "low"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_overlays_scale_per_environment(tmp_path: Path, env: str, low: int) -> None:
    """Each environment's request renders its own overlay (only that one), scaled for it."""
    _, files = run(tmp_path, example("web-service-k8s.yaml", environment=env))
    overlays = {p.split("/")[2] for p in files if p.startswith("kubernetes/overlays/")}
    assert overlays == {env}
    text = files[f"kubernetes/overlays/{env}/kustomization.yaml"]
    assert "/spec/replicas" not in text  # the HorizontalPodAutoscaler owns the count
    match = re.search(r"path: /spec/minReplicas\s+value: (\d+)", text)
    assert match and int(match.group(1)) == low


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("environment", "dev", "prod"), ("rpo_minutes", 1440, 5), ("size", "small", "xlarge")],
)
def test_plans_change_when_the_request_changes(
    tmp_path: Path, field: str, low: object, high: object
) -> None:
    # Production always keeps PITR, so the RPO's effect shows in staging.
    base = {"environment": "staging"} if field == "rpo_minutes" else {}
    a, files_a = run(tmp_path / "a", example("prod-postgres-ha.yaml", **base, **{field: low}))
    b, files_b = run(tmp_path / "b", example("prod-postgres-ha.yaml", **base, **{field: high}))
    assert a.data is not None and b.data is not None
    assert a.data.database is not None and b.data.database is not None
    assert a.data.database != b.data.database
    assert files_a["terraform/database.tf"] != files_b["terraform/database.tf"]
    assert files_a["plan/infrastructure-plan.md"] != files_b["plan/infrastructure-plan.md"]
    if field == "rpo_minutes":
        assert b.data.database.point_in_time_recovery
        assert a.data.database.backup_schedule != b.data.database.backup_schedule
    if field == "environment":
        assert a.network is not None and b.network is not None
        assert len(b.network.subnets) > len(a.network.subnets)
        assert b.data.database.multi_az and not a.data.database.multi_az


def test_existing_ranges_move_the_vpc(tmp_path: Path) -> None:
    a, _ = run(tmp_path / "a", example("batch-workers-vm.yaml"))
    assert a.network is not None
    b, files_b = run(
        tmp_path / "b", example("batch-workers-vm.yaml", existing_cidrs=[a.network.vpc_cidr])
    )
    assert b.network is not None and b.network.vpc_cidr != a.network.vpc_cidr
    assert b.network.vpc_cidr in files_b["terraform/network.tf"]
    assert a.network.vpc_cidr not in files_b["terraform/network.tf"]
