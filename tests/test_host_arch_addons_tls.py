"""Review 2026-12-01, items 1, 3, 6 and 8 (TLS), through the bundles the real graph produces.

* Hosts boot: the CPU architecture is decided with the instance type and the AMI lookup uses
  it (an arm64 image on m6i/t3 never launches).
* The EKS cluster the bundle creates enforces NetworkPolicies (VPC CNI add-on with the
  network-policy agent on) and runs metrics-server, so the HorizontalPodAutoscaler can scale.
* The edge change's TLS policy keeps TLS 1.2 clients unless the request asks for 1.3 only, and
  every plan states what the decided policy accepts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsteam.agents.automation.terraform import ami_filter
from opsteam.agents.sysadmin import role as sysadmin
from opsteam.domain.decisions import HostSpec
from opsteam.domain.decisions.compute import cpu_architecture
from opsteam.domain.models import Environment, Size
from tests.team import decide_all
from tests.test_bundle_consistency import example, resources, run, terraform, unquote

# Written out here, not read from the code under test: what each family runs.
KNOWN: dict[str, str] = {
    "t3.micro": "x86_64", "t3.small": "x86_64", "t3.medium": "x86_64", "m6i.large": "x86_64",
    "m6i.xlarge": "x86_64", "m6i.2xlarge": "x86_64", "m7i.large": "x86_64",
    "m7a.large": "x86_64", "c6in.large": "x86_64", "g5.xlarge": "x86_64",
    "g4dn.xlarge": "x86_64", "r6id.large": "x86_64",
    "t4g.micro": "arm64", "m7g.large": "arm64", "c7g.xlarge": "arm64", "c7gn.large": "arm64",
    "r6gd.large": "arm64", "m8g.large": "arm64", "im4gn.large": "arm64", "x2gd.large": "arm64",
    "g5g.xlarge": "arm64", "a1.large": "arm64",
}  # fmt: skip
# How the publishers spell each architecture in image names (Ubuntu/Debian; Amazon Linux).
IMAGE_WORD = {"x86_64": ("amd64", "x86_64"), "arm64": ("arm64",)}
FAMILIES = {name.split(".")[0]: arch for name, arch in KNOWN.items()}


@pytest.mark.parametrize(("instance_type", "architecture"), sorted(KNOWN.items()))
def test_each_family_runs_its_own_architecture(instance_type: str, architecture: str) -> None:
    assert cpu_architecture(instance_type) == architecture


def test_a_host_cannot_be_decided_with_an_image_its_type_does_not_run() -> None:
    with pytest.raises(ValueError, match="does not run arm64"):
        HostSpec(
            name="app", purpose="app", os="Ubuntu 24.04 LTS", instance_type="m6i.large",
            architecture="arm64", count=1,
        )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    size=st.sampled_from(list(Size)),
    env=st.sampled_from(list(Environment)),
    users=st.one_of(st.none(), st.integers(min_value=1, max_value=3_000_000)),
    os_name=st.sampled_from(["Ubuntu 24.04 LTS", "Debian 12", "Amazon Linux 2023"]),
)
def test_every_type_the_playbook_chooses_gets_an_image_of_its_architecture(
    size: Size, env: Environment, users: int | None, os_name: str
) -> None:
    """Any size, environment and load: each host's image is looked up for its type's CPU."""
    request = example("batch-workers-vm.yaml").model_copy(
        update={"size": size, "environment": env, "expected_users": users}
    )
    ctx = decide_all(request)
    assert ctx.servers is not None and ctx.servers.hosts
    assert ctx.automation is not None and ctx.automation.stack is not None
    stack = ctx.automation.stack
    assert {h.instance_type for h in stack.hosts} <= set(KNOWN)  # the table covers the playbook
    for host in stack.hosts:
        wanted = FAMILIES[host.instance_type.split(".")[0]]
        assert host.architecture == wanted
        for arch, words in IMAGE_WORD.items():
            _, pattern = ami_filter(os_name, host.architecture)
            assert any(w in pattern for w in words) is (arch == wanted), pattern
    playbook = {*sysadmin.INSTANCE_TYPES.values(), sysadmin.BASTION_TYPE}
    assert playbook <= set(KNOWN)


def _data(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: b for block in doc.get("data", []) for n, b in block.get(kind, {}).items()}


def test_the_vm_bundle_looks_up_images_its_instance_types_run(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("batch-workers-vm.yaml"))
    compute = terraform(files, "terraform/compute.tf")
    amis, types = _data(compute, "aws_ami"), _data(compute, "aws_ec2_instance_type")
    instances = {
        name: body
        for block in compute.get("resource", [])
        for name, body in block.get("aws_instance", {}).items()
    }
    assert instances and set(amis) == set(instances) == set(types)
    for name, body in instances.items():
        arch = FAMILIES[unquote(body["instance_type"]).split(".")[0]]
        lookup = amis[name]["filter"]
        filters = {unquote(f["name"]): [unquote(v) for v in f["values"]] for f in lookup}
        assert filters["architecture"] == [arch]
        assert "amd64" in filters["name"][0] and "arm64" not in filters["name"][0]
        [check] = body["lifecycle"][0]["precondition"]
        assert "supported_architectures" in check["condition"]
    baseline = files["servers/baseline.md"]
    assert state.servers is not None
    for host in state.servers.hosts:
        assert f"`{host.instance_type}` | x86_64 |" in baseline


def _addons(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    doc = terraform(files, "terraform/kubernetes.tf")
    return {unquote(b["addon_name"]): b for b in resources(doc, "aws_eks_addon")}


def test_a_created_cluster_enforces_network_policies_and_can_autoscale(tmp_path: Path) -> None:
    _, files = run(tmp_path, example("web-service-k8s.yaml"))
    assert "kubernetes/base/hpa.yaml" in files
    addons = _addons(files)
    assert {"vpc-cni", "metrics-server", "kube-state-metrics"} <= set(addons)
    config = str(addons["vpc-cni"]["configuration_values"])
    assert re.search(r"jsonencode\(\{\s*\"?enableNetworkPolicy\"?\s*[=:]\s*\"true\"", config)
    [nodes] = resources(terraform(files, "terraform/kubernetes.tf"), "aws_eks_node_group")
    assert "aws_eks_addon.vpc_cni" in " ".join(map(str, nodes["depends_on"]))
    plan = files["plan/infrastructure-plan.md"]
    assert "CPU from metrics-server, an EKS add-on of this stack" in plan


def test_an_existing_cluster_states_the_addons_as_prerequisites(tmp_path: Path) -> None:
    _, files = run(tmp_path, example("web-existing-cluster.yaml"))
    assert _addons(files) == {}
    text = files["terraform/kubernetes.tf"]
    assert "metrics-server" in text and "enableNetworkPolicy" in text
    assert (
        "CPU from metrics-server, a prerequisite in the cluster"
        in (files["plan/infrastructure-plan.md"])
    )


def _listener_policies(files: dict[str, str]) -> set[str]:
    found = set()
    for path in files:
        if path.startswith("terraform/") and path.endswith(".tf"):
            for body in resources(terraform(files, path), "aws_lb_listener"):
                if "ssl_policy" in body:
                    found.add(unquote(body["ssl_policy"]))
    return found


def test_the_edge_change_keeps_tls_12_clients_and_every_plan_says_so(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("dns-lb-change.yaml"))  # "enforce TLS 1.3"
    assert state.network is not None and state.network.load_balancer is not None
    policy = state.network.load_balancer.tls_policy
    assert policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert _listener_policies(files) == {policy}
    accepted = f"`{policy}` (accepts TLS 1.3 and 1.2; minimum TLS 1.2)"
    assert accepted in files["network/network-plan.md"]
    assert (
        f"TLS 1.3 and 1.2 at the load balancer ({policy}; minimum TLS 1.2)"
        in (files["plan/infrastructure-plan.md"])
    )
    assert "TLS 1.2 stays accepted" in files["network/network-plan.md"]


def test_tls_13_only_when_asked_and_the_plan_says_12_clients_fail(tmp_path: Path) -> None:
    request = example(
        "dns-lb-change.yaml",
        description="Point the DNS name api.example.com at the new load balancer for the "
        "public API, TLS 1.3 only, and redirect HTTP to HTTPS. Health check path /healthz.",
    )
    _, files = run(tmp_path, request)
    policy = "ELBSecurityPolicy-TLS13-1-3-2021-06"
    assert _listener_policies(files) == {policy}
    plan = files["plan/infrastructure-plan.md"]
    assert f"TLS 1.3 only at the load balancer ({policy}): TLS 1.2 clients fail" in plan
    assert "minimum TLS 1.2" not in plan.split("Encryption in transit", 1)[1].split("\n", 1)[0]
    assert "TLS 1.2 clients fail" in files["network/network-plan.md"]
