"""Change-gate survivors of the mutation run (docs/security.md): the evidence each item shows
the approver, and the maintenance window judged at its edges."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from opsteam.agents.architect import role as architect
from opsteam.agents.sre import role as sre
from opsteam.domain.inputs import RunInputs
from opsteam.domain.models import Artifact, ChangeRequest, MaintenanceWindow
from opsteam.domain.registry import Registry
from opsteam.graphs import routing
from opsteam.graphs.state import RequestState
from tests.conftest import RequestFactory
from tests.team import decide_all

MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 12, 11, 1, 0, tzinfo=UTC)
SPAN = "2026-12-07 01:00 - 02:00 UTC"


def _at(request: ChangeRequest, start: datetime, minutes: int = 60) -> ChangeRequest:
    window = MaintenanceWindow(start=start, duration_minutes=minutes)
    return request.model_copy(update={"maintenance_window": window})


def _evidence(state: RequestState, registry: Registry) -> dict[str, tuple[bool, str]]:
    return {g.item: (g.passed, g.evidence) for g in routing.change_approval(state, registry)}


def test_no_window_is_a_failure_only_in_production(make_request: RequestFactory) -> None:
    assert routing.window_check(make_request(environment="prod"), None) == (
        False,
        "no maintenance window scheduled",
    )
    assert routing.window_check(make_request(environment="staging"), None) == (
        True,
        "not required (staging)",
    )


def test_the_window_is_shown_in_utc_and_judged_at_its_edges(
    make_request: RequestFactory,
) -> None:
    request = _at(make_request(environment="prod"), MONDAY.astimezone(timezone(timedelta(hours=2))))
    check = routing.window_check
    assert check(request, None) == (True, f"window: {SPAN}")
    early = MONDAY - timedelta(hours=5, minutes=30)
    assert check(request, early) == (True, f"window: {SPAN} (starts in 5 h)")
    assert check(request, MONDAY - timedelta(seconds=1)) == (
        True,
        f"window: {SPAN} (starts in 0 h)",
    )
    started = (False, f"window {SPAN} had already started at 2026-12-07 01:00 UTC")
    assert check(request, MONDAY) == started
    end = MONDAY + timedelta(hours=1)
    assert check(request, end) == (False, f"window {SPAN} was already over at 2026-12-07 02:00 UTC")
    # ``at`` in another zone is the same instant.
    assert check(request, end.astimezone(timezone(timedelta(hours=-5))))[0] is False


def test_a_friday_window_needs_an_urgent_change(make_request: RequestFactory) -> None:
    request = _at(make_request(environment="prod"), FRIDAY)
    span = "2026-12-11 01:00 - 02:00 UTC"
    refused = f"window {span} is on a Friday: no Friday changes unless marked urgent"
    assert routing.window_check(request, None) == (False, refused)
    for words in ("urgent", "emergency", "hotfix", "critical fix", "critical security"):
        urgent = request.model_copy(update={"justification": f"A {words} for checkout."})
        assert routing.is_urgent(urgent)
        assert routing.window_check(urgent, None) == (True, f"window: {span}")
    assert not routing.is_urgent(request.model_copy(update={"justification": "critical path"}))


def test_each_gate_item_shows_its_evidence(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = make_request(environment="prod", component="database", engine="postgres")
    design = architect.decide(request, registry)
    gate = _evidence(RequestState(request=request, design=design), registry)
    assert gate["Change request documented"] == (
        True,
        f"change request '{request.request}' recorded with all form fields",
    )
    risk = f"risk {design.risk.level} ({design.risk.score}/100)"
    assert gate["Risk assessment complete"] == (True, risk)
    assert gate["Rollback plan defined"] == (True, f"{len(design.rollback_plan)} rollback step(s)")
    assert gate["Maintenance window scheduled"] == (False, "no maintenance window scheduled")
    assert gate["Stakeholders notified"] == (False, "no maintenance notification")
    assert gate["Monitoring prepared"] == (False, "no monitoring artifacts")
    bare = _evidence(RequestState(request=request), registry)
    assert bare["Risk assessment complete"] == (False, "no design")
    dev = _evidence(RequestState(request=make_request(), design=design), registry)
    assert dev["Stakeholders notified"] == (True, "no notification needed outside production")


def test_monitoring_passes_with_the_sre_plan_and_its_files_only(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = make_request(environment="prod")
    ctx = decide_all(request, registry=registry)
    plan = sre.decide(request, ctx)
    files = sre.render(plan, request, ctx)
    notice = Artifact(path="docs/maintenance-notice.txt", role="site-reliability-engineer",
                      kind="markdown", content="MAINTENANCE")  # fmt: skip
    ready = RequestState(
        request=request,
        design=ctx.design,
        reliability=plan,
        artifacts={"site-reliability-engineer": files, "notifications": [notice]},
    )
    gate = _evidence(ready, registry)
    assert gate["Monitoring prepared"] == (True, "alert rules and dashboard generated")
    assert gate["Stakeholders notified"] == (True, "maintenance notification prepared")
    no_files = ready.model_copy(update={"artifacts": {"notifications": [notice]}})
    assert _evidence(no_files, registry)["Monitoring prepared"][0] is False


def test_the_window_is_judged_at_the_approval_else_at_the_run_time(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = _at(make_request(environment="prod"), MONDAY)
    run_time = RunInputs(now=MONDAY - timedelta(hours=3))
    state = RequestState(request=request, inputs=run_time)
    item = "Maintenance window scheduled"
    assert _evidence(state, registry)[item] == (True, f"window: {SPAN} (starts in 3 h)")
    late = {g.item: g.passed for g in routing.change_approval(state, registry, at=MONDAY)}
    assert late[item] is False


def test_a_gate_item_with_no_automatic_evidence_fails(
    make_request: RequestFactory, registry: Registry
) -> None:
    gates = registry.gates.model_copy(update={"change_approval": ["Security sign-off"]})
    custom = registry.model_copy(update={"gates": gates})
    [check] = routing.change_approval(RequestState(request=make_request()), custom)
    assert (check.item, check.passed, check.evidence) == (
        "Security sign-off",
        False,
        "no automatic evidence for this item",
    )


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_production_approval_is_needed_exactly_for_a_production_checkpoint(
    environment: str, make_request: RequestFactory, registry: Registry
) -> None:
    request = make_request(environment=environment)
    state = RequestState(request=request, design=architect.decide(request, registry))
    assert routing.needs_production_approval(state) is (environment == "prod")
    assert not routing.needs_production_approval(RequestState(request=request))


def test_the_window_is_shown_in_utc_whatever_the_host_zone(
    make_request: RequestFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _at(make_request(environment="prod"), MONDAY)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert routing.window_check(request, None) == (True, f"window: {SPAN}")
        at = MONDAY + timedelta(minutes=30)
        assert routing.window_check(request, at) == (
            False,
            f"window {SPAN} had already started at 2026-12-07 01:30 UTC",
        )
    finally:
        monkeypatch.undo()
        time.tzset()
