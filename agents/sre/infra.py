"""Checks of the infrastructure under the service: hosts (node_exporter) and the VPN
(CloudWatch's TunnelState through the cloudwatch exporter), each with its proof."""

from __future__ import annotations

from opsteam.agents.sre.checks import (
    Check,
    Target,
    case,
    matchers,
    series,
    service_labels,
    service_selector,
)
from opsteam.domain.severity import HandbookLevel as H


def _hosts(t: Target) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    job = service_labels(t.request, job=t.job("node"))
    return job, {**job, "instance": f"{t.prefix}-1"}, {**job, "instance": f"{t.prefix}-2"}


def host_checks(t: Target) -> list[Check]:
    job, a, b = _hosts(t)
    sel = matchers(job)
    fs = service_selector(t.request, 'fstype!~"tmpfs|overlay"', job=t.job("node"))
    idle = service_selector(t.request, job=t.job("node"), mode="idle")
    disk = {**a, "device": "/dev/nvme0n1p1", "fstype": "ext4", "mountpoint": "/"}
    tmp = {**disk, "device": "tmpfs", "fstype": "tmpfs", "mountpoint": "/run"}
    avail, size = "node_filesystem_avail_bytes", "node_filesystem_size_bytes"
    mem, total = "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"
    cpu = "node_cpu_seconds_total"
    return [
        Check(
            "HostDown",
            f"up{sel} == 0 or absent(up{sel})",
            H.P1,
            "A server stopped reporting metrics",
            (
                case(
                    "one host down",
                    "40m",
                    [series("up", a, "1x40"), series("up", b, "1 1 0x40")],
                    [b],
                ),
                case("no host scraped", "40m", [], [job]),
                case("healthy", "40m", [series("up", a, "1x40"), series("up", b, "1x40")]),
            ),
        ),
        Check(
            "HostDiskSpaceLow",
            f"{avail}{fs} / {size}{fs} < 0.1",
            H.P2,
            "Less than 10% disk space left on a server",
            (
                case(
                    "root filesystem full",
                    "20m",
                    [series(avail, disk, "5x20"), series(size, disk, "100x20")],
                    [disk],
                ),
                case(
                    "only a tmpfs is full",
                    "20m",
                    [
                        series(avail, tmp, "1x20"),
                        series(size, tmp, "100x20"),
                        series(avail, disk, "50x20"),
                        series(size, disk, "100x20"),
                    ],
                ),
            ),
        ),
        Check(
            "HostMemoryLow",
            f"{mem}{sel} / {total}{sel} < 0.1",
            H.P3,
            "Less than 10% memory available on a server",
            (
                case(
                    "memory exhausted",
                    "45m",
                    [series(mem, a, "5x45"), series(total, a, "100x45")],
                    [a],
                ),
                case("healthy", "45m", [series(mem, a, "60x45"), series(total, a, "100x45")]),
            ),
        ),
        Check(
            "HostHighCpu",
            f"1 - avg by (instance) (rate({cpu}{idle}[5m])) > 0.9",
            H.P3,
            "Server CPU above 90% for 30 minutes",
            (
                case(
                    "busy",
                    "45m",
                    [series(cpu, {**a, "cpu": "0", "mode": "idle"}, "0+3x60")],
                    [{"instance": a["instance"]}],
                ),
                case("healthy", "45m", [series(cpu, {**a, "cpu": "0", "mode": "idle"}, "0+54x60")]),
            ),
        ),
    ]


def vpn_checks(t: Target) -> list[Check]:
    """CloudWatch TunnelState per tunnel (1 up, 0 down): one tunnel down loses redundancy,
    both down cuts the partner off. No data at all is its own, lower alert: the exporter
    cannot read CloudWatch (role, tags, region), which says nothing about the tunnels."""
    job = service_labels(t.request, job=t.job("cloudwatch"))
    sel = matchers(job)
    state = "aws_vpn_tunnel_state_minimum"
    vpn = "vpn-0123456789abcdef0"
    one = {**job, "vpn_id": vpn, "tunnel_ip_address": "203.0.113.1"}
    two = {**one, "tunnel_ip_address": "203.0.113.2"}
    return [
        Check(
            "VpnConnectionDown",
            f"max by (vpn_id) ({state}{sel}) == 0",
            H.P0,
            f"VPN to the partner down: both tunnels of {t.prefix} are down",
            (
                case(
                    "both tunnels down",
                    "15m",
                    [series(state, one, "1 0x15"), series(state, two, "1 0x15")],
                    [{"vpn_id": vpn}],
                ),
                case("tunnel state not collected", "15m", []),
                case(
                    "one tunnel down",
                    "15m",
                    [series(state, one, "1 0x15"), series(state, two, "1x15")],
                ),
            ),
        ),
        Check(
            "CloudWatchVpnStateMissing",
            f"absent({state}{sel})",
            H.P2,
            f"No VPN tunnel state from CloudWatch for {t.prefix}: the CloudWatch exporter "
            "cannot read metrics (IAM role, tags or region); VpnConnectionDown is blind",
            (
                case("tunnel state not collected", "20m", [], [job]),
                case("collected", "20m", [series(state, one, "0x20")]),
            ),
        ),
        Check(
            "VpnTunnelDown",
            f"{state}{sel} == 0",
            H.P2,
            "One VPN tunnel is down: the connection runs without redundancy",
            (
                case(
                    "one tunnel down",
                    "20m",
                    [series(state, one, "1 0x20"), series(state, two, "1x20")],
                    [one],
                ),
                case("healthy", "20m", [series(state, one, "1x20"), series(state, two, "1x20")]),
            ),
        ),
    ]


def fallback_checks(t: Target) -> list[Check]:
    """Nothing more specific to watch: the service's own targets."""
    sel = matchers(service_labels(t.request))
    labels = {**service_labels(t.request), "job": t.job("targets"), "instance": "target-1"}
    return [
        Check(
            "ServiceDown",
            f"up{sel} == 0 or absent(up{sel})",
            H.P0,
            f"{t.request.service_name} targets are not reporting",
            (
                case("target down", "40m", [series("up", labels, "1 1 0x40")], [labels]),
                case("no target", "40m", [], [service_labels(t.request)]),
                case("healthy", "40m", [series("up", labels, "1x40")]),
            ),
        )
    ]
