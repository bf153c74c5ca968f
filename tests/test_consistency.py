"""Every shared fact has one value across the plan, every role's document and every artifact.

For each example, the whole team runs (validators faked: these facts do not depend on them),
then each fact the specialists decided (engine, version, retention, replicas, regions, CIDRs,
ports, sizes, NAT gateways, pod replicas) is read back from every file that states it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions

from opsteam.application.service import Opsteam
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p.name for p in (ROOT / "examples").glob("*.yaml") if p.name != "ci-pipeline.yaml"
)
OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
Bundle = dict[str, str]


def _run(tmp_path: Path, name: str) -> tuple[RequestState, Bundle]:
    """Every request of the file in one home; the facts are read from the last bundle."""
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    for request in parse_requests((ROOT / "examples" / name).read_bytes()):
        [result] = team.submit([request])
        while result.pending:
            result = team.decide(result.thread_id, "approve", all_pending=True, by="ci")
        assert result.status == "completed", result.summary
    state = team.state(result.thread_id)
    return state, {a.path: a.content for a in state.all_artifacts()}


def _resources(text: str, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in hcl2.loads(text, serialization_options=OPTIONS).get("resource", []):
        found.update(block.get(kind, {}))
    return found


@pytest.fixture(scope="module", params=EXAMPLES)
def bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return _run(tmp_path_factory.mktemp("consistency"), request.param)


def test_database_facts_agree_everywhere(bundle: tuple[RequestState, Bundle]) -> None:
    state, files = bundle
    db = state.data.database if state.data else None
    if db is None or "terraform/database.tf" not in files:
        return
    dba_doc = files["database/database-plan.md"]
    assert f"| Engine | {db.engine.value} {db.version} |" in dba_doc
    assert f"| Automated backup retention | {db.retention_days} days |" in dba_doc
    assert f"| Read replicas | {db.read_replicas} |" in dba_doc
    tf = files["terraform/database.tf"]
    if db.engine.value == "redis":
        [group] = _resources(tf, "aws_elasticache_replication_group").values()
        assert (group["engine_version"], group["node_type"]) == (db.version, db.instance_class)
        assert group["num_cache_clusters"] == 1 + db.read_replicas
        assert group["port"] == db.port
    else:
        instances = _resources(tf, "aws_db_instance")
        assert len(instances) == 1 + db.read_replicas + len(db.replica_regions)
        assert all(i["instance_class"] == db.instance_class for i in instances.values())
        assert all(i["port"] == db.port for i in instances.values())
        primary = instances["main"]
        assert (primary["engine"], primary["engine_version"]) == (db.engine.value, db.version)
        assert primary["backup_retention_period"] == min(db.retention_days, 35)
        assert primary["multi_az"] is db.multi_az
    plan = state.plan
    assert plan is not None
    priced = [i for i in plan.estimate.items if i.table == "database"]
    assert priced and all(i.size == db.instance_class for i in priced)
    backups = next(b for b in plan.backups if b.data.startswith(db.engine.value))
    assert backups.frequency == db.backup_schedule
    assert backups.retention == f"{db.retention_days} days of automated backups"
    watch = state.reliability.watch if state.reliability else None
    if watch is not None and watch.sql_engine is not None:
        assert (watch.sql_engine, watch.sql_port) == (db.engine, db.port)


def test_network_facts_agree_everywhere(bundle: tuple[RequestState, Bundle]) -> None:
    state, files = bundle
    net, design = state.network, state.design
    assert design is not None
    if net is None or "terraform/network.tf" not in files:
        return
    tf = files["terraform/network.tf"]
    if net.existing_vpc:  # a shared network: used, never created
        assert not _resources(tf, "aws_vpc") and not _resources(tf, "aws_subnet")
        assert not _resources(tf, "aws_nat_gateway") and not net.nat_zones
        assert 'data "aws_vpc" "existing"' in tf and "var.vpc_id" in tf
        assert "Existing shared network" in files["network/network-plan.md"]
        return
    [vpc] = _resources(tf, "aws_vpc").values()
    assert vpc["cidr_block"] == net.vpc_cidr
    assert f"`{net.vpc_cidr}`" in files["network/network-plan.md"]
    subnets = _resources(tf, "aws_subnet").values()
    assert sorted(s["cidr_block"] for s in subnets) == sorted(s.cidr for s in net.subnets)
    assert {s["availability_zone"] for s in subnets} <= set(design.zones)
    assert all(z.startswith(design.region) for z in design.zones)
    assert len(_resources(tf, "aws_nat_gateway")) == len(net.nat_zones)
    plan = state.plan
    assert plan is not None
    nat = [i for i in plan.estimate.items if i.use == "NAT egress"]
    assert [i.quantity for i in nat] == ([len(net.nat_zones)] if net.nat_zones else [])
    variables = files["terraform/variables.tf"]
    assert re.search(rf'default\s*=\s*"{re.escape(design.region)}"', variables)
    db = state.data.database if state.data else None
    if db is not None:
        ports = {r.port for r in net.rules if "db" in r.destination or "cache" in r.destination}
        assert ports == {db.port}


def test_workload_facts_agree_everywhere(bundle: tuple[RequestState, Bundle]) -> None:
    state, files = bundle
    k8s = state.automation.kubernetes if state.automation else None
    if k8s is None:
        return
    deployment = yaml.safe_load(files["kubernetes/base/deployment.yaml"])
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [k8s.port]
    if state.network is not None and state.network.load_balancer is not None:
        assert state.network.load_balancer.backend_port == k8s.port
    for overlay in k8s.overlays:
        text = files[f"kubernetes/overlays/{overlay.env}/kustomization.yaml"]
        assert f"value: {overlay.replicas}" in text and f"value: {overlay.max_replicas}" in text
    plan = state.plan
    assert plan is not None
    assert plan.autoscaling[0].limits.startswith(f"{k8s.replicas}-{k8s.max_replicas} pods")
    cluster = (
        state.automation.stack.cluster if state.automation and state.automation.stack else None
    )
    nodes = [i for i in plan.estimate.items if i.use == "Kubernetes nodes"]
    if cluster is not None and cluster.created:  # the stack creates (and prices) the nodes
        assert [i.quantity for i in nodes] == [cluster.desired_nodes]
    else:  # an existing cluster is referenced: nothing of it is priced
        assert nodes == []


def test_hosts_agree_everywhere(bundle: tuple[RequestState, Bundle]) -> None:
    state, files = bundle
    servers = state.servers
    if servers is None or not any(h.count for h in servers.hosts):
        return
    instances = _resources(files["terraform/compute.tf"], "aws_instance")
    counts = {h.name: h.count for h in servers.hosts if h.count}
    assert sum(int(i.get("count", 1)) for i in instances.values()) == sum(counts.values())
    plan = state.plan
    assert plan is not None
    priced = sum(i.quantity for i in plan.estimate.items if i.use in ("Servers", "Bastion host"))
    assert priced == sum(counts.values())
