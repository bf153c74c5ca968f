"""See what you approve: every checkpoint carries the review of what will change.

Resources created, changed and removed, the monthly cost delta, risk and rollback, and where
to read the files, through the core result and every interface that shows a checkpoint; and
``opsteam diff`` between design revisions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from opsteam.application.design_diff import design_diff
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.application.task import Tasks
from opsteam.domain.registry import Registry
from opsteam.intake.read import read_requests
from opsteam.interfaces.cli.views import run_view
from opsteam.interfaces.mcp.approvals import question
from tests.exits import emit
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RESOURCE = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"', re.MULTILINE)


@pytest.fixture
def team(tmp_path: Path, registry: Registry) -> Opsteam:
    return Opsteam(tmp_path / "home", registry, verifier=ParseOnlyVerifier())


def submit(team: Opsteam, example: str, **overrides: str) -> RunResult:
    form = yaml.safe_load((EXAMPLES / example).read_text())
    form.update(overrides)
    understood = read_requests(yaml.safe_dump(form).encode(), example, team.registry, "tester")
    [result] = team.submit(understood.requests)
    return result


def test_architecture_checkpoint_reviews_the_design_before_any_file(team: Opsteam) -> None:
    result = submit(team, "prod-postgres-ha.yaml")
    assert [p.id for p in result.pending] == ["architecture-change"]
    review = result.review
    assert review is not None
    design = team.state(result.thread_id).design
    assert design is not None
    assert review.resources.basis == "design"
    assert review.resources.planned == list(design.components)
    assert review.monthly_cost.low is None and "not estimated yet" in review.monthly_cost.text
    assert review.rollback == list(design.rollback_plan) and review.rollback
    assert review.risk == f"{design.risk.level} ({design.risk.score}/100)"
    assert review.files == [] and "no files yet" in review.read_files
    assert review.lines[0] == "What will change:"


def test_production_checkpoint_lists_resources_cost_and_files(
    team: Opsteam, capsys: pytest.CaptureFixture[str]
) -> None:
    result = past_design_review(team, submit(team, "prod-postgres-ha.yaml"))
    assert [p.id for p in result.pending] == ["production-change"]
    review = result.review
    assert review is not None
    state = team.state(result.thread_id)
    terraform = "".join(a.content for a in state.all_artifacts() if a.path.endswith(".tf"))
    assert "aws_db_instance.main" in review.resources.created
    assert len(review.resources.created) == len(set(RESOURCE.findall(terraform)))
    assert review.resources.changed == [] and review.resources.removed == []
    assert state.plan is not None
    assert (review.monthly_cost.low, review.monthly_cost.high) == (
        state.plan.monthly_low,
        state.plan.monthly_high,
    )
    assert f"+${state.plan.monthly_low:,} to +${state.plan.monthly_high:,} per month" in (
        review.monthly_cost.text
    )
    assert review.files == [a.path for a in state.all_artifacts()]
    assert f"opsteam show {result.thread_id}" in review.read_files

    emit(result.model_dump(mode="json"), as_json=False, render=run_view)
    shown = capsys.readouterr().out
    assert "What will change:" in shown
    assert f"create {len(review.resources.created)}: " in shown
    assert "monthly cost: +$" in shown and "rollback: " in shown


def test_a_removal_lists_what_is_destroyed_and_adds_no_cost(team: Opsteam) -> None:
    result = submit(team, "decommission-server.yaml", environment="prod")
    result = past_design_review(team, result)
    assert [p.id for p in result.pending] == ["production-change"]
    review = result.review
    assert review is not None
    state = team.state(result.thread_id)
    assert state.automation is not None and state.automation.removals
    assert review.resources.created == []
    assert len(review.resources.removed) == len(state.automation.removals)
    first = state.automation.removals[0]
    assert f"{first.address} ({first.what})" in review.resources.removed
    assert review.monthly_cost.text.startswith("no new cost")


def test_a_modify_names_the_existing_infrastructure_it_changes(team: Opsteam) -> None:
    result = past_design_review(team, submit(team, "dns-lb-change.yaml"))
    assert [p.id for p in result.pending] == ["production-change"]
    assert result.review is not None
    assert result.review.resources.changed == ["aws_lb.existing"]
    # Said as what it is: the code reads the load balancer and attaches listeners to it.
    assert any(line.startswith("  attach to existing 1: aws_lb") for line in result.review.lines)
    assert not any(line.startswith("  change ") for line in result.review.lines)


def test_task_and_mcp_carry_the_same_review(team: Opsteam) -> None:
    result = submit(team, "prod-postgres-ha.yaml")
    tasks = Tasks(team)
    [pending] = tasks.status(result.thread_id).pending
    assert result.review is not None
    assert pending.review == result.review.lines
    asked = question(pending, result.request)
    assert "What will change:" in asked and "monthly cost: " in asked


def test_diff_shows_what_a_requested_change_revised(team: Opsteam) -> None:
    result = submit(team, "prod-postgres-ha.yaml")
    thread = result.thread_id
    assert team.decide(thread, "approve", all_pending=True, by="ann").status == (
        "awaiting-approval"
    )
    revised = team.decide(
        thread, "changes", all_pending=True, by="bob", reason="use eu-west-1 instead of us-east-1"
    )
    assert revised.status == "awaiting-approval"

    found = design_diff(team.home, thread, team.registry)
    assert [r.revision for r in found.revisions] == [1, 2]
    assert found.revisions[0].monthly_cost.startswith("$")  # priced before the change
    [change] = found.changes
    assert (change.before, change.after) == (1, 2)
    assert change.requested_by == "bob" and "eu-west-1" in change.requested
    assert "region: eu-west-1" in change.applied
    region = next(f for f in change.fields if f.field == "region")
    assert (region.before, region.after) == ("us-east-1", "eu-west-1")

    from opsteam.interfaces.cli.app import app

    shown = CliRunner().invoke(app, ["diff", thread, "--home", str(team.home)])
    assert shown.exit_code == 0, shown.output
    assert "Revision 1 -> 2" in shown.output
    assert "requested by bob: use eu-west-1 instead of us-east-1" in shown.output
    assert "region: us-east-1 -> eu-west-1" in shown.output


def test_diff_of_an_unknown_thread_is_bad_input(team: Opsteam) -> None:
    from opsteam.interfaces.cli.app import app

    shown = CliRunner().invoke(app, ["diff", "chg-000000000000", "--home", str(team.home)])
    assert shown.exit_code == 2


def test_the_interrupt_payload_carries_the_review(team: Opsteam) -> None:
    """What an Agent Server or Studio shows: the HITL description includes the review."""
    result = submit(team, "prod-postgres-ha.yaml")
    result = past_design_review(team, result)
    with team._thread(result.thread_id) as (_, snapshot):  # the stored interrupt, as saved
        [pending] = snapshot.interrupts
    task = pending.value
    assert result.review is not None
    assert task["review"] == result.review.lines
    [action] = task["action_requests"]
    assert "What will change:" in action["description"]
    assert "monthly cost: +$" in action["description"]
