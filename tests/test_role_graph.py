"""One role alone: the architect designs, the design's checkpoints are asked, only the role
renders and is verified, production goes through the same gate, any process resumes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import RoleSlug
from opsteam.graphs.role import DEPENDS_ON
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ROLES: tuple[RoleSlug, ...] = (
    "infrastructure-architect",
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "automation-engineer",
    "site-reliability-engineer",
)
SLOT = {
    "systems-administrator": "servers",
    "network-engineer": "network",
    "database-administrator": "data",
    "automation-engineer": "automation",
}


def _example(name: str) -> ChangeRequest:
    return parse_requests((EXAMPLES / name).read_bytes())[0]


def _approve_all(team: Opsteam, result: RunResult) -> RunResult:
    while result.pending:
        result = team.decide(result.thread_id, "approve", all_pending=True, by="alice")
    return result


@pytest.fixture(scope="module")
def team_state(tmp_path_factory: pytest.TempPathFactory) -> RequestState:
    """The whole team on a request that needs every specialist (no checkpoint)."""
    team = Opsteam(tmp_path_factory.mktemp("team"), verifier=ParseOnlyVerifier())
    [result] = team.submit([_example("decommission-server.yaml")])
    assert result.status == "completed"
    return team.state(result.thread_id)


@pytest.mark.parametrize("slug", ROLES)
def test_a_role_alone_writes_exactly_its_files_from_the_team(
    tmp_path: Path, slug: RoleSlug, team_state: RequestState
) -> None:
    team = Opsteam(tmp_path, verifier=ParseOnlyVerifier())
    [result] = team.submit([_example("decommission-server.yaml")], only=slug)
    assert result.status == "completed", result.summary
    alone = team.state(result.thread_id)
    assert alone.only == slug
    files = {a.path: a.content for a in alone.all_artifacts()}
    expected = {a.path: a.content for a in team_state.all_artifacts() if a.role == slug}
    assert files and files == expected  # the same bytes the role writes inside the team
    assert {a.role for a in alone.all_artifacts()} == {slug}
    assert {r for r, found in alone.validations.items() if found} <= {slug}  # only its files
    # What the role depends on was decided (and nothing else); the design always is.
    assert alone.design is not None
    for other, slot in SLOT.items():
        decided = getattr(alone, slot) is not None
        assert decided == (other == slug or other in DEPENDS_ON[slug]), other
    assert result.team[0] == "Infrastructure Architect"
    assert result.summary.startswith(f"{team.registry.role(slug).name} alone:")


def test_design_checkpoints_are_asked_before_the_role_works(tmp_path: Path) -> None:
    team = Opsteam(tmp_path, verifier=ParseOnlyVerifier())
    [paused] = team.submit([_example("prod-postgres-ha.yaml")], only="database-administrator")
    assert [p.id for p in paused.pending] == ["architecture-change"]
    assert paused.artifacts == []  # nobody worked before the person decided
    # Another process (a new Opsteam on the same home) resumes the role's own graph.
    other = Opsteam(tmp_path, verifier=ParseOnlyVerifier())
    gate = other.decide(paused.thread_id, "approve", by="alice")
    assert [p.id for p in gate.pending] == ["production-change"]
    assert {a.path for a in gate.artifacts} == {"database/database-plan.md"}
    done = other.decide(paused.thread_id, "approve", by="bob")
    assert done.status == "completed"
    assert [(d.checkpoint, d.by) for d in done.decisions] == [
        ("architecture-change", "alice"),
        ("production-change", "bob"),
    ]
    assert other.status(paused.thread_id).status == "completed"


def test_a_rejected_design_renders_nothing(tmp_path: Path) -> None:
    team = Opsteam(tmp_path, verifier=ParseOnlyVerifier())
    [paused] = team.submit([_example("vpn-firewall.yaml")], only="network-engineer")
    assert [p.id for p in paused.pending] == ["external-integration"]
    done = team.decide(paused.thread_id, "reject", reason="no new vendors", by="carol")
    assert done.status == "rejected" and done.artifacts == []
    assert "by carol: no new vendors" in done.summary


def test_requested_changes_at_the_production_gate_go_back_to_the_design(tmp_path: Path) -> None:
    team = Opsteam(tmp_path, verifier=ParseOnlyVerifier())
    [paused] = team.submit([_example("dns-lb-change.yaml")], only="network-engineer")
    assert [p.id for p in paused.pending] == ["production-change"]
    again = team.decide(paused.thread_id, "changes", reason="use two zones", by="dana")
    assert again.status == "awaiting-approval"
    assert {p.round for p in again.pending} == {2}
    state = team.state(paused.thread_id)
    assert state.feedback == ["use two zones"] and state.only == "network-engineer"
    done = _approve_all(team, again)
    assert done.status == "completed"
    # The role's files, plus the maintenance notice the production gate checks for.
    final = team.state(paused.thread_id)
    assert {k for k, files in final.artifacts.items() if files} == {
        "network-engineer",
        "notifications",
    }
    assert [a.path for a in final.artifacts["notifications"]] == ["docs/maintenance-notice.txt"]
