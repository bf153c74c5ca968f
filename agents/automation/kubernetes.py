"""Kubernetes manifests (kustomize base + the designed environment's overlay) for web components.

Only the overlay of the environment whose network the request designed is rendered, and it is
deployable: the base's namespace-wide default-deny plus the overlay's edge policy (the load
balancer's subnets, the data store, HTTPS out) read from the network plan. Another
environment runs in another VPC (its own range from the address pool, its own subnets), so
its overlay comes with the request that designs that network, never with guessed ranges.

Replicas come from :data:`opsteam.domain.naming.ENV_REPLICAS`, labels from
:func:`opsteam.domain.naming.k8s_labels` (alert rules select on the same labels), the pod port from
the network plan's load balancer. All values reach YAML through the ``yaml`` filter.
"""

from __future__ import annotations

from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import vpc_ranges
from opsteam.domain import naming
from opsteam.domain.decisions import (
    ContainerResources,
    EgressRule,
    KubernetesApp,
    KubernetesOverlay,
    NetworkPlan,
)
from opsteam.domain.models import Artifact, ChangeRequest, Environment, Size
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"
DEFAULT_PORT = 8080
DEFAULT_HEALTH_PATH = "/healthz"
IMAGE_REGISTRY = "registry.example.com"
# Clearly a placeholder: the release pipeline replaces it with the image's real digest.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
BASE_FILES = (
    "namespace",
    "serviceaccount",
    "deployment",
    "service",
    "metrics-service",
    "hpa",
    "pdb",
    "networkpolicy",
    "networkpolicy-default-deny",
)
# The environment's own network (load balancer subnets, data subnets): in its overlay only.
EDGE_POLICY = "networkpolicy-edge"
# Pod Security Standards: every pod of the namespace must meet "restricted".
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}
ANYWHERE = "0.0.0.0/0"
WEB_COMPONENTS = ("web", "kubernetes")
RESOURCES: dict[Size, ContainerResources] = {
    Size.SMALL: ContainerResources(
        cpu_request="100m", memory_request="128Mi", cpu_limit="500m", memory_limit="256Mi"
    ),
    Size.MEDIUM: ContainerResources(
        cpu_request="250m", memory_request="256Mi", cpu_limit="1", memory_limit="512Mi"
    ),
    Size.LARGE: ContainerResources(
        cpu_request="500m", memory_request="512Mi", cpu_limit="2", memory_limit="1Gi"
    ),
    Size.XLARGE: ContainerResources(
        cpu_request="1", memory_request="1Gi", cpu_limit="4", memory_limit="2Gi"
    ),
}


def wanted(ctx: RoleContext) -> bool:
    return any(c in ctx.design.components for c in WEB_COMPONENTS)


def replicas(env: Environment) -> tuple[int, int]:
    """(minimum replicas, HPA maximum) for an environment."""
    low = naming.ENV_REPLICAS[env]
    return low, max(low * 3, 2)


def _egress(ctx: RoleContext) -> list[EgressRule]:
    """Pod egress as the network plan allows the app: its data store on its port (data
    subnets) and HTTPS out (the app group's egress rule), nothing else."""
    network = ctx.network
    if network is None:
        return []
    found: list[EgressRule] = []
    if ctx.database is not None:
        cidrs = [s.cidr for s in network.subnets if s.tier == "data"]
        found.append(
            EgressRule(
                port=ctx.database.port,
                cidrs=cidrs or vpc_ranges(network.vpc_cidr),
                why=f"{ctx.database.engine.value} in the data subnets",
            )
        )
    https = [r for r in network.rules if r.direction == "egress" and r.port == 443]
    if any(r.destination == ANYWHERE for r in https):
        found.append(EgressRule(port=443, cidrs=[ANYWHERE], why="HTTPS out (cloud APIs)"))
    return found


def _callers(network: NetworkPlan | None) -> list[str]:
    """Where the load balancer's connections come from: the subnets it lives in."""
    if network is None or network.load_balancer is None:
        return []
    tier = "public" if network.load_balancer.scheme == "internet-facing" else "private"
    cidrs = [s.cidr for s in network.subnets if s.tier == tier]
    return cidrs or vpc_ranges(network.vpc_cidr)


