"""Who hears each alert, and how fast: the Alertmanager routes for the handbook's levels.

An alert rule with no route pages nobody. The handbook's response times decide the policy:
P0 (immediate) and P1 (under 15 minutes) page the on-call through PagerDuty and repeat until
acknowledged; P2 (under an hour) goes to the team's chat channel; P3 (next business day)
goes there too, only in working hours. A higher level firing for the same service and
environment holds back the lower ones (one outage, one page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opsteam.domain.decisions import AlertReceiver, AlertRoute, AlertRule
from opsteam.domain.models import ChangeRequest
from opsteam.domain.naming import resource_prefix
from opsteam.domain.severity import HandbookLevel

# Mounted into the Alertmanager pod from a Secret: the bundle holds the path, never the key.
SECRETS_DIR = "/etc/alertmanager/secrets"


@dataclass(frozen=True)
class _Policy:
    kind: Literal["page", "chat"]
    group_wait: str
    group_interval: str
    repeat_interval: str
    business_hours: bool = False


# Repeat intervals follow the response times: a page repeats within its response time.
POLICY: dict[HandbookLevel, _Policy] = {
    HandbookLevel.P0: _Policy("page", "10s", "1m", "5m"),
    HandbookLevel.P1: _Policy("page", "30s", "5m", "15m"),
    HandbookLevel.P2: _Policy("chat", "1m", "5m", "1h"),
    HandbookLevel.P3: _Policy("chat", "5m", "30m", "24h", business_hours=True),
}


def receivers(request: ChangeRequest, kinds: set[str]) -> list[AlertReceiver]:
    """The receivers the routes name, least urgent first: the first takes anything unmatched."""
    prefix = resource_prefix(request)
    found = []
    if "chat" in kinds:
        url = f"{SECRETS_DIR}/{prefix}-slack-webhook-url"
        channel = f"#{request.service_name}-alerts"
        found.append(
            AlertReceiver(name=f"{prefix}-chat", kind="chat", secret_file=url, channel=channel)
        )
    if "page" in kinds:
        key = f"{SECRETS_DIR}/{prefix}-pagerduty-routing-key"
        found.append(AlertReceiver(name=f"{prefix}-page", kind="page", secret_file=key))
    return found


def decide(
    request: ChangeRequest, alerts: list[AlertRule]
) -> tuple[list[AlertReceiver], list[AlertRoute]]:
    """One route per level the alerts use, most severe first, and the receivers they name."""
    levels = sorted({HandbookLevel(a.severity) for a in alerts}, key=list(HandbookLevel).index)
    prefix = resource_prefix(request)
    routes = [
        AlertRoute(
            severity=level.value,
            receiver=f"{prefix}-{POLICY[level].kind}",
            group_wait=POLICY[level].group_wait,
            group_interval=POLICY[level].group_interval,
            repeat_interval=POLICY[level].repeat_interval,
            business_hours=POLICY[level].business_hours,
        )
        for level in levels
    ]
    return receivers(request, {POLICY[level].kind for level in levels}), routes
