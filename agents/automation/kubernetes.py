"""Kubernetes manifests (kustomize base + dev/staging/prod overlays) for web components.

Replicas come from :data:`opsteam.domain.naming.ENV_REPLICAS`, labels from
:func:`opsteam.domain.naming.k8s_labels` (alert rules select on the same labels), the pod port from
the network plan's load balancer. All values reach YAML through the ``yaml`` filter.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import vpc_ranges
from opsteam.domain import naming
from opsteam.domain.models import Artifact, ChangeRequest, Environment, Size
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"
DEFAULT_PORT = 8080
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


@dataclass(frozen=True)
class Resources:
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


RESOURCES: dict[Size, Resources] = {
    Size.SMALL: Resources("100m", "128Mi", "500m", "256Mi"),
    Size.MEDIUM: Resources("250m", "256Mi", "1", "512Mi"),
    Size.LARGE: Resources("500m", "512Mi", "2", "1Gi"),
    Size.XLARGE: Resources("1", "1Gi", "4", "2Gi"),
}


def wanted(ctx: RoleContext) -> bool:
    if ctx.design is None:
        return False
    return any(c in ctx.design.components for c in WEB_COMPONENTS)


def replicas(env: Environment) -> tuple[int, int]:
    """(minimum replicas, HPA maximum) for an environment."""
    low = naming.ENV_REPLICAS[env]
    return low, max(low * 3, 2)


def container_port(ctx: RoleContext) -> int:
    if ctx.network is not None and ctx.network.load_balancer is not None:
        return ctx.network.load_balancer.target_port
    return DEFAULT_PORT


def _egress(ctx: RoleContext) -> list[dict[str, object]]:
    """Pod egress from the network plan: the database port to the data subnets."""
    rules: list[dict[str, object]] = []
    if ctx.database is not None and ctx.network is not None:
        cidrs = [s.cidr for s in ctx.network.subnets if s.tier == "data"]
        cidrs = cidrs or vpc_ranges(ctx.network.vpc_cidr)
        rules.append({"port": ctx.database.port, "cidrs": cidrs})
    return rules


def _for_env(request: ChangeRequest, env: Environment) -> ChangeRequest:
    return request.model_copy(update={"environment": env})


def k8s_vars(request: ChangeRequest, ctx: RoleContext) -> dict[str, object]:
    name = request.service_name
    low, high = replicas(request.environment)
    network = ctx.network
    return {
        "request": request,
        "app": name,
        "namespace": naming.namespace(request),
        "labels": naming.k8s_labels(request),
        "selector": {"app.kubernetes.io/name": name},
        "image": f"{IMAGE_REGISTRY}/{name}@{PLACEHOLDER_DIGEST}",
        "port": container_port(ctx),
        "health_path": (
            network.load_balancer.health_check_path
            if network is not None and network.load_balancer is not None
            else "/healthz"
        ),
        "ingress_cidrs": vpc_ranges(network.vpc_cidr) if network is not None else [],
        "egress": _egress(ctx),
        "resources": RESOURCES[request.size],
        "replicas": low,
        "max_replicas": high,
    }


def overlay_vars(request: ChangeRequest, env: Environment) -> dict[str, object]:
    low, high = replicas(env)
    scoped = _for_env(request, env)
    return {
        "app": request.service_name,
        "namespace": naming.namespace(scoped),
        "env_labels": {"environment": naming.k8s_labels(scoped)["environment"]},
        "replicas": low,
        "max_replicas": high,
    }


def render_kubernetes(request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    if not wanted(ctx):
        return []
    variables = k8s_vars(request, ctx)
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
    for env in Environment:
        content = render_template(
            "automation/kubernetes/overlay.yaml.j2", **overlay_vars(request, env)
        )
        artifacts.append(
            Artifact(
                path=f"kubernetes/overlays/{env.value}/kustomization.yaml",
                role=ROLE,
                kind="yaml",
                content=content,
            )
        )
    return artifacts
