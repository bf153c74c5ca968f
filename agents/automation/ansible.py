"""Ansible playbook that applies the systems administrator's baseline to the hosts.

Each hardening or SSH policy line is matched to a known, idempotent task set
(``ansible.builtin`` modules only, so no collection has to be installed). Lines with no
automation are listed in the play's vars so reviewers see what is still manual.
"""

from __future__ import annotations

import ipaddress

from opsteam.agents.automation.terraform import ident
from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import AnsiblePlaybook, HostOpening, SecurityGroup
from opsteam.domain.models import Artifact, ChangeRequest
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"

# Task sets the playbook template knows, keyed by the words that select them.
TASK_KEYWORDS: dict[str, tuple[str, ...]] = {
    "ssh": (
        "ssh",
        "root login",
        "password",
        "key-based",
        "authentication",
        "maxauthtries",
        "x11",
        "forwarding",
    ),
    "updates": ("unattended", "patch", "security update", "upgrade"),
    "auditd": ("auditd", "audit"),
    "firewall": ("firewall", "nftables", "ufw", "iptables"),
    "fail2ban": ("fail2ban", "brute"),
    "sysctl": ("sysctl", "kernel", "ip forwarding"),
    "time": ("ntp", "chrony", "time sync"),
    "aide": ("aide", "file integrity"),
    "metrics": ("node_exporter", "node exporter", "metrics exporter"),
    "remove": ("unused services", "packages removed", "telnet"),
    # Enforced by terraform/compute.tf (encrypted volumes, IMDSv2): no host task needed.
    "terraform": ("imdsv2", "volumes encrypted"),
}
# "metrics": node_exporter, which the host alerts read (monitoring/prometheus.yml).
ALWAYS = ("ssh", "updates", "firewall", "metrics")
PACKAGES: dict[str, str] = {
    "metrics": "prometheus-node-exporter",
    "updates": "unattended-upgrades",
    "firewall": "nftables",
    "auditd": "auditd",
    "fail2ban": "fail2ban",
    "time": "chrony",
    "aide": "aide",
}
UNWANTED_PACKAGES = ("telnet", "rsh-client", "avahi-daemon", "cups")


def classify(lines: list[str]) -> tuple[list[str], list[str]]:
    """(task sets to apply, lines no task set covers)."""
    chosen: set[str] = set(ALWAYS)
    manual: list[str] = []
    for line in lines:
        lowered = line.lower()
        hits = [key for key, words in TASK_KEYWORDS.items() if any(w in lowered for w in words)]
        chosen.update(hits)
        if not hits:
            manual.append(line)
    order = list(TASK_KEYWORDS)
    return sorted(chosen, key=order.index), manual


def host_openings(groups: list[SecurityGroup], vpc_cidr: str) -> list[HostOpening]:
    """Inbound TCP ports the network plan opens to the hosts' security groups, each from the
    rule's own sources: the host firewall never opens wider than the security group (a rule
    from a peer group is a rule from inside the VPC; without a known VPC range it is left to
    the security group alone). SSH is the separate restricted rule."""
    sources: dict[int, set[str]] = {}
    for group in groups:
        if group.attach != "hosts":
            continue
        for rule in group.rules:
            if rule.direction != "ingress" or rule.protocol != "tcp" or rule.from_port == 22:
                continue
            source = rule.cidr or vpc_cidr
            if source:
                sources.setdefault(rule.from_port, set()).add(source)
    return [HostOpening(port=port, sources=sorted(sources[port])) for port in sorted(sources)]


def ssh_cidr(ctx: RoleContext) -> str:
    """Where SSH may come from on the host firewall: the VPC (bastion or SSM), else nowhere."""
    if ctx.network is None:
        return ""
    try:
        return str(ipaddress.ip_network(ctx.network.vpc_cidr, strict=False))
    except ValueError:
        return ""


def playbook(ctx: RoleContext, groups: list[SecurityGroup]) -> AnsiblePlaybook | None:
    """The baseline as Ansible applies it, or None when there are no hosts to configure."""
    servers = ctx.servers
    if servers is None or not any(h.count > 0 for h in servers.hosts):
        return None
    tasks, manual = classify([*servers.hardening, *servers.ssh_policy])
    return AnsiblePlaybook(
        groups=[ident(h.name) for h in servers.hosts if h.count > 0],
        tasks=tasks,
        packages=[PACKAGES[t] for t in tasks if t in PACKAGES],
        unwanted=list(UNWANTED_PACKAGES),
        manual=manual,
        baseline=[*servers.hardening, *servers.ssh_policy],
        patch_window=servers.patch_window,
        ssh_cidr=ssh_cidr(ctx),
        inbound=host_openings(groups, ssh_cidr(ctx)),
    )


def render_ansible(spec: AnsiblePlaybook | None, request: ChangeRequest) -> list[Artifact]:
    if spec is None:
        return []
    content = render_template("automation/ansible/site.yml.j2", request=request, **dict(spec))
    return [Artifact(path="ansible/site.yml", role=ROLE, kind="ansible", content=content)]
