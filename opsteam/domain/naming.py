"""Names, labels and well-known ports shared by every artifact.

Roles that work in parallel (network, database) must agree on facts without reading each
other; these pure functions are the agreement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsteam.domain.errors import InputError
from opsteam.domain.models import ChangeRequest, Engine, Environment, slugify

if TYPE_CHECKING:
    from opsteam.domain.redaction import Redactor

ENGINE_PORTS: dict[Engine, int] = {
    Engine.POSTGRES: 5432,
    Engine.MYSQL: 3306,
    Engine.REDIS: 6379,
}

# The database login the metrics exporter uses: the Database Administrator creates it, the
# exporter's settings log in with it.
MONITORING_LOGIN = "monitoring"
# The cluster's Alertmanager, which the bundle's Prometheus sends its alerts to.
ALERTMANAGER_ADDRESS = "alertmanager.monitoring.svc:9093"

ENV_REPLICAS: dict[Environment, int] = {
    Environment.DEV: 1,
    Environment.STAGING: 2,
    Environment.PROD: 3,
}


def engine_port(engine: Engine) -> int:
    return ENGINE_PORTS[engine]


def resource_prefix(request: ChangeRequest) -> str:
    """Prefix for cloud resources, e.g. ``billing-db-prod``."""
    return f"{request.service_name}-{request.environment.value}"


def namespace(request: ChangeRequest) -> str:
    return f"{request.service_name}-{request.environment.value}"


def k8s_labels(request: ChangeRequest) -> dict[str, str]:
    """Labels every Kubernetes object carries; alert rules select on the same ones."""
    return {
        "app.kubernetes.io/name": request.service_name,
        "app.kubernetes.io/part-of": request.service_name,
        "app.kubernetes.io/managed-by": "opsteam",
        "environment": request.environment.value,
    }


def metric_selector(request: ChangeRequest) -> dict[str, str]:
    """Prometheus label matchers for the service (kube-state-metrics + scrape labels)."""
    return {"namespace": namespace(request), "service": request.service_name}


def tags(request: ChangeRequest) -> dict[str, str]:
    """Cloud resource tags (Terraform ``tags``)."""
    return {
        "Service": request.service_name,
        "Environment": request.environment.value,
        "ManagedBy": "opsteam",
    }


def named_for_artifacts(request: ChangeRequest, redactor: Redactor) -> ChangeRequest:
    """The request with a service name valid in every artifact language.

    Every artifact passes the roster's redactor on its way out, which turns an internal ID
    into a public name with spaces (``redis-inf-003`` would become ``redis-Network
    Engineer``). So the name is made from the redacted text: of the title when it was derived
    from it, else of the name given (``db-inf-003`` -> ``db-network-engineer``).
    """
    service = request.service_name
    source = request.request if service == slugify(request.request) else service
    safe = slugify(redactor.text(source))
    for _ in range(3):  # the cut at 40 characters can make one (inf-0031 -> inf-003)
        if not redactor.ids(safe):
            return request if safe == service else request.model_copy(update={"service": safe})
        safe = slugify(redactor.text(safe))
    raise InputError("service: no valid name can be made from it; give a service name")
