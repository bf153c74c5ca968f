"""Two review findings, through the bundle the real role graph produces.

1. Every Kubernetes overlay the bundle carries is deployable: the base denies every pod of
   the namespace by default, and the overlay adds the edge policy of the network plan the
   request designed (an environment whose network is not designed gets no overlay at all).
2. Prometheus's exporters reach a data store in a new VPC: the network plan decides the path
   (inside the VPC, or from the monitoring network over peering or a transit gateway), the
   Terraform admits that network from a typed, validated variable, and the plan and runbook
   say the route must exist.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from tests.test_bundle_consistency import example, resources, run, terraform

# What AWS accepts in a security group rule's description.
AWS_DESCRIPTION = re.compile(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*")


def _variables(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    parsed = hcl2.loads(files["terraform/variables.tf"], serialization_options=options)
    return {name: body for block in parsed["variable"] for name, body in block.items()}


def _checks(variable: dict[str, Any]) -> list[dict[str, Any]]:
    found = variable.get("validation", [])
    return found if isinstance(found, list) else [found]


def test_a_database_in_a_new_vpc_admits_the_monitoring_network_from_a_variable(
    tmp_path: Path,
) -> None:
    state, files = run(tmp_path, example("prod-postgres-ha.yaml"))
    net, db = state.network, state.data.database if state.data else None
    assert net is not None and db is not None and not net.existing_vpc
    # The variable: typed, described, validated with cidrhost (and never the world).
    assert "monitoring_cidr" in _variables(files), "no monitoring network variable"
    variable = _variables(files)["monitoring_cidr"]
    assert variable["type"] == "string"
    assert "VPC peering" in variable["description"]
    conditions = " ".join(str(c["condition"]) for c in _checks(variable))
    assert "cidrhost(var.monitoring_cidr" in conditions
    assert "cidrnetmask(var.monitoring_cidr" in conditions and ">= 8" in conditions
    assert "monitoring_cidr" in files["terraform/terraform.tfvars.example"]
    # The data store's group admits it on its port, and only there.
    rules = [
        r for r in resources(terraform(files, "terraform/network.tf"), "aws_security_group_rule")
        if "var.monitoring_cidr" in str(r.get("cidr_blocks"))
    ]  # fmt: skip
    assert len(rules) == 1
    [rule] = rules
    assert rule["type"] == "ingress" and rule["from_port"] == rule["to_port"] == db.port
    assert "_db.id" in rule["security_group_id"]
    assert AWS_DESCRIPTION.fullmatch(rule["description"]), rule["description"]
    # The plan and the runbook say the route must exist, and which one.
    plan = files["network/network-plan.md"]
    assert "## Monitoring path" in plan and "**VPC peering**" in plan
    assert f"route back to `{net.vpc_cidr}`" in plan
    runbook = files["docs/runbook.md"]
    assert "Prerequisite: the monitoring network is routed to this VPC" in runbook
    assert "`monitoring_cidr`" in runbook and "VPC peering" in runbook
    # Decided once, by the network plan: the automation and the SRE only read it.
    path = net.monitoring
    assert path is not None and path.route == "peering"
    assert path.variable == "monitoring_cidr" and path.ports == [db.port]


def test_the_request_that_routes_through_a_transit_gateway_gets_an_attachment(
    tmp_path: Path,
) -> None:
    base = example("prod-postgres-ha.yaml")
    said = base.description + " The VPC joins the organisation's transit gateway."
    state, files = run(tmp_path, example("prod-postgres-ha.yaml", description=said))
    assert "**Transit gateway attachment**" in files["network/network-plan.md"]
    assert "a transit gateway attachment" in files["docs/runbook.md"]
    assert "transit gateway attachment" in _variables(files)["monitoring_cidr"]["description"]
    assert state.network is not None and state.network.monitoring is not None
    assert state.network.monitoring.route == "transit-gateway"


def test_a_shared_vpc_database_also_admits_the_monitoring_network(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("postgres-shared-vpc.yaml"))
    assert "monitoring_cidr" in _variables(files)
    assert "var.monitoring_cidr" in files["terraform/network.tf"]
    assert "confirm the route exists" in files["network/network-plan.md"]
    net = state.network
    assert net is not None and net.existing_vpc and net.monitoring is not None
    assert net.monitoring.variable == "monitoring_cidr"


def test_prometheus_in_the_stacks_own_cluster_needs_no_other_network(tmp_path: Path) -> None:
    said = (
        "Run the storefront on Kubernetes behind a public load balancer, "
        "backed by a PostgreSQL database."
    )
    state, files = run(tmp_path, example("web-service-k8s.yaml", description=said))
    net = state.network
    assert net is not None and state.data is not None and state.data.database is not None
    assert net.monitoring is not None and net.monitoring.route == "in-vpc"
    assert not net.monitoring.variable and "monitoring_cidr" not in _variables(files)
    assert "var.monitoring_cidr" not in files["terraform/network.tf"]
    assert "inside the VPC" in files["network/network-plan.md"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_rendered_overlay_is_deployable_with_the_plans_edge(tmp_path: Path, env: str) -> None:
    state, files = run(tmp_path, example("web-service-k8s.yaml", environment=env))
    net = state.network
    assert net is not None and net.load_balancer is not None
    overlays = sorted({p.split("/")[2] for p in files if p.startswith("kubernetes/overlays/")})
    assert overlays == [env]  # other environments' networks are not designed here
    base = yaml.safe_load(files["kubernetes/base/kustomization.yaml"])
    deny = yaml.safe_load(files["kubernetes/base/networkpolicy-default-deny.yaml"])
    assert "networkpolicy-default-deny.yaml" in base["resources"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    text = files[f"kubernetes/overlays/{env}/kustomization.yaml"]
    assert "not deployable" not in text.lower()
    assert yaml.safe_load(text)["resources"] == ["../../base", "networkpolicy-edge.yaml"]
    edge = yaml.safe_load(files[f"kubernetes/overlays/{env}/networkpolicy-edge.yaml"])
    tier = "public" if net.load_balancer.scheme == "internet-facing" else "private"
    admitted = [p["ipBlock"]["cidr"] for p in edge["spec"]["ingress"][0]["from"]]
    assert admitted == [s.cidr for s in net.subnets if s.tier == tier]
