"""The prompts a role sends: rendered from packaged templates, snapshot-tested, user text as data.

A changed prompt fails here until its snapshot is renewed on purpose:
``OPSTEAM_UPDATE_SNAPSHOTS=1 pytest tests/test_llm_prompts.py`` (then review the diff).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from opsteam.agents.llm.prompts import FOLDERS, system_prompt, task_prompt
from opsteam.agents.network import role as network
from opsteam.domain.registry import Registry
from tests.conftest import RequestFactory
from tests.team import decide_all

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "prompts"
TODAY = date(2026, 11, 22)
INTERNAL_IDS = [f"INF-00{n}" for n in range(1, 7)]


def matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("OPSTEAM_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with OPSTEAM_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("slug", sorted(FOLDERS))
def test_each_role_has_its_system_prompt_from_the_registry(slug: str, registry: Registry) -> None:
    text = system_prompt(slug, registry, TODAY)
    role = registry.role(slug)
    assert role.name in text and role.primary_responsibility in text
    assert all(c in text for c in role.capabilities)
    assert all(registry.role(h).name in text for h in role.handoffs)
    assert "2026-11-22" in text and not any(i in text for i in INTERNAL_IDS)
    matches_snapshot(f"{FOLDERS[slug]}-system.md", text)


def test_the_task_prompt_carries_only_the_roles_slice(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = make_request(environment="prod", description="Cache {{ 7*7 }} {% raw %} for reads.")
    ctx = decide_all(request, registry=registry)
    assert ctx.network is not None
    text = task_prompt(network.ROLE, request, ctx, ctx.network)
    # User text is data: template syntax stays literal, JSON-escaped, never evaluated.
    assert "{{ 7*7 }} {% raw %}" in text and "49" not in text
    # Only its own assignment; no checkpoints, no other role's decision.
    assert "checkpoints" not in text and '"role":"database-administrator"' not in text
    assert "DataPlan" not in text and "AutomationPlan" not in text
    assert not any(i in text for i in INTERNAL_IDS)
    matches_snapshot("network-task.md", text)


def test_refusals_are_listed_for_the_retry(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = make_request()
    ctx = decide_all(request, registry=registry)
    assert ctx.automation is not None
    errors = ["stack: decided elsewhere in the team; keep it as drafted"]
    text = task_prompt("automation-engineer", request, ctx, ctx.automation, errors)
    assert "## Your previous proposal was refused" in text and errors[0] in text
    # The automation engineer reads the specialists' decisions it codifies.
    assert "## database (data)" in text and "## network (data)" in text
