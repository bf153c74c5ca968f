"""With a model, the bundle still passes every real validator (``pytest -m validators``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsteam.application.service import Opsteam, real_verifier
from opsteam.tools.fake_model import ScriptedChatModel
from tests.test_examples_validated import EXAMPLES, check_bundle, run_to_the_end

pytestmark = pytest.mark.validators


def test_model_decisions_render_a_bundle_that_validates(
    tmp_path: Path, tools_installed: None
) -> None:
    model = ScriptedChatModel(
        script={
            "DataPlan": [{"patch": {"database": {"retention_days": 35}}}],
            "NetworkPlan": ["draft"],
            "AutomationPlan": ["draft"],
            "ReliabilityPlan": ["draft"],
        }
    )
    team = Opsteam(home=tmp_path / "home", verifier=real_verifier, model=model)
    [result] = run_to_the_end(team, EXAMPLES / "prod-postgres-ha.yaml")

    assert result.status == "completed", (result.status, result.error)
    state = team.state(result.thread_id)
    check_bundle(state)
    assert state.data is not None and state.data.database is not None
    assert state.data.database.retention_days == 35  # the model's, checked and rendered
    assert result.model is not None and {r.decided_by for r in result.model.roles} == {"model"}
    model.assert_all_used()


def test_the_model_never_sees_or_sets_the_facts_other_files_are_wired_to() -> None:
    """The app port (rules, listeners, the app_port variable, and whether it was assumed),
    the exporters' path and the exporter's IAM role are the playbook's: a proposal cannot
    carry them, so the draft's values are what the bundle uses."""
    from opsteam.agents.llm.checks import editable
    from opsteam.domain.decisions import AutomationPlan, NetworkPlan

    network = set(editable(NetworkPlan).model_fields)
    assert not {"app_port", "app_port_assumed", "assumptions", "monitoring"} & network
    assert "subnets" in network  # the rest stays the model's to propose
    assert "cloudwatch_reader" not in editable(AutomationPlan).model_fields
