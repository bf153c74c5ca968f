"""Automation Engineer: the IaC codifies exactly what the other roles decided."""

from __future__ import annotations

from typing import Any

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions
from iac_factories import database_plan, make_ctx, make_design, make_network, make_request

from opsteam.agents.automation import role as automation
from opsteam.agents.base import RoleContext
from opsteam.domain import naming
from opsteam.domain.decisions import FirewallRule, NetworkPlan
from opsteam.domain.models import Artifact, ChangeRequest, Engine, Environment
from tests.fakes import checkov_finding

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def bundle(request: ChangeRequest, ctx: RoleContext | None = None) -> dict[str, Artifact]:
    ctx = ctx or make_ctx(request)
    plan = automation.decide(request, ctx)
    return {a.path: a for a in automation.render(plan, request, ctx)}


def resources(text: str, kind: str) -> dict[str, dict[str, Any]]:
    parsed = hcl2.loads(text, serialization_options=OPTIONS)
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("resource", []):
        for name, body in block.get(kind, {}).items():
            found[name] = body
    return found


def test_terraform_cidrs_are_the_network_plans() -> None:
    request = make_request()
    ctx = make_ctx(request)
    assert ctx.network is not None
    tf = bundle(request, ctx)["terraform/network.tf"].content
    [vpc] = resources(tf, "aws_vpc").values()
    assert vpc["cidr_block"] == ctx.network.vpc_cidr
    cidrs = sorted(s["cidr_block"] for s in resources(tf, "aws_subnet").values())
    assert cidrs == sorted(s.cidr for s in ctx.network.subnets)
    assert len(resources(tf, "aws_security_group_rule")) == len(ctx.network.rules)


@pytest.mark.parametrize("engine", [Engine.POSTGRES, Engine.MYSQL, Engine.REDIS])
def test_database_port_matches_the_plan_in_instance_and_security_group(engine: Engine) -> None:
    request = make_request(engine=engine.value)
    design = make_design(engine=engine)
    ctx = make_ctx(request, design=design)
    ctx = make_ctx(request, design=design, database=database_plan(request, ctx))
    assert ctx.database is not None
    files = bundle(request, ctx)
    db_tf = files["terraform/database.tf"].content
    kind = "aws_elasticache_replication_group" if engine is Engine.REDIS else "aws_db_instance"
    main = resources(db_tf, kind)["main"]
    assert int(main["port"]) == ctx.database.port == naming.engine_port(engine)
    rules = resources(files["terraform/network.tf"].content, "aws_security_group_rule")
    db_ingress = [
        r for r in rules.values() if r["type"] == "ingress" and "db" in r["security_group_id"]
    ]
    assert db_ingress and {int(r["from_port"]) for r in db_ingress} == {ctx.database.port}
    assert "aws_security_group.db.id" in str(main)


def test_database_instance_settings_follow_the_plan() -> None:
    request = make_request(environment="prod", size="large")
    ctx = make_ctx(request)
    assert ctx.database is not None
    tf = bundle(request, ctx)["terraform/database.tf"].content
    instances = resources(tf, "aws_db_instance")
    assert len(instances) == 1 + ctx.database.read_replicas
    main = instances["main"]
    assert main["instance_class"] == ctx.database.instance_class
    assert int(main["backup_retention_period"]) == ctx.database.retention_days
    assert main["multi_az"] is True and main["storage_encrypted"] is True
    assert main["deletion_protection"] is True
    assert "aws_backup_plan" in tf  # handbook ladder: hourly 7d, daily 30d, weekly 90d, 1y
    assert main["backup_window"] == ctx.database.backup_window
    assert main["maintenance_window"] == ctx.database.maintenance_window
    [plan] = resources(tf, "aws_backup_plan").values()
    rules = plan["rule"] if isinstance(plan["rule"], list) else [plan["rule"]]
    assert [(r["schedule"], int(r["lifecycle"][0]["delete_after"])) for r in rules] == [
        (r.schedule, r.delete_after_days) for r in ctx.database.backup_rules
    ]


def overlay(files: dict[str, Artifact], env: Environment) -> dict[str, Any]:
    data = yaml.safe_load(files[f"kubernetes/overlays/{env.value}/kustomization.yaml"].content)
    assert isinstance(data, dict)
    return data


def test_kubernetes_replicas_per_overlay_and_labels() -> None:
    for env in Environment:
        request = make_request(environment=env.value)
        files = bundle(request)
        data = overlay(files, env)
        ops = [op for p in data["patches"] for op in yaml.safe_load(p["patch"])]
        replicas = {op["path"]: op["value"] for op in ops}
        assert "/spec/replicas" not in replicas  # the HPA owns the count
        assert replicas["/spec/minReplicas"] == naming.ENV_REPLICAS[env]
        assert data["namespace"] == naming.namespace(
            request.model_copy(update={"environment": env})
        )
        assert data["labels"][0]["pairs"] == {"environment": env.value}
    request = make_request(environment="staging")
    files = bundle(request)
    deployment = yaml.safe_load(files["kubernetes/base/deployment.yaml"].content)
    assert "replicas" not in deployment["spec"]
    labels = naming.k8s_labels(request)
    assert deployment["metadata"]["labels"] == labels
    assert deployment["spec"]["template"]["metadata"]["labels"] == labels
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "@sha256:" in container["image"]
    assert container["resources"]["limits"] and container["resources"]["requests"]
    hpa = yaml.safe_load(files["kubernetes/base/hpa.yaml"].content)
    assert hpa["spec"]["minReplicas"] == naming.ENV_REPLICAS[Environment.STAGING]


