"""The fix loop works on what real checkov reports, not on strings the tests made up.

A specialist proposes a rule that admits SSH from the internet; the real validator flags the
exact security-group rule (check id, file, resource); the automation engineer narrows that
rule and the second verification passes. Without a known fix the finding is reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opsteam.agents.automation import role as automation
from opsteam.agents.automation import terraform
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.application.service import Opsteam, real_verifier
from opsteam.domain.decisions import FirewallRule, NetworkPlan
from opsteam.domain.models import ChangeRequest
from opsteam.intake import parse_requests
from tests.test_examples_validated import EXAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.validators]


def _open_ssh_to_the_world(monkeypatch: pytest.MonkeyPatch) -> None:
    real = network.decide

    def careless(request: ChangeRequest, ctx: RoleContext) -> NetworkPlan:
        plan = real(request, ctx)
        world_ssh = FirewallRule(
            name="ssh-anywhere",
            direction="ingress",
            protocol="tcp",
            port=22,
            source="0.0.0.0/0",
            destination=f"{request.service_name}-{request.environment.value}-app",
            description="SSH from anywhere (a careless proposal)",
        )
        return plan.model_copy(update={"rules": [*plan.rules, world_ssh]})

    monkeypatch.setattr(network, "decide", careless)


def _submit(tmp_path: Path) -> tuple[Opsteam, str]:
    [request] = parse_requests((EXAMPLES / "batch-workers-vm.yaml").read_bytes())
    team = Opsteam(home=tmp_path / "home", verifier=real_verifier)
    [result] = team.submit([request])
    return team, result.thread_id


def test_a_real_checkov_finding_is_fixed_by_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools_installed: None
) -> None:
    _open_ssh_to_the_world(monkeypatch)
    team, thread = _submit(tmp_path)
    state = team.state(thread)
    assert state.status == "completed", state.summary
    assert state.fix_attempts.get("automation-engineer") == 1
    plan = state.automation
    assert plan is not None and any(f.startswith("CKV_AWS_24:") for f in plan.fixes_applied)
    assert plan.stack is not None
    [rule] = [r for g in plan.stack.groups for r in g.rules if r.ident == "ssh_anywhere"]
    assert rule.cidr == state.network.vpc_cidr if state.network else False
    checkov = [v for v in state.all_validations() if v.validator == "checkov"]
    assert checkov and all(v.status.value == "passed" for v in checkov)


def test_a_finding_without_a_fix_is_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools_installed: None
) -> None:
    _open_ssh_to_the_world(monkeypatch)
    monkeypatch.setattr(terraform, "WORLD_PORT_FIXES", {})
    monkeypatch.setattr(automation, "KNOWN_FIXES", {})
    team, thread = _submit(tmp_path)
    state = team.state(thread)
    assert state.status == "failed"
    assert "finding(s) remain" in state.summary
    [flagged] = [
        f for v in state.all_validations() for f in v.findings if f.check_id == "CKV_AWS_24"
    ]
    assert flagged.validator == "checkov" and flagged.file == "terraform/network.tf"
    assert flagged.resource == "aws_security_group_rule.ssh_anywhere" and flagged.line
    assert state.automation is not None
    assert any("CKV_AWS_24" in line for line in state.automation.unfixed)
