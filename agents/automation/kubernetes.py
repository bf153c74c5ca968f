"""Kubernetes manifests (kustomize base + dev/staging/prod overlays) for web components.

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
    "serviceaccount",
    "deployment",
    "service",
    "hpa",
    "pdb",
    "networkpolicy",
)
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
    """Pod egress from the network plan: the database port to the data subnets."""
    if ctx.database is None or ctx.network is None:
        return []
    cidrs = [s.cidr for s in ctx.network.subnets if s.tier == "data"]
    return [EgressRule(port=ctx.database.port, cidrs=cidrs or vpc_ranges(ctx.network.vpc_cidr))]


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
    return KubernetesApp(
        app=name,
        namespace=naming.namespace(request),
        labels=naming.k8s_labels(request),
        selector={"app.kubernetes.io/name": name},
        image=f"{IMAGE_REGISTRY}/{name}@{PLACEHOLDER_DIGEST}",
        port=lb.target_port if lb is not None else DEFAULT_PORT,
        health_path=lb.health_check_path if lb is not None else DEFAULT_HEALTH_PATH,
        ingress_cidrs=vpc_ranges(network.vpc_cidr) if network is not None else [],
        egress=_egress(ctx),
        resources=RESOURCES[request.size],
        replicas=low,
        max_replicas=high,
        overlays=[_overlay(request, env) for env in Environment],
    )


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
        content = render_template(
            "automation/kubernetes/overlay.yaml.j2", app=spec.app, **dict(overlay)
        )
        artifacts.append(
            Artifact(
                path=f"kubernetes/overlays/{overlay.env}/kustomization.yaml",
                role=ROLE,
                kind="yaml",
                content=content,
            )
        )
    return artifacts
