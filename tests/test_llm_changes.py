"""--changes feedback read by the model, cross-checked by the rules, read once, paused as ever."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from opsteam.application.service import Opsteam
from opsteam.tools.fake_model import ScriptedChatModel
from tests.fakes import ParseOnlyVerifier
from tests.test_llm_roles import ROLE_SCHEMAS, example

FIXED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WORDS = "Losing more than a minute of orders is unacceptable. Add two read replicas."


def test_requested_changes_are_read_by_the_model_once_and_cross_checked(tmp_path: Path) -> None:
    reading = {
        "rpo_minutes": 1,
        "more_read_replicas": 4,  # the rules read two: theirs stands
        "multi_az": False,  # no words say it: dropped
        "evidence": {
            "rpo_minutes": "Losing more than a minute of orders",
            "more_read_replicas": "Add two read replicas",
            "multi_az": "single zone is fine",
        },
    }
    model = ScriptedChatModel(
        script={"DesignDelta": [{"args": reading}], **{s: ["draft"] for s in ROLE_SCHEMAS}}
    )
    team = Opsteam(
        tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: FIXED, model=model
    )
    first = team.submit([example("prod-postgres-ha.yaml")])[0]
    again = team.decide(first.thread_id, "changes", reason=WORDS, by="ann")

    # The design is revised and asked again: the person sees what was applied and what not.
    [pending] = again.pending
    assert pending.id == "architecture-change"
    assert any(a.startswith("rpo_minutes: 1") for a in pending.applied)
    assert any(a.startswith("extra_read_replicas: 2") for a in pending.applied)
    assert any("multi_az: dropped" in n for n in pending.not_applied)
    assert not any("Losing more than a minute" in n for n in pending.not_applied)

    # Read once: approving revises the design again without asking the model again.
    gate = team.decide(first.thread_id, "approve", by="ann")
    assert [p.id for p in gate.pending] == ["production-change"]
    assert model.calls.count("DesignDelta") == 1
    state = team.state(first.thread_id)
    assert state.data is not None and state.data.database is not None
    assert state.data.database.rpo_minutes == 1
    model.assert_all_used()


def test_a_value_the_words_do_not_contain_is_dropped() -> None:
    from opsteam.agents.llm.understand import merge_delta
    from opsteam.domain.decisions import DesignDelta

    text = "Keep a warm copy on the other side of the Atlantic."
    rules = DesignDelta(not_understood=[text.rstrip(".")])
    proposal = DesignDelta.model_validate(
        {
            "replica_regions": ["INF-003"],  # quoted words, but not the value
            "replica_in_other_region": 1,
            "evidence": {
                "replica_regions": "warm copy",
                "replica_in_other_region": "Keep a warm copy",
            },
        }
    )
    merged, notes = merge_delta(rules, proposal, text)
    assert merged.replica_regions == [] and merged.replica_in_other_region == 1
    assert notes == ["replica_regions: dropped, the request's words do not say it"]
    assert merged.not_understood == []  # the clause was read, by the model
