"""Shared fixtures: the packaged registry and a change-request factory."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry, load_registry
from opsteam.tools.tfschema.model import ProviderSchema

RequestFactory = Callable[..., ChangeRequest]

# No per-example deadline: a property's examples are checked for what they return, never for
# how long they take (timings live in bench/); on a loaded 2-core machine a 200 ms deadline
# failed tests that were right.
settings.register_profile("opsteam", deadline=None)
settings.load_profile("opsteam")

BASE_REQUEST: dict[str, Any] = {
    "request": "Redis cache for the catalog service",
    "type": "New",
    "component": "cache",
    "description": "A Redis cache in front of the catalog database.",
    "justification": "Catalog reads dominate database load.",
    "timeline": "next sprint",
    "impact": "none expected",
    "requester": "catalog team",
    "environment": "dev",
}


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def make_request() -> RequestFactory:
    def factory(**fields: Any) -> ChangeRequest:
        return ChangeRequest.model_validate({**BASE_REQUEST, **fields})

    return factory


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The real PostgreSQL named by OPSTEAM_TEST_POSTGRES_URL; CI must have it (no silent skip)."""
    import os

    url = os.environ.get("OPSTEAM_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set OPSTEAM_TEST_POSTGRES_URL (PostgreSQL runs on this machine)")
        pytest.skip("set OPSTEAM_TEST_POSTGRES_URL to run the PostgreSQL tests")
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"OPSTEAM_TEST_POSTGRES_URL is set but unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def provider_schema() -> ProviderSchema:
    """The real AWS provider-schema cache (``make validators`` builds it); CI must have it."""
    import os

    from opsteam.tools.tfschema.store import CachedSchemaStore, cache_path

    schema = CachedSchemaStore().load()
    if schema is None:
        reason = (
            f"the Terraform provider-schema cache is missing ({cache_path()}); run make validators"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    return schema


VALIDATOR_PROGRAMS = (
    "checkov", "kubernetes-validate", "ansible-playbook", "ansible-lint", "promtool", "kubectl",
    "amtool",
)  # fmt: skip


@pytest.fixture(scope="session")
def tools_installed() -> None:
    """Every validator the bundles need; locally a skip, in CI a failure."""
    import importlib.util
    import os

    from opsteam.tools.runner import SubprocessRunner
    from opsteam.tools.tfschema.store import cache_path

    runner = SubprocessRunner()
    missing = [p for p in VALIDATOR_PROGRAMS if runner.which(p) is None]
    if importlib.util.find_spec("hcl2") is None:
        missing.append("python-hcl2")
    if not cache_path().is_file():
        missing.append(f"the Terraform provider-schema cache ({cache_path()})")
    if not missing:
        return
    reason = (
        f"validators not installed: {', '.join(missing)} "
        "(run .ci/install-validators.sh and pip install -e '.[validators]')"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


# Diagrams are rendered only by the tests that ask for it (a real render takes seconds).
os.environ.setdefault("OPSTEAM_DIAGRAMS", "false")
