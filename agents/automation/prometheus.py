"""A created cluster's operator access and the monitoring stack its alerts need.

Access: the API keeps its private endpoint (nodes, anything in the VPC) and gets a public
endpoint that answers only the operators' ranges (``admin_cidrs``, validated: never
``0.0.0.0/0``). A platform team accepts this default because the Helm release below is applied
by Terraform from wherever Terraform runs (a CI runner, an operator's network): with a private
endpoint only, it would need a runner inside the VPC before the cluster could be monitored.
Only principals with an access entry get in (API authentication), so a range alone admits
nobody.

Monitoring: kube-prometheus-stack as a Helm release in the ``monitoring`` namespace, loading
the SRE's files as they are (rules, Alertmanager routes, scrape jobs), so the alerts are
evaluated and the paging route the SRE decided is the one Alertmanager runs. Its Grafana,
node exporter, kube-state-metrics (an EKS add-on of the stack) and default rules stay off:
the bundle's rules are the alerting, the bundle's dashboard goes to the team's Grafana.
"""

from __future__ import annotations

from opsteam.agents.automation.monitoring import NAMESPACE
from opsteam.agents.sre.paths import ALERTMANAGER_PATH, RULES_PATH, SCRAPE_PATH
from opsteam.agents.sre.routing import SECRETS_DIR
from opsteam.domain.decisions.wiring import (
    ClusterApiAccess,
    ClusterSpec,
    MonitoringStack,
    TfVariable,
    VariableCheck,
)
from opsteam.domain.models import Artifact
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ADMIN_CIDRS = "admin_cidrs"
CHART = "kube-prometheus-stack"
REPOSITORY = "https://prometheus-community.github.io/helm-charts"
# Pinned: a chart upgrade is a reviewed change (bump it with the EKS version). 81.6.2 is a
# published release (February 2026) whose values keys (alertmanager.config, prometheus
# .prometheusSpec.additionalScrapeConfigs, ruleSelector) this file sets.
CHART_VERSION = "81.6.2"
PATH = "terraform/prometheus.tf"


def access() -> ClusterApiAccess:
    """Private endpoint on, public endpoint limited to the operators' validated ranges."""
    return ClusterApiAccess(public_endpoint=True, cidrs_variable=ADMIN_CIDRS)


def stack(prefix: str) -> MonitoringStack:
    return MonitoringStack(
        chart=CHART,
        repository=REPOSITORY,
        version=CHART_VERSION,
        release=CHART,
        namespace=NAMESPACE,
        rules_file=RULES_PATH,
        alertmanager_file=ALERTMANAGER_PATH,
        scrape_file=SCRAPE_PATH,
        secret=f"{prefix}-alertmanager-receivers"[:63],
        secrets_dir=SECRETS_DIR,
    )


def variables(found: ClusterApiAccess) -> list[TfVariable]:
    name = found.cidrs_variable
    return [
        TfVariable(
            name=name,
            type="list(string)",
            description="IPv4 ranges of the operators and of the runner that applies this "
            "Terraform (it installs the monitoring stack through the cluster API): the only "
            "addresses the cluster's public API endpoint answers. Never 0.0.0.0/0.",
            example='["203.0.113.0/24"]',
            checks=[
                VariableCheck(
                    condition=f"length(var.{name}) > 0 && alltrue([for c in var.{name} : "
                    'can(cidrnetmask(c)) && !endswith(c, "/0")])',
                    message="One or more IPv4 CIDR ranges (like 203.0.113.0/24), none of them "
                    "/0: the API must not answer the whole internet.",
                )
            ],
        )
    ]


def render(cluster: ClusterSpec, role: RoleSlug) -> list[Artifact]:
    if cluster.monitoring is None:
        return []
    content = render_template(
        "automation/terraform/prometheus.tf.j2", cluster=cluster, monitoring=cluster.monitoring
    )
    return [Artifact(path=PATH, role=role, kind="terraform", content=content)]
