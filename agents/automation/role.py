"""The Automation Engineer: codifies what the other roles decided, as Terraform, Ansible and
Kubernetes manifests, and fixes what the validators reported on the previous attempt.

Names, CIDRs, ports and sizes are read from the decisions in :class:`RoleContext`, never
re-decided here. ``decide`` is pure; ``render`` delegates to the three generator modules.
"""

from __future__ import annotations

from collections.abc import Sequence

from opsteam.agents.automation import ansible as iac_ansible
from opsteam.agents.automation import kubernetes as iac_k8s
from opsteam.agents.automation import modify as iac_modify
from opsteam.agents.automation import remove as iac_remove
from opsteam.agents.automation import terraform as iac_terraform
from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.base import RoleContext
from opsteam.domain import naming
from opsteam.domain.decisions import AutomationPlan
from opsteam.domain.models import Artifact, ChangeRequest, ChangeType, Finding
from opsteam.domain.registry import RoleSlug

ROLE: RoleSlug = "automation-engineer"

# Remediations for validator findings. Data fixes change what is rendered; the others are
# guarantees of the templates, recorded so the retry loop shows what was checked.
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


def _fix_ids(ctx: RoleContext) -> frozenset[str]:
    return frozenset(cid for cid in check_ids(ctx.findings) if cid in KNOWN_FIXES)


def inventory(request: ChangeRequest, ctx: RoleContext) -> tuple[int, int]:
    """(resources codified, resources designed), counted from the decisions."""
    designed = codified = 0
    prefix = naming.resource_prefix(request)
    network = ctx.network
    if network is not None:
        groups = iac_terraform.security_groups(network, ctx.database, prefix, _fix_ids(ctx))
        rules = sum(len(g.rules) for g in groups)
        lb = 1 if network.load_balancer is not None else 0
        dns = len(network.dns_records)
        designed += 1 + len(network.subnets) + len(network.rules) + lb + dns
        codified += 1 + len(iac_terraform.subnets(network)) + rules + lb + dns
        if iac_vpn.wanted(network):  # the site-to-site VPN, codified in terraform/vpn.tf
            designed += 1
            codified += 1
    if ctx.database is not None:
        designed += 1 + ctx.database.read_replicas
        codified += 1 + ctx.database.read_replicas
    if ctx.servers is not None:
        designed += sum(h.count for h in ctx.servers.hosts)
        codified += sum(h.count for h in iac_terraform.hosts(ctx))
    components = ctx.design.components if ctx.design is not None else []
    if "object-storage" in components:
        designed += 1
        codified += 1 if "data" in iac_terraform.bucket_purposes(ctx) else 0
    if "cache" in components and "database" in components:
        designed += 1  # a second data store: the database plan covers one engine
    if iac_k8s.wanted(ctx):
        designed += 1
        codified += 1
    return codified, designed


def modules(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    names = ["terraform/main.tf", "terraform/storage.tf"]
    if ctx.network is not None:
        names.append("terraform/network.tf")
    if iac_vpn.wanted(ctx.network):
        names.append("terraform/vpn.tf")
    if ctx.database is not None:
        names.append("terraform/database.tf")
    if iac_terraform.hosts(ctx):
        names += ["terraform/compute.tf", "ansible/site.yml"]
    if iac_k8s.wanted(ctx):
        names += [
            "kubernetes/base",
            *(f"kubernetes/overlays/{e}" for e in ("dev", "staging", "prod")),
        ]
    return sorted(names)


def _removal(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    """Remove requests: every listed removal is one removed {} block; nothing is created."""
    found = len(iac_remove.removals(request, ctx))
    return AutomationPlan(
        modules=iac_remove.modules(request, ctx),
        resources_as_code=found,
        resources_total=found,
        fixes_applied=fixes_for(ctx.findings),
        mode="remove",
    )


def _modification(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    """Modify requests: the changed resources only; existing infrastructure is referenced."""
    changed = iac_modify.change(request, ctx).resources
    names = iac_modify.modules(request, ctx)
    if iac_terraform.hosts(ctx):  # existing hosts keep their baseline through Ansible
        names.append("ansible/site.yml")
    if iac_k8s.wanted(ctx):
        names += [
            "kubernetes/base",
            *(f"kubernetes/overlays/{e}" for e in ("dev", "staging", "prod")),
        ]
    return AutomationPlan(
        modules=sorted(names),
        resources_as_code=changed,
        resources_total=changed,
        fixes_applied=fixes_for(ctx.findings),
        mode="modify",
    )


def decide(request: ChangeRequest, ctx: RoleContext) -> AutomationPlan:
    if request.type is ChangeType.REMOVE:
        return _removal(request, ctx)
    if request.type is ChangeType.MODIFY:
        return _modification(request, ctx)
    codified, designed = inventory(request, ctx)
    return AutomationPlan(
        modules=modules(request, ctx),
        resources_as_code=codified,
        resources_total=designed,
        fixes_applied=fixes_for(ctx.findings),
    )


def render(decision: AutomationPlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    if decision.mode == "remove":
        return sorted(iac_remove.render(request, ctx), key=lambda a: a.path)
    fixes = frozenset(f.split(":", 1)[0] for f in decision.fixes_applied)
    if decision.mode == "modify":
        artifacts = iac_modify.render(request, ctx)
    else:
        artifacts = iac_terraform.render_terraform(request, ctx, fixes)
    artifacts += iac_ansible.render_ansible(request, ctx)
    artifacts += iac_k8s.render_kubernetes(request, ctx)
    return sorted(artifacts, key=lambda a: a.path)
