"""Stakeholder notification for a scheduled change, as a bundle artifact."""

from __future__ import annotations

from opsteam.agents.sre.comms import render_maintenance_notice
from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.models import Artifact, ChangeRequest
from opsteam.domain.registry import Registry

NOTICE_PATH = "docs/maintenance-notice.txt"


def oncall_contact(registry: Registry) -> str:
    primary = registry.role(registry.oncall.primary).name
    secondary = registry.role(registry.oncall.secondary).name
    return f"on-call {primary} (primary), {secondary} (secondary)"


def maintenance_artifact(
    request: ChangeRequest, design: ArchitectDesign | None, registry: Registry
) -> Artifact | None:
    """The maintenance notification, when the request has a window to announce."""
    if request.maintenance_window is None:
        return None
    text = render_maintenance_notice(
        request,
        rollback_available=bool(design and design.rollback_plan),
        contact=oncall_contact(registry),
    )
    return Artifact(
        path=NOTICE_PATH, role="site-reliability-engineer", kind="markdown", content=text
    )
