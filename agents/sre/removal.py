"""Monitoring of a removal: prove the removed service is gone, then clean its monitoring up.

A Remove request takes a service down on purpose, so it gets no SLO and no availability or
latency alert. Instead the Site Reliability Engineer watches the removal: P2 rules fire when the
service still has targets up or still receives traffic for longer than the change window, and
the runbook lists the alert rules, dashboard, on-call route and scrape targets to delete, and when.
"""

from __future__ import annotations

from opsteam.agents.sre.alerts import available_replicas
from opsteam.agents.sre.checks import (
    Check,
    Target,
    case,
    deployment_labels,
    matchers,
    series,
    service_labels,
    service_selector,
)
from opsteam.agents.sre.dashboard import Panel, dashboard_uid
from opsteam.domain.decisions.monitoring import AlertCase, InputSeries
from opsteam.domain.models import ChangeRequest, ChangeType
from opsteam.domain.naming import namespace
from opsteam.domain.severity import HandbookLevel

DEFAULT_WINDOW_MINUTES = 120  # when the request names no maintenance window
QUIET_HOURS = 24  # the watch stays silent this long after the window before the cleanup
WATCH_DAYS = 7  # the watch itself is deleted after this many quiet days
SEVERITY = HandbookLevel.P2


def is_removal(request: ChangeRequest) -> bool:
    return request.type is ChangeType.REMOVE


def window_minutes(request: ChangeRequest) -> int:
    window = request.maintenance_window
    return window.duration_minutes if window is not None else DEFAULT_WINDOW_MINUTES


def group_name(request: ChangeRequest) -> str:
    return f"{request.service_name}-{request.environment.value}.removal-watch.rules"


Watch = tuple[str, str, str, str, list[InputSeries], list[InputSeries], dict[str, str]]


def _watch(t: Target) -> list[Watch]:
    """(alert, expression, meaning, panel, series while still there, series once gone,
    labels of the alert) for each sign of life of the removed service."""
    r = t.request
    labels = {**service_labels(r), "job": t.job("targets"), "instance": "target-1"}
    sel = service_selector(r)
    n = window_minutes(r) + 20  # series long enough to outlast the window's "for"
    checks: list[Watch] = [
        (
            "DecommissionedTargetStillUp",
            f"up{sel} == 1",
            "decommissioned target still up",
            f"sum(up{sel} == 1) or vector(0)",
            [series("up", labels, f"1x{n}")],
            [series("up", labels, f"0x{n}")],
            labels,
        )
    ]
    if t.kubernetes:
        dep = deployment_labels(r)
        avail = "kube_deployment_status_replicas_available"
        checks.append(
            (
                "DecommissionedWorkloadStillRunning",
                f"{available_replicas(r)} > 0",
                "decommissioned workload still has available replicas",
                available_replicas(r) + " or vector(0)",
                [series(avail, dep, f"2x{n}")],
                [series(avail, dep, f"0x{n}")],
                {},
            )
        )
    if t.web or t.kubernetes:
        rate = f"sum(rate(http_requests_total{sel}[5m]))"
        req = {**service_labels(r), "code": "200"}
        checks.append(
            (
                "DecommissionedServiceStillReceivingTraffic",
                f"{rate} > 0",
                "decommissioned service still receives HTTP requests",
                rate + " or vector(0)",
                [series("http_requests_total", req, f"0+10x{n}")],
                [series("http_requests_total", req, f"100x{n}")],
                {},
            )
        )
    if t.endpoint:
        probe = service_labels(r, job=t.job("probe"))
        expr = f"max(probe_success{matchers(probe)})"
        live = {**probe, "instance": t.probe_url}
        checks.append(
            (
                "DecommissionedEndpointStillAnswering",
                f"{expr} == 1",
                "decommissioned endpoint still answers probes (DNS or load balancer not removed)",
                expr,
                [series("probe_success", live, f"1x{n}")],
                [series("probe_success", live, f"0x{n}")],
                {},
            )
        )
    return checks


def _cases(
    t: Target, still: list[InputSeries], gone: list[InputSeries], labels: dict[str, str]
) -> tuple[AlertCase, ...]:
    at = f"{window_minutes(t.request) + 10}m"
    return (case("still there after the window", at, still, [labels]),
            case("removed", at, gone))  # fmt: skip


def watch_checks(t: Target) -> list[Check]:
    """P2 checks that fire once the service is still there for longer than the window."""
    minutes = window_minutes(t.request)
    svc = t.request.service_name
    return [
        Check(
            name,
            expr,
            SEVERITY,
            f"{svc}: {meaning} {minutes} min after the removal started",
            _cases(t, still, gone, labels),
            for_=f"{max(minutes, 1)}m",
        )
        for name, expr, meaning, _, still, gone, labels in _watch(t)
    ]


def watch_panels(t: Target) -> list[Panel]:
    return [(meaning.capitalize(), panel, "short") for _, _, meaning, panel, *_ in _watch(t)]


def cleanup(t: Target) -> list[dict[str, str]]:
    """What monitoring of the removed service to delete, and when."""
    r = t.request
    svc, env = r.service_name, r.environment.value
    after = f"after the removal-watch alerts have stayed silent for {QUIET_HOURS} h"
    items = [
        {
            "what": f"Silence (do not delete) the alert rule group `{svc}-{env}.rules`",
            "when": "at the start of the window, for its duration; it is expected to fire",
        },
        {"what": f"Alert rule group `{svc}-{env}.rules` and its recording rules", "when": after},
        {"what": f"Dashboard `{svc} ({env})` (uid `{dashboard_uid(t)}`)", "when": after},
        {
            "what": f'On-call route matching `service="{svc}"`, `environment="{env}"` '
            "in Alertmanager, and its paging-service entry",
            "when": after,
        },
        {
            "what": f'Scrape targets and probes labelled `namespace="{namespace(r)}"`, '
            f'`service="{svc}"` (ServiceMonitor, file_sd or blackbox entries)',
            "when": after,
        },
    ]
    if t.kubernetes:
        items.append({"what": f"Namespace `{namespace(r)}` once empty", "when": after})
    items.append(
        {
            "what": f"This removal watch: rule group `{group_name(r)}` and its dashboard",
            "when": f"{WATCH_DAYS} days after the cleanup above, if it stayed silent",
        }
    )
    return items
