"""Monitoring of a removal: prove the removed service is gone, then clean its monitoring up.

A Remove request takes a service down on purpose, so it gets no SLO and no availability or
latency alert. Instead the Site Reliability Engineer watches the removal: P2 rules fire when the
service still has targets up or still receives traffic for longer than the change window, and
the runbook lists the alert rules, dashboard, on-call route and scrape targets to delete, and when.
"""

from __future__ import annotations

from opsteam.agents.sre.alerts import Target, available_replicas, service_selector
from opsteam.agents.sre.dashboard import Panel, dashboard_uid
from opsteam.domain.decisions import AlertRule
from opsteam.domain.models import ChangeRequest, ChangeType
from opsteam.domain.naming import namespace

DEFAULT_WINDOW_MINUTES = 120  # when the request names no maintenance window
QUIET_HOURS = 24  # the watch stays silent this long after the window before the cleanup
WATCH_DAYS = 7  # the watch itself is deleted after this many quiet days
SEVERITY = "P2"


def is_removal(request: ChangeRequest) -> bool:
    return request.type is ChangeType.REMOVE


def window_minutes(request: ChangeRequest) -> int:
    window = request.maintenance_window
    return window.duration_minutes if window is not None else DEFAULT_WINDOW_MINUTES


def group_name(request: ChangeRequest) -> str:
    return f"{request.service_name}-{request.environment.value}.removal-watch.rules"


def _watch(t: Target) -> list[tuple[str, str, str, str]]:
    """(alert, expression, what it means, dashboard panel expression) for the target."""
    r = t.request
    sel = service_selector(r)
    checks = [
        (
            "DecommissionedTargetStillUp",
            f"up{sel} == 1",
            "decommissioned target still up",
            f"sum(up{sel} == 1) or vector(0)",
        )
    ]
    if t.kubernetes:
        checks.append(
            (
                "DecommissionedWorkloadStillRunning",
                f"{available_replicas(r)} > 0",
                "decommissioned workload still has available replicas",
                available_replicas(r) + " or vector(0)",
            )
        )
    if t.web or t.kubernetes:
        rate = f"sum(rate(http_requests_total{sel}[5m]))"
        checks.append(
            (
                "DecommissionedServiceStillReceivingTraffic",
                f"{rate} > 0",
                "decommissioned service still receives HTTP requests",
                rate + " or vector(0)",
            )
        )
    if t.endpoint:
        probe = f"max(probe_success{service_selector(r, job='blackbox')})"
        checks.append(
            (
                "DecommissionedEndpointStillAnswering",
                f"{probe} == 1",
                "decommissioned endpoint still answers probes (DNS or load balancer not removed)",
                probe,
            )
        )
    return checks


def watch_rules(t: Target) -> list[AlertRule]:
    """P2 rules that fire once the service is still there for longer than the window."""
    minutes = window_minutes(t.request)
    svc = t.request.service_name
    return [
        AlertRule.model_validate(
            {
                "name": name,
                "expr": expr,
                "for": f"{max(minutes, 1)}m",
                "severity": SEVERITY,
                "summary": f"{svc}: {meaning} {minutes} min after the removal started",
            }
        )
        for name, expr, meaning, _ in _watch(t)
    ]


def watch_panels(t: Target) -> list[Panel]:
    return [(meaning.capitalize(), panel, "short") for _, _, meaning, panel in _watch(t)]


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
