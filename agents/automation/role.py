"""The Automation Engineer: codifies what the other roles decided, as Terraform, Ansible and
Kubernetes manifests, and fixes what the validators reported on the previous attempt.

``decide`` is pure and complete: it returns the typed stack, playbook and manifests (read by
the plan and the SRE); ``render`` only fills templates. Names, CIDRs, ports and sizes come from
the decisions in :class:`RoleContext`, never re-decided here.
"""

from __future__ import annotations

from collections.abc import Sequence

from opsteam.agents.automation import ansible as iac_ansible
from opsteam.agents.automation import kubernetes as iac_k8s
from opsteam.agents.automation import modify as iac_modify
from opsteam.agents.automation import monitoring as iac_monitoring
from opsteam.agents.automation import prometheus as iac_prometheus
from opsteam.agents.automation import remove as iac_remove
from opsteam.agents.automation import terraform as iac_terraform
from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import AutomationPlan, TerraformStack
from opsteam.domain.models import Artifact, ChangeRequest, ChangeType, Finding
from opsteam.domain.registry import RoleSlug

ROLE: RoleSlug = "automation-engineer"

# Remediations for validator findings. The first three change the codified data (the flagged
# rule admits the VPC instead of the internet); the others are guarantees of the templates.
KNOWN_FIXES: dict[str, str] = {
    "CKV_AWS_24": "SSH ingress from 0.0.0.0/0 narrowed to the VPC CIDR",
    "CKV_AWS_25": "RDP ingress from 0.0.0.0/0 narrowed to the VPC CIDR",
    "CKV_AWS_260": "HTTP ingress from 0.0.0.0/0 narrowed to the VPC CIDR",
    "CKV_AWS_23": "every security group rule carries a description",
    "CKV_AWS_16": "database storage encrypted with the customer-managed KMS key",
    "CKV_AWS_17": "database not publicly accessible",
    "CKV_AWS_293": "database deletion protection on",
    "CKV_AWS_79": "IMDSv2 required on every instance",
    "CKV_AWS_8": "instance root volumes encrypted",
    "CKV_AWS_21": "bucket versioning enabled",
    "CKV_AWS_145": "buckets encrypted with KMS",
    "CKV_AWS_18": "bucket access logging to the log bucket",
    "CKV2_AWS_6": "bucket public access block",
    "CKV2_AWS_11": "VPC flow logs enabled",
    "CKV2_AWS_12": "default security group restricts all traffic",
    "CKV_K8S_43": "image pinned by digest",
    "CKV_K8S_22": "read-only root filesystem",
    "CKV_K8S_40": "containers run as a high UID",
}


def check_ids(findings: Sequence[Finding]) -> list[str]:
    """Check ids of the validator findings, in first-seen order."""
    return list(dict.fromkeys(f.check_id for f in findings))


def fixes_for(findings: Sequence[Finding]) -> list[str]:
    return [f"{cid}: {KNOWN_FIXES[cid]}" for cid in check_ids(findings) if cid in KNOWN_FIXES]


def unfixed(findings: Sequence[Finding]) -> list[str]:
    """Findings no known remediation covers: reported as they are, never hidden."""
    return [str(f) for f in findings if f.check_id not in KNOWN_FIXES]


def narrowed_rules(findings: Sequence[Finding]) -> frozenset[str]:
    """Security-group rules (by identifier) a validator flagged as world-open; the check id
    stands in when a finding names no resource."""
    found: set[str] = set()
    for finding in findings:
        if finding.check_id not in iac_terraform.WORLD_PORT_FIXES:
            continue
        _, _, name = finding.resource.partition(".")
        found.add(name or finding.check_id)
    return frozenset(found)


def inventory(ctx: RoleContext, spec: TerraformStack) -> tuple[int, int]:
    """(resources codified, resources designed), counted from the decisions."""
    designed = codified = 0
    network = ctx.network
    if network is not None:
        rules = sum(len(g.rules) for g in spec.groups)
        lb = 1 if network.load_balancer is not None else 0
        dns = len(network.dns_records)
        vpn = 1 if spec.vpn is not None else 0
        designed += 1 + len(network.subnets) + len(network.rules) + lb + dns + vpn
        codified += 1 + len(spec.subnets) + rules + lb + dns + vpn
    if ctx.database is not None:
        replicas = ctx.database.read_replicas + len(ctx.database.replica_regions)
        designed += 1 + replicas
        codified += len(spec.db_instances) + len(spec.replica_regions)
    if ctx.servers is not None:
        designed += sum(h.count for h in ctx.servers.hosts)
        codified += sum(h.count for h in spec.hosts)
    if ctx.storage is not None:
        designed += len(ctx.storage.buckets)
        codified += sum(1 for b in ctx.storage.buckets if b in spec.buckets)
    if iac_k8s.wanted(ctx):
        designed += 1
        codified += 1
    return codified, designed


