"""The request graph end to end through the service API (fake validators, real roles)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsteam.application.service import Opsteam
from opsteam.domain.errors import ConflictError, InputError
from opsteam.domain.models import ChangeRequest
from opsteam.intake import parse_requests
from tests.conftest import RequestFactory
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIXED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def example(name: str) -> ChangeRequest:
    path = EXAMPLES / name
    return parse_requests(path.read_bytes(), str(path))[0]


@pytest.fixture
def team(tmp_path: Path) -> Opsteam:
    return Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)


def test_dev_request_needs_no_production_approval(team: Opsteam) -> None:
    [first] = team.submit([example("redis-cache-dev.yaml")])
    assert [p.id for p in first.pending] == ["architecture-change"]  # a new data store
    result = past_design_review(team, first)
    assert result.status == "completed" and result.exit_code == 0
    assert result.pending == []
    assert result.team == [
        "Infrastructure Architect",
        "Network Engineer",
        "Database Administrator",
        "Automation Engineer",
        "Site Reliability Engineer",
    ]
    paths = {a.path for a in result.artifacts}
    assert {
        "plan/infrastructure-plan.md",
        "network/network-plan.md",
        "database/database-plan.md",
        "monitoring/alerts.rules.yml",
    } <= paths
    assert all(g.passed for g in result.gate)


def test_out_of_scope_request_is_redirected_not_processed(team: Opsteam) -> None:
    [result] = team.submit([example("ci-pipeline.yaml")])
    assert result.status == "redirected"
    assert result.redirect is not None and result.redirect.owner == "Engineering Foundation"
    assert result.team == [] and result.artifacts == []


def test_prod_database_pauses_then_resumes_to_completion(team: Opsteam) -> None:
    [first] = team.submit([example("prod-postgres-ha.yaml")])
    assert first.status == "awaiting-approval" and first.exit_code == 3
    assert [p.id for p in first.pending] == ["architecture-change"]
    # Nothing is built before the design is approved; the person sees the design itself.
    assert first.artifacts == [] and first.design and "database" in first.design

    # A new service object: nothing in memory is shared with the first call.
    later = Opsteam(home=team.home, verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    second = later.decide(first.thread_id, "approve", by="alice")
    assert [p.id for p in second.pending] == ["production-change"]
    # At the production gate the whole bundle exists, plan (with costs) included.
    assert "plan/infrastructure-plan.md" in {a.path for a in second.artifacts}
    gate = {g.item: g.passed for g in second.pending[0].gate}
    assert gate["Maintenance window scheduled"] and gate["Stakeholders notified"]

    done = later.decide(first.thread_id, "approve", by="bob", reason="window agreed")
    assert done.status == "completed" and done.bundle is None
    assert [(d.checkpoint, d.verdict, d.by) for d in done.decisions] == [
        ("architecture-change", "approve", "alice"),
        ("production-change", "approve", "bob"),
    ]
    assert done.decisions[1].reason == "window agreed" and done.decisions[1].at == FIXED
    # The gate judged again at the approval still sees the maintenance notice.
    assert "Change gate not met" not in done.summary
    assert all(g.passed for g in team.state(first.thread_id).gate)
    assert "Database Administrator" in done.team and "Systems Administrator" not in done.team


def test_reject_ends_the_request(team: Opsteam) -> None:
    [first] = team.submit([example("prod-postgres-ha.yaml")])
    result = team.decide(first.thread_id, "reject", reason="use the shared cluster", by="carol")
    assert result.status == "rejected" and result.pending == []
    assert result.decisions[-1].reason == "use the shared cluster"
    assert "Database Administrator" not in result.team
    with pytest.raises(ConflictError, match="not waiting"):
        team.decide(first.thread_id, "approve")


def test_changes_send_the_design_back_then_ask_again(team: Opsteam) -> None:
    [first] = team.submit([example("prod-postgres-ha.yaml")])
    revised = team.decide(first.thread_id, "changes", reason="add a bastion server for DBAs")
    assert [p.id for p in revised.pending] == ["architecture-change"]
    assert revised.pending[0].round == 2
    assert revised.design is not None and "server" in revised.design


def test_several_checkpoints_are_decided_one_by_one(
    team: Opsteam, make_request: RequestFactory
) -> None:
    req = make_request(
        request="Orders schema change with payment webhook",
        type="Modify",
        component="database",
        environment="staging",
        engine="postgres",
        description="Add column to orders table; customers see it. Integrate the Stripe webhook.",
    )
    [first] = team.submit([req])
    assert [p.id for p in first.pending] == ["customer-schema-change", "external-integration"]
    with pytest.raises(InputError, match="--checkpoint"):
        team.decide(first.thread_id, "approve")
    one = team.decide(first.thread_id, "approve", checkpoint="external-integration")
    assert [p.id for p in one.pending] == ["customer-schema-change"]
    done = team.decide(first.thread_id, "approve", checkpoint="customer-schema-change")
    assert done.status == "completed"
    assert {d.checkpoint for d in done.decisions} == {
        "customer-schema-change",
        "external-integration",
    }


def test_validation_failure_goes_back_for_a_bounded_fix(tmp_path: Path) -> None:
    always = ParseOnlyVerifier(fail_paths=["terraform/main.tf"], fail_times=99)
    team = Opsteam(home=tmp_path, verifier=always, clock=lambda: FIXED)
    result = past_design_review(team, team.submit([example("redis-cache-dev.yaml")])[0])
    assert result.status == "failed" and result.exit_code == 1
    tf_calls = [c for c in always.calls if "terraform/main.tf" in c]
    assert len(tf_calls) == 3  # first try + two fixes, then reported, never hidden
    failed = [v for v in result.validations if v.status == "failed"]
    assert failed and failed[0].findings[0].check_id == "FAKE_001"


def test_transient_validation_failure_is_fixed(tmp_path: Path) -> None:
    once = ParseOnlyVerifier(fail_paths=["terraform/main.tf"], fail_times=1)
    team = Opsteam(home=tmp_path, verifier=once, clock=lambda: FIXED)
    result = past_design_review(team, team.submit([example("redis-cache-dev.yaml")])[0])
    assert result.status == "completed"


def test_bundle_is_byte_identical_across_runs(tmp_path: Path) -> None:
    outs = []
    for run in ("a", "b"):
        team = Opsteam(home=tmp_path / run, verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
        [first] = team.submit([example("web-service-k8s.yaml")], out=tmp_path / f"out-{run}")
        result = past_design_review(team, first)
        assert result.bundle is not None
        outs.append(tmp_path / f"out-{run}")
    files_a = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 5
    for rel in files_a:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == {
        str(p) for p in files_a if str(p) != "manifest.json"
    }


def test_a_crashing_role_writes_nothing_and_can_be_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsteam.agents.network import role as network

    real = network.decide
    calls = {"n": 0}

    def flaky(request: ChangeRequest, ctx: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("cloud API timed out")
        return real(request, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(network, "decide", flaky)
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    [paused] = team.submit([example("redis-cache-dev.yaml")], out=tmp_path / "out")
    broken = past_design_review(team, paused)
    assert broken.status == "failed" and broken.exit_code == 1
    assert broken.error is not None and "cloud API timed out" in broken.error
    assert not (tmp_path / "out").exists()
    shown = team.status(broken.thread_id)
    assert shown.status == "failed" and "opsteam resume" in (shown.error or "")
    fixed = team.resume(broken.thread_id, out=tmp_path / "out")
    assert fixed.status == "completed" and (tmp_path / "out" / "manifest.json").exists()
    with pytest.raises(ConflictError, match="already finished"):
        team.resume(broken.thread_id)


def test_bundle_asked_for_at_submit_is_written_when_approval_finishes(tmp_path: Path) -> None:
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    [first] = team.submit([example("prod-postgres-ha.yaml")], out=tmp_path / "bundle")
    assert first.bundle is None and not (tmp_path / "bundle").exists()
    result = team.decide(first.thread_id, "approve")
    result = team.decide(result.thread_id, "approve")
    assert result.bundle == str((tmp_path / "bundle").resolve())
    assert (tmp_path / "bundle" / "terraform" / "database.tf").exists()


def test_a_rolled_back_change_counts_in_history(team: Opsteam) -> None:
    from opsteam.application.db import open_store
    from opsteam.application.tables import ChangeRow

    done = past_design_review(team, team.submit([example("redis-cache-dev.yaml")])[0])
    [waiting] = team.submit([example("prod-postgres-ha.yaml")])
    with pytest.raises(ConflictError, match="has not finished"):
        team.record_outcome(waiting.thread_id, "rolled-back")
    team.record_outcome(done.thread_id, "rolled-back")
    with open_store(team.home) as store, store.session() as session:
        row = session.get(ChangeRow, done.thread_id)
        assert row is not None and row.outcome == "rolled-back"
        assert row.resources_total is not None and row.resources_total > 0


def test_a_rejection_says_where_by_whom_and_why(team: Opsteam) -> None:
    [first] = team.submit([example("prod-postgres-ha.yaml")])
    result = team.decide(first.thread_id, "reject", reason="use the shared cluster", by="carol")
    assert result.summary == (
        "Rejected at Architecture-changing proposal by carol: use the shared cluster"
    )
    with pytest.raises(ConflictError, match="was rejected, so no change was made"):
        team.record_outcome(first.thread_id, "succeeded")


def test_decision_text_is_checked_before_anything_resumes(team: Opsteam) -> None:
    [first] = team.submit([example("prod-postgres-ha.yaml")])
    with pytest.raises(InputError, match="decision by: contains control characters"):
        team.decide(first.thread_id, "approve", by="\x1b[31mmallory")
    with pytest.raises(InputError, match="decision reason: String should have at most"):
        team.decide(first.thread_id, "approve", reason="x" * 5000, by="alice")
    with pytest.raises(InputError, match="choose one of --checkpoint and --all"):
        team.decide(first.thread_id, "approve", checkpoint="architecture-change", all_pending=True)
    still = team.status(first.thread_id)
    assert [p.id for p in still.pending] == ["architecture-change"] and still.decisions == []


def test_a_second_decider_on_the_same_request_is_turned_away(team: Opsteam) -> None:
    [first] = team.submit([example("prod-postgres-ha.yaml")])
    with team._exclusive(first.thread_id), pytest.raises(ConflictError, match="another process"):
        team.decide(first.thread_id, "approve", by="bob")
    assert team.status(first.thread_id).decisions == []
    done = team.decide(first.thread_id, "approve", by="bob")
    assert [d.by for d in done.decisions] == ["bob"]
