"""Which playbook each role added to the roster runs, decided before any work starts.

A team gives a new role its own playbook package through an entry point in the
``opsteam.roles`` group, named by the role's slug in the registry; its value is an object or
module with the decide/render contract of :mod:`opsteam.agents.base`. Without one, a chat
model lets the generic role speak (:mod:`opsteam.agents.generic.role`); offline, the role has
no way to work and the request is refused before anything runs or is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from opsteam.domain.errors import InputError
from opsteam.domain.registry import Registry, Role

ENTRY_POINT_GROUP = "opsteam.roles"


def entry_point_playbook(slug: str) -> Any | None:
    """The playbook a package registers for ``slug``, or None; a broken one is one line."""
    for found in entry_points(group=ENTRY_POINT_GROUP, name=slug):
        try:
            loaded = found.load()
        except Exception as exc:  # a third-party package: any import error is its own
            raise InputError(
                f"role {slug}: its playbook ({ENTRY_POINT_GROUP} entry point {found.value!r}) "
                f"failed to load ({type(exc).__name__})"
            ) from None
        if not all(callable(getattr(loaded, name, None)) for name in ("decide", "render")):
            raise InputError(
                f"role {slug}: {ENTRY_POINT_GROUP} entry point {found.value!r} has no "
                "decide(request, ctx) and render(decision, request, ctx)"
            )
        return loaded
    return None


def playbooks(registry: Registry, with_model: bool) -> dict[str, Any | None]:
    """Each role added to the roster: its entry point's playbook, else the generic role when
    a chat model is configured, else None (the role cannot work here)."""
    from opsteam.agents.generic.role import GenericRole

    found: dict[str, Any | None] = {}
    for role in registry.extra_roles:
        playbook = entry_point_playbook(role.slug)
        if playbook is None and with_model:
            playbook = GenericRole(role.slug)
        found[role.slug] = playbook
    return found


def unavailable(role: Role, outcome: str = "nothing was run") -> str:
    """One line naming the role and what makes it work."""
    return (
        f"role {role.name!r} ({role.slug}) has no playbook and no chat model is configured: "
        f"set OPSTEAM_MODEL (or --model), or install a playbook package providing the "
        f"{ENTRY_POINT_GROUP!r} entry point {role.slug!r}; {outcome}"
    )


def refuse_missing(engaged: list[str], registry: Registry, found: Mapping[str, Any | None]) -> None:
    """Raise (exit 2) when an engaged role has neither a playbook nor a model."""
    for slug in engaged:
        if found.get(slug) is None:
            raise InputError(unavailable(registry.role(slug)))
