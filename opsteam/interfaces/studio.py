"""The graphs LangGraph Studio and the Agent Server serve (``langgraph.json`` at the repo root).

``langgraph dev`` (the ``studio`` extra) loads these: the whole team's request graph, the
incident graph, and each role's own graph, built from the roster ``$OPSTEAM_REGISTRY`` names
(else the packaged one) with the real validators. The server brings its own checkpointer.
Everything these graphs show is ID-free: the state holds public slugs, and checkpoint interrupt
payloads are redacted and carry LangChain's human-in-the-loop request, so Studio and
agent-chat-ui show approve / edit / reject. Input: ``{"request": {...the change-request form}}``
(``opsteam task`` or ``opsteam submit`` read plain words into that form).
"""

from __future__ import annotations

from typing import Any, cast

from langgraph.graph.state import CompiledStateGraph

from opsteam.application.service import real_verifier
from opsteam.domain.registry import RoleSlug, load_registry
from opsteam.graphs.incident import build_incident_graph
from opsteam.graphs.request import build_request_graph
from opsteam.graphs.role import build_role_graph

Graph = CompiledStateGraph[Any, Any, Any, Any]


def _alone(slug: RoleSlug) -> Graph:
    return build_role_graph(load_registry(), real_verifier, slug)


def request() -> Graph:
    """The whole team: intake -> architect -> specialists -> automation -> SRE -> gate."""
    return build_request_graph(load_registry(), real_verifier)


def incident() -> Graph:
    """Incident response: triage, routing, escalation, then waits for the next command."""
    return cast(Graph, build_incident_graph(load_registry(), cast(Any, None)))


def infrastructure_architect() -> Graph:
    return _alone("infrastructure-architect")


def systems_administrator() -> Graph:
    return _alone("systems-administrator")


def network_engineer() -> Graph:
    return _alone("network-engineer")


def database_administrator() -> Graph:
    return _alone("database-administrator")


def site_reliability_engineer() -> Graph:
    return _alone("site-reliability-engineer")


def automation_engineer() -> Graph:
    return _alone("automation-engineer")
