"""The CloudWatch exporter's credentials, created by the bundle's Terraform (IRSA).

The SRE reads the tunnel state, the buckets' writes and the database's free storage and
backup jobs from CloudWatch. Without credentials the exporter reads nothing, and an alert
built on that data is silent (or pages for the wrong reason). So whenever the bundle's
resources are of those kinds, the module creates a read-only role that only the exporter's
ServiceAccount in the monitoring cluster can assume, and outputs its ARN for that
ServiceAccount's ``eks.amazonaws.com/role-arn`` annotation.
"""

from __future__ import annotations

from opsteam.agents.base import RoleContext
from opsteam.domain.decisions.wiring import CloudWatchReader, TfVariable, VariableCheck
from opsteam.domain.models import Artifact, Engine
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

NAMESPACE = "monitoring"  # where the SRE's exporters run
# Read only: the exporter lists and reads metrics and finds resources by their tags.
ACTIONS = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources"]
OIDC_VARIABLE = "monitoring_oidc_provider_arn"
OUTPUT = "cloudwatch_exporter_role_arn"
PATH = "terraform/monitoring.tf"


def watched_through_cloudwatch(ctx: RoleContext) -> bool:
    """The bundle holds a VPN, buckets or a SQL database: their health is in CloudWatch."""
    network, storage, database = ctx.network, ctx.storage, ctx.database
    vpn = network is not None and bool(network.vpn)
    buckets = storage is not None and bool(storage.buckets)
    sql = database is not None and database.engine is not Engine.REDIS
    return vpn or buckets or sql


def reader(ctx: RoleContext, prefix: str) -> CloudWatchReader | None:
    if not watched_through_cloudwatch(ctx):
        return None
    name = f"{prefix}-cloudwatch-exporter"
    return CloudWatchReader(
        role_name=name[:64],
        namespace=NAMESPACE,
        service_account=name,
        oidc_variable=OIDC_VARIABLE,
        output=OUTPUT,
        actions=ACTIONS,
    )


def oidc_input(found: CloudWatchReader) -> TfVariable:
    return TfVariable(
        name=found.oidc_variable,
        description=(
            "ARN of the IAM OIDC provider of the EKS cluster the monitoring exporters run in "
            f"(its ServiceAccount {found.namespace}/{found.service_account} assumes the "
            "CloudWatch read-only role)."
        ),
        example=(
            # The monitoring cluster's region, whichever it is: no region is named here.
            '"arn:aws:iam::123456789012:oidc-provider/oidc.eks.<region>.amazonaws.com/id/'
            'EXAMPLED539D4633E53DE1B716D3041E"'
        ),
        checks=[
            VariableCheck(
                condition=f'can(regex("^arn:aws[a-z-]*:iam::[0-9]{{12}}:oidc-provider/.+$", '
                f"var.{found.oidc_variable}))",
                message="An IAM OIDC provider ARN (aws iam list-open-id-connect-providers).",
            )
        ],
    )


def render(found: CloudWatchReader, role: RoleSlug) -> Artifact:
    content = render_template("automation/terraform/monitoring.tf.j2", reader=found)
    return Artifact(path=PATH, role=role, kind="terraform", content=content)