def test_everything_designed_is_codified() -> None:
    for env in ("dev", "staging", "prod"):
        request = make_request(environment=env)
        plan = automation.decide(request, make_ctx(request))
        assert plan.resources_total > 0
        assert plan.resources_as_code == plan.resources_total


def test_vpn_is_codified_not_a_gap() -> None:
    request = make_request()
    network = make_network().model_copy(update={"vpn": {"peer": "203.0.113.10"}})
    plan = automation.decide(request, make_ctx(request, network=network))
    without = automation.decide(request, make_ctx(request))
    assert "terraform/vpn.tf" in plan.modules
    assert plan.resources_total == without.resources_total + 1
    assert plan.resources_as_code == plan.resources_total


def test_no_hosts_no_ansible_and_no_web_no_kubernetes() -> None:
    request = make_request()
    ctx = make_ctx(request, design=make_design(["database"], hosts_needed=False))
    paths = set(bundle(request, ctx))
    assert "ansible/site.yml" not in paths and "terraform/compute.tf" not in paths
    assert not any(p.startswith("kubernetes/") for p in paths)
    assert "terraform/database.tf" in paths


def test_findings_drive_remediation() -> None:
    request = make_request()
    world_ssh = FirewallRule(
        name="ssh-anywhere",
        direction="ingress",
        protocol="tcp",
        port=22,
        source="0.0.0.0/0",
        destination="app",
        description="ssh",
    )
    base = make_network()
    network = NetworkPlan(**{**base.model_dump(), "rules": [*base.rules, world_ssh]})
    first = make_ctx(request, network=network)
    tf = bundle(request, first)["terraform/network.tf"].content
    assert resources(tf, "aws_security_group_rule")["ssh_anywhere"]["cidr_blocks"] == ["0.0.0.0/0"]
    findings = [
        checkov_finding(
            "CKV_AWS_24", "aws_security_group_rule.ssh_anywhere", "terraform/network.tf"
        )
    ]
    retry = make_ctx(request, network=network, findings=findings, attempt=2)
    plan = automation.decide(request, retry)
    assert plan.fixes_applied == [f"CKV_AWS_24: {automation.KNOWN_FIXES['CKV_AWS_24']}"]
    fixed = {a.path: a for a in automation.render(plan, request, retry)}["terraform/network.tf"]
    rule = resources(fixed.content, "aws_security_group_rule")["ssh_anywhere"]
    assert rule["cidr_blocks"] == [network.vpc_cidr]
    repeated = [
        checkov_finding(c, "r.x", "terraform/main.tf")
        for c in ("CKV2_AWS_5", "CKV_AWS_24", "CKV2_AWS_5")
    ]
    assert automation.check_ids(repeated) == ["CKV2_AWS_5", "CKV_AWS_24"]


def test_rendering_is_deterministic_and_has_no_internal_ids() -> None:
    request = make_request()
    first, second = bundle(request), bundle(request)
    assert first == second
    for artifact in first.values():
        assert "INF-" not in artifact.content, artifact.path
        assert artifact.role == automation.ROLE


HOSTILE = (
    'x" }\nresource "evil" {${file("/etc/passwd")} %{ if true }{{ lookup("pipe","id") }}\n: - ['
)


def test_hostile_request_text_cannot_break_hcl_or_yaml() -> None:
    request = make_request(request=HOSTILE[:150], description=HOSTILE, impact=HOSTILE)
    design = make_design()
    ctx = make_ctx(request, design=design)
    servers = ctx.servers
    assert servers is not None
    hardened = servers.model_copy(update={"hardening": [*servers.hardening, HOSTILE]})
    files = bundle(request, make_ctx(request, design=design, servers=hardened))
    for path, artifact in files.items():
        if path.endswith((".tf", ".tfvars.example")):
            parsed = hcl2.loads(artifact.content, serialization_options=OPTIONS)
            kinds = {k for block in parsed.get("resource", []) for k in block}
            assert "evil" not in kinds
            # Interpolation only ever appears escaped ($${...}), i.e. as literal text.
            assert artifact.content.count("${file") == artifact.content.count("$${file")
        else:
            docs = list(yaml.safe_load_all(artifact.content))
            assert docs and all(d is not None for d in docs), path
    site = files["ansible/site.yml"].content
    play = yaml.safe_load(site)
    assert play[0]["tasks"][0]["name"] == "Install baseline packages"
    # The hostile text survives only inside one-line comments.
    lines = [ln for ln in site.splitlines() if "lookup" in ln]
    assert lines and all(ln.lstrip().startswith("#") for ln in lines)


def test_only_the_designed_environment_overlay_is_rendered_and_it_is_deployable() -> None:
    """The edge policy needs the environment's network (its load balancer's subnets): only
    the designed environment's overlay exists, with the base's default-deny and its edge."""
    request = make_request(environment="staging")
    files = bundle(request)
    overlays = sorted(p for p in files if p.startswith("kubernetes/overlays/"))
    assert overlays == [
        "kubernetes/overlays/staging/kustomization.yaml",
        "kubernetes/overlays/staging/networkpolicy-edge.yaml",
    ]
    data = overlay(files, Environment.STAGING)
    assert data["resources"] == ["../../base", "networkpolicy-edge.yaml"]
    assert "Not deployable" not in files["kubernetes/overlays/staging/kustomization.yaml"].content
    base = yaml.safe_load(files["kubernetes/base/kustomization.yaml"].content)
    deny = yaml.safe_load(files["kubernetes/base/networkpolicy-default-deny.yaml"].content)
    assert "networkpolicy-default-deny.yaml" in base["resources"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