def _overlay(request: ChangeRequest, env: Environment) -> KubernetesOverlay:
    low, high = replicas(env)
    scoped = request.model_copy(update={"environment": env})
    return KubernetesOverlay(
        env=env.value,
        namespace=naming.namespace(scoped),
        env_labels={"environment": naming.k8s_labels(scoped)["environment"]},
        replicas=low,
        max_replicas=high,
    )


def app(request: ChangeRequest, ctx: RoleContext) -> KubernetesApp | None:
    """The workload as Kubernetes runs it, or None when the design has no web component."""
    if not wanted(ctx):
        return None
    name = request.service_name
    low, high = replicas(request.environment)
    network = ctx.network
    lb = network.load_balancer if network is not None else None
    node_port = lb.node_port if lb is not None else None
    return KubernetesApp(
        app=name,
        namespace=naming.namespace(request),
        labels=naming.k8s_labels(request),
        selector={"app.kubernetes.io/name": name},
        namespace_labels=RESTRICTED,
        service_type="NodePort" if node_port else "ClusterIP",
        node_port=node_port,
        metrics_service=f"{name}-metrics",
        edge_env=request.environment.value,
        image=f"{IMAGE_REGISTRY}/{name}@{PLACEHOLDER_DIGEST}",
        port=_pod_port(network),
        health_path=lb.health_check_path if lb is not None else DEFAULT_HEALTH_PATH,
        ingress_cidrs=_callers(network),
        egress=_egress(ctx),
        resources=RESOURCES[request.size],
        replicas=low,
        max_replicas=high,
        overlays=[_overlay(request, request.environment)] if network is not None else [],
    )


def modules(spec: KubernetesApp | None) -> list[str]:
    """The base and the overlays rendered (the designed environment's only)."""
    if spec is None:
        return []
    return ["kubernetes/base", *(f"kubernetes/overlays/{o.env}" for o in spec.overlays)]


def _pod_port(network: NetworkPlan | None) -> int:
    """The network plan's application port (named or assumed there, never guessed here)."""
    lb = network.load_balancer if network is not None else None
    if lb is not None:
        return lb.backend_port
    if network is not None and network.app_port is not None:
        return network.app_port
    return DEFAULT_PORT  # no network plan: nothing reaches the pods from outside the cluster


def render_kubernetes(spec: KubernetesApp | None, request: ChangeRequest) -> list[Artifact]:
    if spec is None:
        return []
    variables = {**dict(spec), "request": request}
    artifacts = [
        Artifact(
            path=f"kubernetes/base/{name}.yaml",
            role=ROLE,
            kind="kubernetes",
            content=render_template(f"automation/kubernetes/{name}.yaml.j2", **variables),
        )
        for name in BASE_FILES
    ]
    base = render_template(
        "automation/kubernetes/kustomization.yaml.j2", files=BASE_FILES, **variables
    )
    artifacts.append(
        Artifact(path="kubernetes/base/kustomization.yaml", role=ROLE, kind="yaml", content=base)
    )
    for overlay in spec.overlays:
        artifacts += _overlay_files(spec, overlay, variables)
    return artifacts


def _overlay_files(
    spec: KubernetesApp, overlay: KubernetesOverlay, variables: dict[str, object]
) -> list[Artifact]:
    """An overlay and its edge policy: every overlay rendered is deployable as it is."""
    edge = render_template(
        f"automation/kubernetes/{EDGE_POLICY}.yaml.j2",
        **{**variables, "namespace": overlay.namespace},
    )
    content = render_template(
        "automation/kubernetes/overlay.yaml.j2",
        app=spec.app,
        edge=EDGE_POLICY,
        **dict(overlay),
    )
    return [
        Artifact(
            path=f"kubernetes/overlays/{overlay.env}/{EDGE_POLICY}.yaml",
            role=ROLE,
            kind="kubernetes",
            content=edge,
        ),
        Artifact(
            path=f"kubernetes/overlays/{overlay.env}/kustomization.yaml",
            role=ROLE,
            kind="yaml",
            content=content,
        ),
    ]
