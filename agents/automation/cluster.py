"""The Kubernetes cluster a web workload runs on, and how the load balancer reaches it.

A request that names an existing cluster gets it referenced (``data "aws_eks_cluster"``, the
node groups' autoscaling groups as an input) and nothing of it is priced; otherwise the stack
creates a small EKS cluster with one managed node group, priced in the plan. Either way the
load balancer's target group (plain HTTP; TLS ends at the load balancer) is attached to the
nodes' autoscaling groups and targets the Service's NodePort, so the pods are registered with
no controller to install.
"""

from __future__ import annotations

import re

from opsteam.agents.automation import prometheus
from opsteam.agents.automation.inputs import APP_PORT_VARIABLE
from opsteam.agents.base import RoleContext, mentions
from opsteam.domain.decisions import LoadBalancer
from opsteam.domain.decisions.wiring import ClusterSpec, TargetGroupSpec, TfVariable
from opsteam.domain.models import ChangeRequest, Environment, Size

# A version in EKS standard support when this table was written (review with the prices).
EKS_VERSION = "1.35"
# Node sizes match the plan's compute price table (opsteam/data/prices.yaml).
NODE_TYPES: dict[Size, str] = {
    Size.SMALL: "t3.medium",
    Size.MEDIUM: "m6i.large",
    Size.LARGE: "m6i.xlarge",
    Size.XLARGE: "m6i.2xlarge",
}
# The add-ons a created cluster gets: the VPC CNI with its network-policy agent on (else the
# NetworkPolicies enforce nothing), kube-state-metrics (the deployment alerts) and
# metrics-server (the HorizontalPodAutoscaler's CPU; EKS ships none).
ADDONS = ("vpc-cni", "kube-state-metrics", "metrics-server")
NODES: dict[Environment, tuple[int, int]] = {
    Environment.DEV: (1, 2),
    Environment.STAGING: (2, 4),
    Environment.PROD: (3, 6),
}
_EXISTING = re.compile(
    r"\b(?:existing|shared|current)\b(?:[\s-]+[a-z0-9-]+){0,3}?[\s-]+(?:eks|kubernetes|k8s)?"
    r"[\s-]*cluster\b"
)
CREATED_SG = "aws_eks_cluster.main.vpc_config[0].cluster_security_group_id"
EXISTING_SG = "data.aws_eks_cluster.existing.vpc_config[0].cluster_security_group_id"
# A managed node group has exactly one autoscaling group (known once it exists).
CREATED_ASG = "aws_eks_node_group.main.resources[0].autoscaling_groups[0].name"


def names_existing_cluster(request: ChangeRequest) -> bool:
    """Whether the request runs the workload on a cluster that exists ("on the existing
    platform EKS cluster"): then it is referenced, never created."""
    asked = f"{request.request} {request.description}".lower()
    return _EXISTING.search(asked) is not None or bool(mentions(asked, ("existing cluster",)))


def cluster(request: ChangeRequest, ctx: RoleContext, prefix: str) -> ClusterSpec | None:
    """The cluster of a web workload (None when the design runs no Kubernetes)."""
    if not {"web", "kubernetes"} & set(ctx.design.components):
        return None
    low, high = NODES[request.environment]
    if names_existing_cluster(request):
        return ClusterSpec(
            name="var.eks_cluster_name",
            created=False,
            version=EKS_VERSION,
            node_instance_type=NODE_TYPES[request.size],
            min_nodes=0,
            desired_nodes=0,
            max_nodes=1,
            security_group=EXISTING_SG,
            autoscaling_groups="var.node_autoscaling_group_names",
        )
    return ClusterSpec(
        name=prefix[:100],
        created=True,
        version=EKS_VERSION,
        node_instance_type=NODE_TYPES[request.size],
        min_nodes=low,
        desired_nodes=low,
        max_nodes=high,
        security_group=CREATED_SG,
        autoscaling_groups=CREATED_ASG,
        addons=list(ADDONS),
        api_access=prometheus.access(),
        monitoring=prometheus.stack(prefix),
    )


def target_group(lb: LoadBalancer, spec: ClusterSpec | None) -> TargetGroupSpec:
    """Plain HTTP to the targets on the port the network plan decided (the NodePort for
    Kubernetes nodes), health-checked on the same port and the workload's health path."""
    nodes = spec is not None and lb.node_port is not None
    return TargetGroupSpec(
        protocol=lb.target_protocol,
        port=lb.target_port,
        target_type="instance",
        health_path=lb.health_check_path,
        health_protocol=lb.target_protocol,
        backend_port=lb.backend_port,
        node_port=lb.node_port if nodes else None,
        # Without a NodePort the targets listen on the application's own port.
        port_variable=None if lb.node_port is not None else APP_PORT_VARIABLE,
    )


DEPLOYER_VARIABLE = "deployer_role_arn"


def variables(spec: ClusterSpec | None) -> list[TfVariable]:
    if spec is None:
        return []
    if spec.created:  # its API answers the VPC and the admin ranges, only principals let in
        deployer = TfVariable(
            name=DEPLOYER_VARIABLE,
            description="IAM role that applies the Kubernetes manifests and the monitoring "
            "stack (your CI runner or operators; whoever runs Terraform must be able to "
            "assume it): granted cluster access by an access entry.",
            example='"arn:aws:iam::123456789012:role/platform-deployer"',
        )
        access = prometheus.variables(spec.api_access) if spec.api_access is not None else []
        return [deployer, *access]
    return [
        TfVariable(
            name="eks_cluster_name",
            description="Name of the existing EKS cluster the workload runs on.",
            example='"platform-prod"',
        ),
        TfVariable(
            name="node_autoscaling_group_names",
            type="list(string)",
            description="Autoscaling groups of the cluster's node groups: the load balancer "
            "registers their nodes as targets.",
            example='["eks-platform-prod-nodes-0123456789abcdef"]',
        ),
    ]
