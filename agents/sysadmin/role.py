"""The Systems Administrator: hosts, hardening, SSH policy, patching and decommissioning.

``decide`` is pure: the same request and design always give the same
:class:`ServerBaseline`. The hardening list follows CIS Ubuntu Level 1 in spirit: every host
starts locked down, because controls added after go-live are the ones that get skipped.
"""

from __future__ import annotations

import math
from datetime import UTC, timedelta

from opsteam.agents.base import RoleContext
from opsteam.domain import naming
from opsteam.domain.decisions import HostSpec, ServerBaseline
from opsteam.domain.decisions.compute import cpu_architecture
from opsteam.domain.models import Artifact, ChangeRequest, ChangeType, Environment, Size
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "systems-administrator"

OS_IMAGE = "Ubuntu 24.04 LTS"
BASTION_TYPE = "t3.micro"
INSTANCE_TYPES: dict[Size, str] = {
    Size.SMALL: "t3.small",
    Size.MEDIUM: "m6i.large",
    Size.LARGE: "m6i.xlarge",
    Size.XLARGE: "m6i.2xlarge",
}
# Concurrent users one host of each size serves comfortably; drives the host count.
USERS_PER_HOST: dict[Size, int] = {
    Size.SMALL: 10_000,
    Size.MEDIUM: 50_000,
    Size.LARGE: 100_000,
    Size.XLARGE: 200_000,
}
MAX_HOSTS = 12
SSH_PORT = 22
SNAPSHOT_RETENTION_DAYS: dict[Environment, int] = {
    Environment.DEV: 7,
    Environment.STAGING: 30,
    Environment.PROD: 90,
}
KEY_ROTATION_DAYS: dict[Environment, int] = {
    Environment.DEV: 180,
    Environment.STAGING: 180,
    Environment.PROD: 90,
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_PATCH = (6, 2, 0, 120)  # Sunday 02:00 UTC for 120 minutes
STAGING_LEAD_DAYS = 2  # staging patches this many days before prod to soak the updates

BASE_HARDENING: tuple[str, ...] = (
    "Root login disabled over SSH (PermitRootLogin no) and the root password locked",
    "SSH password authentication off (PasswordAuthentication no, KbdInteractiveAuthentication no)",
    "auditd enabled with CIS audit rules (identity, sudoers, time changes, kernel modules)",
    "Unattended security upgrades enabled for the security pocket",
    "fail2ban protecting sshd (5 failures in 10 minutes bans for 1 hour)",
    "Kernel sysctls: no IP forwarding, no ICMP redirects, reverse-path filtering, full ASLR",
    "/tmp and /dev/shm mounted nodev,nosuid,noexec",
    "Unused services and packages removed (telnet, rsh, avahi, cups)",
    "Time synchronised with chrony against the cloud time service",
    "Volumes encrypted with KMS and instance metadata limited to IMDSv2",
    "sudo limited to the ssh-admins group, every command logged",
    "System and auth logs shipped to central logging; local logs rotated",
)


def _hosts_needed(ctx: RoleContext) -> bool:
    return ctx.design.hosts_needed or "server" in ctx.design.components


def _vpn_peer(request: ChangeRequest, ctx: RoleContext) -> str | None:
    """The on-premises range SSH comes from when a VPN links it (same rule as the network)."""
    vpn = "vpn" in ctx.design.components
    return str(request.existing_cidrs[0]) if vpn and request.existing_cidrs else None


def _ssh_source(request: ChangeRequest, ctx: RoleContext) -> str:
    if request.type is ChangeType.REMOVE:  # no bastion is invented for hosts being retired
        return _vpn_peer(request, ctx) or "SSM Session Manager only"
    return _vpn_peer(request, ctx) or f"{naming.resource_prefix(request)}-bastion"


def decommissioned(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    """The existing hosts a Remove request retires: the service's hosts, as opsteam names them.

    The request names a service, not a host count, so no count is invented: every instance
    tagged with the service and environment is in scope.
    """
    if request.type is not ChangeType.REMOVE or not _hosts_needed(ctx):
        return []
    return [f"{naming.resource_prefix(request)}-app"]


def host_count(request: ChangeRequest, ctx: RoleContext) -> int:
    """Replicas per environment, one per zone outside dev, more when the users need them."""
    count = naming.ENV_REPLICAS[request.environment]
    if request.environment is not Environment.DEV:
        count = max(count, len(ctx.design.zones))
    if request.expected_users is not None:
        count = max(count, math.ceil(request.expected_users / USERS_PER_HOST[request.size]))
    return min(count, MAX_HOSTS)


def _host(name: str, purpose: str, instance_type: str, count: int) -> HostSpec:
    """A host and the CPU architecture of its type, decided together (the AMI follows it)."""
    return HostSpec(
        name=name,
        purpose=purpose,
        os=OS_IMAGE,
        instance_type=instance_type,
        architecture=cpu_architecture(instance_type),
        count=count,
    )


def _hosts(request: ChangeRequest, ctx: RoleContext) -> list[HostSpec]:
    prefix = naming.resource_prefix(request)
    hosts = [
        _host(
            f"{prefix}-app",
            f"{request.service_name} application hosts",
            INSTANCE_TYPES[request.size],
            host_count(request, ctx),
        )
    ]
    if _vpn_peer(request, ctx) is None:
        hosts.append(
            _host(
                f"{prefix}-bastion",
                "SSH jump host, reached only through SSM Session Manager",
                BASTION_TYPE,
                1,
            )
        )
    return hosts


def _hardening(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    controls = list(BASE_HARDENING)
    ports = ", ".join(str(p) for p in request.ports if p != SSH_PORT) or "the application port"
    controls.append(
        f"Host firewall (ufw) default deny inbound; allow only SSH from {_ssh_source(request, ctx)}"
        f" and {ports} from the load balancer or private subnets"
    )
    if request.environment is Environment.PROD:
        controls.append("AIDE file integrity monitoring with a daily check and alert on change")
    if {"hipaa", "pci-dss"} & set(request.compliance):
        controls.append("FIPS 140-3 validated crypto modules (Ubuntu Pro FIPS kernel and OpenSSL)")
    if "pci-dss" in request.compliance:
        controls.append("Shell sessions time out after 15 minutes idle (PCI DSS 8.2.8)")
    if {"soc2", "gdpr"} & set(request.compliance):
        controls.append("Quarterly access review of ssh-admins and sudoers, evidence retained")
    return controls


def _ssh_policy(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    rotation = KEY_ROTATION_DAYS[request.environment]
    return [
        f"Inbound SSH (port 22) only from {_ssh_source(request, ctx)}; never from the internet",
        "Key-based authentication only, ed25519 keys issued per person and never shared",
        "AllowGroups ssh-admins; root login and password authentication disabled",
        "MaxAuthTries 3, LoginGraceTime 30, ClientAliveInterval 300, ClientAliveCountMax 2",
        "Agent, TCP and X11 forwarding disabled except on the bastion",
        f"Keys rotated every {rotation} days and revoked the day a person leaves",
        "Break-glass access through SSM Session Manager, sessions recorded",
    ]


def _window(request: ChangeRequest) -> tuple[int, int, int, int]:
    """(weekday, hour, minute, duration) in UTC, from the requested window if any."""
    mw = request.maintenance_window
    if mw is None:
        return DEFAULT_PATCH
    start = mw.start.astimezone(UTC)
    return start.weekday(), start.hour, start.minute, mw.duration_minutes


def patch_window(request: ChangeRequest) -> str:
    """Weekly UTC window; staging runs earlier so prod only gets updates that soaked."""
    if request.environment is Environment.DEV:
        return "daily at 03:00 UTC: unattended security upgrades, automatic reboot allowed"
    day, hour, minute, duration = _window(request)
    if request.environment is Environment.STAGING:
        day = (day - STAGING_LEAD_DAYS) % 7
    begin = timedelta(hours=hour, minutes=minute)
    end = begin + timedelta(minutes=duration)
    end_h, end_m = divmod(int(end.total_seconds()) // 60 % (24 * 60), 60)
    span = f"{DAYS[day]} {hour:02d}:{minute:02d}-{end_h:02d}:{end_m:02d} UTC"
    aligned = (
        "aligned with the requested maintenance window"
        if request.maintenance_window
        else ("default window")
    )
    return f"weekly, {span} ({aligned}); rolling, one host at a time"


def _config_management(request: ChangeRequest) -> str:
    drift = "nightly" if request.environment is Environment.PROD else "weekly"
    return (
        f"Ansible: ansible/site.yml applies the baseline to the {naming.resource_prefix(request)}"
        f" inventory group on every change, with a {drift} check-mode drift report"
    )


def _decommission(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    env, service = request.environment, request.service_name
    network = ctx.registry.role("network-engineer").name
    sre = ctx.registry.role("site-reliability-engineer").name
    tags = ", ".join(f"{k}={v}" for k, v in naming.tags(request).items() if k != "ManagedBy")
    hosts = ", ".join(decommissioned(request, ctx)) or f"the {service} hosts"
    scope = f"{hosts} (every instance tagged {tags})"
    return [
        f"Inventory: list the instances in scope, {scope}, and confirm the list with the "
        "requester; anything not on the list stays untouched",
        f"Drain: deregister {hosts} from load balancer target groups and wait for "
        "in-flight connections to finish",
        f"Final backup: snapshot every volume of {hosts}; keep snapshots "
        f"{SNAPSHOT_RETENTION_DAYS[env]} days",
        f"Remove from DNS ({service}.{env.value}.internal) and load balancer with the {network}",
        f"Remove monitoring targets and alerts for {service} with the {sre}",
        "Revoke credentials: SSH keys, instance profiles, secrets and database users of the hosts",
        f"Terminate {hosts} and remove them from the Ansible inventory",
        _key_retention(SNAPSHOT_RETENTION_DAYS[env]),
    ]


def _key_retention(days: int) -> str:
    """The volumes' KMS key outlives the final snapshots: they are encrypted with it."""
    return (
        "Keep the KMS key: the final snapshots are encrypted with the volumes' key and are "
        "unreadable without it, and the same key may encrypt other stores (logs, buckets, "
        f"backups). After the {days}-day retention, delete the final snapshots; schedule the "
        "key's deletion only if nothing else uses it (no remaining grants, aliases in use or "
        "recent Decrypt calls in CloudTrail)"
    )


def decide(request: ChangeRequest, ctx: RoleContext) -> ServerBaseline:
    removing = request.type is ChangeType.REMOVE
    needed = _hosts_needed(ctx)
    return ServerBaseline(
        hosts=_hosts(request, ctx) if needed and not removing else [],
        hardening=_hardening(request, ctx),
        ssh_policy=_ssh_policy(request, ctx),
        patch_window=patch_window(request),
        config_management=_config_management(request),
        decommission_steps=_decommission(request, ctx) if removing else [],
        decommissioned=decommissioned(request, ctx),
    )


def render(decision: ServerBaseline, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    content = render_template(
        "sysadmin/baseline.md.j2",
        baseline=decision,
        request=request,
        author=ctx.registry.role(ROLE).name,
    )
    return [Artifact(path="servers/baseline.md", role=ROLE, kind="markdown", content=content)]
