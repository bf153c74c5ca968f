"""Progress people watch while the graph runs: what each role is doing, then what it did.

Labels name roles by their public names only (from the registry); a step with no label of
its own (the checkpoint, LangGraph's internal steps) says nothing when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from opsteam.domain.registry import Registry

log = logging.getLogger("opsteam")
# What a step did, once it finished (role nodes say "<role> finished").
PROGRESS_LABELS = {
    "intake": "request received",
    "scope": "scope checked",
    "architect": "Infrastructure Architect designed the change",
    "checkpoint": "checkpoint decided",
    "design_review": "design review done",
    "plan": "Infrastructure Architect assembled the plan",
    "verify_iac": "validators checked the infrastructure code",
    "verify_ops": "validators checked monitoring",
    "change_gate": "change-approval gate evaluated",
    "report": "report ready",
}

# What a step does while it runs, by graph node; role nodes are named by their slug.
ROLE_ACTIVITY: dict[str, str] = {
    "architect": "designing the change and weighing its risk",
    "systems-administrator": "specifying servers, hardening and patching",
    "network-engineer": "planning subnets, routes, firewall rules and DNS",
    "database-administrator": "sizing data stores, backups and replicas",
    "automation-engineer": "writing the infrastructure code",
    "plan": "assembling the infrastructure plan and costs",
    "site-reliability-engineer": "preparing alerts, dashboards and runbooks",
}
# Steps that are not a role's own work: who does it, and what.
STEP_ACTIVITY: dict[str, tuple[str, str]] = {
    "verify_iac": ("Validators", "checking the infrastructure code"),
    "verify_ops": ("Validators", "checking alert rules and dashboards"),
    "change_gate": ("Change-approval gate", "checking the release criteria"),
}
_NODE_ROLE = {"architect": "infrastructure-architect", "plan": "infrastructure-architect"}


def started_label(step: str, registry: Registry) -> str | None:
    """``Network Engineer: planning subnets, routes, firewall rules and DNS...`` or None."""
    if step in STEP_ACTIVITY:
        who, what = STEP_ACTIVITY[step]
        return f"{who}: {what}..."
    activity = ROLE_ACTIVITY.get(step)
    if activity is None:  # a role added to the roster as data: its own specialty
        added = next((r for r in registry.extra_roles if r.slug == step), None)
        if added is None:
            return None
        return f"{added.name}: reviewing the change ({added.specialty.lower()})..."
    role = registry.role(_NODE_ROLE.get(step, step))
    return f"{role.name}: {activity}..."


def finished_label(step: str, registry: Registry) -> str | None:
    """What a finished step did; None for steps with no label (LangGraph's own, unknown)."""
    if step.startswith("__"):
        return None
    label = PROGRESS_LABELS.get(step)
    if label is not None:
        return label
    try:
        return f"{registry.role(step).name} finished"
    except KeyError:
        return None


class StepReporter:
    """Turns the graph's task events into labels for a person watching (if anyone is)."""

    def __init__(self, registry: Registry, show: Callable[[str], None] | None) -> None:
        self.registry, self.show = registry, show

    def task(self, task: dict[str, Any]) -> None:
        """A step starting ("Network Engineer: planning subnets...") or finishing."""
        if self.show is None:
            return
        if "result" not in task:
            label = started_label(task["name"], self.registry)
        elif task.get("error") or task.get("interrupts"):
            label = None  # an interrupted checkpoint is reported by the result, not here
        else:
            label = finished_label(task["name"], self.registry)
        if label is None:
            return
        try:
            self.show(label)
        except Exception:  # progress is for watching: a failing display never fails a run
            log.debug("progress display failed", exc_info=True)
