"""The incident graph: triage -> route to owner -> escalate, then wait for the next command.

Updates carrying new evidence (an alert, a diagnosis, a note, a component) or a person's
choice of owner re-run triage inside ``apply``; a re-route or a new severity is recorded in
the timeline, and a new P1 in production asks a person before the graph goes on.

One thread per incident (thread id = incident id) in the same checkpointer as requests.
Between commands the thread is paused in an ``interrupt()``: in ``wait`` for the next update,
tick or resolution, or in ``human`` when a person must decide (a major incident, a business
decision, or escalation past the architect window). Any process that opens the checkpointer
resumes it with ``Command(resume=<IncidentCommand as JSON>)``.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from opsteam.agents.sre import incidents as commander
from opsteam.agents.sre.comms import render_postmortem
from opsteam.agents.sre.escalation import HUMAN_NAME, passed_levels
from opsteam.domain.incidents import Incident
from opsteam.domain.registry import Registry
from opsteam.graphs.state import IncidentCommand, IncidentState

WAIT = "wait"
HUMAN = "human"


def _incident(state: IncidentState) -> Incident:
    if state.incident is None:  # pragma: no cover - triage always runs first
        raise RuntimeError("incident graph step before triage")
    return state.incident


def _triage(registry: Registry) -> Any:
    def triage(state: IncidentState) -> dict[str, Any]:
        return {"incident": commander.open_incident(state.report, registry)}

    return triage


def _route(registry: Registry) -> Any:
    def route(state: IncidentState) -> dict[str, Any]:
        return {"incident": commander.route(_incident(state), registry, state.now)}

    return route


def _escalate(registry: Registry) -> Any:
    def escalate(state: IncidentState) -> dict[str, Any]:
        incident = _incident(state)
        steps = passed_levels(
            registry,
            detected_at=incident.report.detected_at,
            since_level=incident.level,
            now=state.now,
            owner=incident.component_owner,
        )
        for step in steps:
            until = step.until_minutes
            window = f"{step.from_minutes}-{until} min" if until else f"{step.from_minutes}+ min"
            incident = incident.model_copy(update={"level": step.level})
            verb = "Held by" if step.from_minutes == 0 else "Escalated to"
            incident = incident.with_event(
                state.now, "escalated", f"{verb} {step.holder} ({step.level}, {window})"
            )
            if step.is_human and incident.awaiting_human is None:
                reason = f"{HUMAN_NAME}: no resolution after {step.from_minutes} min"
                incident = incident.model_copy(update={"awaiting_human": reason})
                incident = incident.with_event(
                    state.now, "human-requested", f"Human decision requested: {reason}"
                )
        return {"incident": incident}

    return escalate


def _pause(kind: Literal["awaiting-update", "human-decision"]) -> Any:
    def pause(state: IncidentState) -> dict[str, Any]:
        incident = _incident(state)
        payload = {
            "kind": kind,
            "incident": incident.id,
            "status": incident.status.value,
            "reason": incident.awaiting_human,
        }
        command = IncidentCommand.model_validate(interrupt(payload))
        return {"command": command, "now": command.at}

    return pause


def _apply(registry: Registry) -> Any:
    def apply(state: IncidentState) -> dict[str, Any]:
        command = state.command
        if command is None or command.update is None:
            raise ValueError("update command without an update")
        return {"incident": commander.apply_update(_incident(state), command.update, registry)}

    return apply


def _resolve(registry: Registry) -> Any:
    def resolve(state: IncidentState) -> dict[str, Any]:
        command = state.command
        if command is None or command.resolution is None:
            raise ValueError("resolve command without a resolution")
        incident = commander.resolve(_incident(state), command.resolution, registry)
        document = render_postmortem(incident, registry, links=command.links)
        incident = incident.model_copy(update={"postmortem": document})
        at = command.resolution.at
        incident = incident.with_event(at, "postmortem", "Postmortem drafted (lifecycle: Draft)")
        return {"incident": incident}

    return resolve


def _after_escalate(state: IncidentState) -> str:
    return HUMAN if _incident(state).awaiting_human else WAIT


def _after_pause(state: IncidentState) -> str:
    command = state.command
    if command is None:  # pragma: no cover - a pause always stores the command
        return WAIT
    return {"update": "apply", "tick": "escalate", "resolve": "resolve"}[command.kind]


def build_incident_graph(
    registry: Registry, checkpointer: BaseCheckpointSaver[Any]
) -> CompiledStateGraph[IncidentState, None, IncidentState, IncidentState]:
    graph = StateGraph(IncidentState)
    graph.add_node("triage", _triage(registry))
    graph.add_node("route", _route(registry))
    graph.add_node("escalate", _escalate(registry))
    graph.add_node(WAIT, _pause("awaiting-update"))
    graph.add_node(HUMAN, _pause("human-decision"))
    graph.add_node("apply", _apply(registry))
    graph.add_node("resolve", _resolve(registry))
    graph.add_edge(START, "triage")
    graph.add_edge("triage", "route")
    graph.add_edge("route", "escalate")
    graph.add_conditional_edges("escalate", _after_escalate, [WAIT, HUMAN])
    for pause in (WAIT, HUMAN):
        graph.add_conditional_edges(pause, _after_pause, ["apply", "escalate", "resolve"])
    graph.add_edge("apply", "escalate")
    graph.add_edge("resolve", END)
    return graph.compile(checkpointer=checkpointer)