def _create(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    spec = iac_terraform.stack(request, ctx, narrowed_rules(ctx.findings))
    reader = iac_monitoring.reader(ctx, spec.prefix)
    if reader is not None:
        inputs = [*spec.variables, iac_monitoring.oidc_input(reader)]
        spec = spec.model_copy(update={"variables": inputs})
    playbook = iac_ansible.playbook(ctx, spec.groups)
    kubernetes = iac_k8s.app(request, ctx)
    names = ["terraform/main.tf", "terraform/storage.tf", "terraform/variables.tf"]
    names += ["terraform/outputs.tf"] if spec.outputs else []
    names += ["terraform/bootstrap/main.tf"] if spec.backend.bootstrap else []
    names += ["terraform/kubernetes.tf"] if spec.cluster is not None else []
    names += [iac_prometheus.PATH] if spec.cluster and spec.cluster.monitoring else []
    names += ["terraform/network.tf"] if ctx.network is not None else []
    names += ["terraform/vpn.tf"] if spec.vpn is not None else []
    names += ["terraform/database.tf"] if ctx.database is not None else []
    names += ["terraform/compute.tf", "ansible/site.yml"] if spec.hosts else []
    names += [iac_monitoring.PATH] if reader is not None else []
    names += iac_k8s.modules(kubernetes)
    codified, designed = inventory(ctx, spec)
    return AutomationPlan(
        modules=sorted(names),
        resources_as_code=codified,
        resources_total=designed,
        fixes_applied=fixes_for(ctx.findings),
        unfixed=unfixed(ctx.findings),
        stack=spec,
        playbook=playbook,
        kubernetes=kubernetes,
        cloudwatch_reader=reader,
    )


def _removal(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    """Remove requests: every listed removal is one removed {} block; nothing is created."""
    found = iac_remove.removals(request, ctx)
    return AutomationPlan(
        owner_state=iac_remove.owner_state(request, ctx),
        modules=iac_remove.modules(found),
        resources_as_code=len(found),
        resources_total=len(found),
        fixes_applied=fixes_for(ctx.findings),
        unfixed=unfixed(ctx.findings),
        mode="remove",
        removals=found,
    )


def _modification(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    """Modify requests: the changed resources only; existing infrastructure is referenced."""
    change = iac_modify.change(request, ctx)
    reader = iac_monitoring.reader(ctx, change.prefix)
    if reader is not None:
        inputs = [*change.variables, iac_monitoring.oidc_input(reader)]
        change = change.model_copy(update={"variables": inputs})
    groups = (
        iac_terraform.security_groups(ctx.network, ctx.database, change.prefix)
        if ctx.network is not None
        else []
    )
    playbook = iac_ansible.playbook(ctx, groups)
    kubernetes = iac_k8s.app(request, ctx)
    names = iac_modify.modules(change)
    names += ["ansible/site.yml"] if playbook is not None else []
    names += [iac_monitoring.PATH] if reader is not None else []
    names += iac_k8s.modules(kubernetes)
    return AutomationPlan(
        modules=sorted(names),
        resources_as_code=change.resources,
        resources_total=change.resources,
        fixes_applied=fixes_for(ctx.findings),
        unfixed=unfixed(ctx.findings),
        mode="modify",
        change=change,
        playbook=playbook,
        kubernetes=kubernetes,
        cloudwatch_reader=reader,
    )


def decide(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    if request.type is ChangeType.REMOVE:
        return _removal(request, ctx)
    if request.type is ChangeType.MODIFY:
        return _modification(request, ctx)
    return _create(request, ctx)


def render(decision: AutomationPlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    if decision.mode == "remove":
        artifacts = iac_remove.render(decision.removals, request, ctx, decision.owner_state)
    elif decision.change is not None:
        artifacts = iac_modify.render(decision.change, request, ctx)
    elif decision.stack is not None:
        artifacts = iac_terraform.render_terraform(decision.stack, request, ctx)
        if decision.stack.cluster is not None:
            artifacts += iac_prometheus.render(decision.stack.cluster, ROLE)
    else:  # pragma: no cover - decide always fills one of the three
        artifacts = []
    if decision.cloudwatch_reader is not None:
        artifacts.append(iac_monitoring.render(decision.cloudwatch_reader, ROLE))
    if decision.mode != "remove":
        artifacts += iac_ansible.render_ansible(decision.playbook, request)
        artifacts += iac_k8s.render_kubernetes(decision.kubernetes, request)
    return sorted(artifacts, key=lambda a: a.path)
