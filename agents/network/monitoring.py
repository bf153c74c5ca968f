"""Where Prometheus's exporters reach the plan's data stores from, decided once.

The exporters run beside Prometheus, in the ``monitoring`` namespace of its cluster. When this
request runs a Kubernetes cluster in the VPC, Prometheus is that cluster's: the exporters run
on its nodes in the private subnets, which the data rules already admit. Otherwise Prometheus
lives in another network (the monitoring cluster's VPC), which a VPC created here has no path
from: the data store admits the monitoring network's range (a Terraform input) on its port
only, and that network must be routed to this VPC by VPC peering, or by a transit gateway
attachment when the request says the organisation routes through one.
"""

from __future__ import annotations

import re

from opsteam.agents.network.rules import Facts, data_stores
from opsteam.domain.decisions import MonitoringPath
from opsteam.domain.models import ChangeRequest, ChangeType

VARIABLE = "monitoring_cidr"
_TRANSIT = re.compile(r"\b(?:transit[\s-]+gateway|tgw)\b", re.IGNORECASE)


def monitoring_path(request: ChangeRequest, facts: Facts) -> MonitoringPath | None:
    """The path, or None when the plan has no data store (or a Modify leaves its rules be)."""
    ports = sorted({port for _, port, _ in data_stores(facts)})
    if not ports or request.type is ChangeType.MODIFY:
        return None
    if facts.has("web", "kubernetes"):
        return MonitoringPath(route="in-vpc", ports=ports)
    route = "transit-gateway" if _TRANSIT.search(request.text) else "peering"
    return MonitoringPath(route=route, variable=VARIABLE, ports=ports)
