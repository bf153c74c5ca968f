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
