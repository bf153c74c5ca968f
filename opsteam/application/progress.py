"""Progress people watch while the graph runs: what each role is doing, then what it did.

Labels name roles by their public names only (from the registry); a step with no label of
its own (the checkpoint, LangGraph's internal steps) says nothing when it starts.
"""

from __future__ import annotations

from opsteam.domain.registry import Registry

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
    if activity is None:
        return None
    role = registry.role(_NODE_ROLE.get(step, step))
    return f"{role.name}: {activity}..."
