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

import json
import sys
from typing import Any, cast

from langgraph.graph.state import CompiledStateGraph

from opsteam.application.service import real_verifier
from opsteam.domain.registry import RoleSlug, load_registry
from opsteam.graphs.incident import build_incident_graph
from opsteam.graphs.request import build_request_graph
from opsteam.graphs.role import build_role_graph

Graph = CompiledStateGraph[Any, Any, Any, Any]
ROLE_GRAPHS: tuple[RoleSlug, ...] = (
    "infrastructure-architect",
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "site-reliability-engineer",
    "automation-engineer",
)


def _advisor() -> Any:
    """The configured chat model behind the roles (OPSTEAM_MODEL), or None: the playbooks."""
    from opsteam.application.model import open_advisor
    from opsteam.domain.settings import load_settings

    return open_advisor(load_settings(), load_registry())


def _alone(slug: RoleSlug) -> Graph:
    return build_role_graph(load_registry(), real_verifier, slug, advisor=_advisor())


def request() -> Graph:
    """The whole team: intake -> architect -> specialists -> automation -> SRE -> gate."""
    return build_request_graph(load_registry(), real_verifier, advisor=_advisor())


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


# Graph name in langgraph.json -> the factory function above.
GRAPHS: dict[str, str] = {"request": "request", "incident": "incident"} | {
    slug: slug.replace("-", "_") for slug in ROLE_GRAPHS
}


def langgraph_config() -> str:
    """``langgraph.json``: the graphs above and the state's types allowed in checkpoints."""
    from opsteam.application.checkpoints import allowlist

    graphs = {name: f"opsteam.interfaces.studio:{fn}" for name, fn in GRAPHS.items()}
    types = ",\n".join(f'        ["{m}", "{n}"]' for m, n in sorted(allowlist()))
    head = json.dumps({"python_version": "3.11", "dependencies": ["."], "graphs": graphs}, indent=2)
    serde = f'  "checkpointer": {{\n    "serde": {{\n      "allowed_msgpack_modules": [\n{types}\n'
    return head[:-2] + ",\n" + serde + "      ]\n    }\n  }\n}\n"


if __name__ == "__main__":  # python -m opsteam.interfaces.studio > langgraph.json
    sys.stdout.write(langgraph_config())
