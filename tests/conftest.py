"""Shared fixtures: the packaged registry and a change-request factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsteam.models import ChangeRequest
from opsteam.registry import Registry, load_registry

RequestFactory = Callable[..., ChangeRequest]

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
