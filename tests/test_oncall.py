"""On-call rotation: primary SRE, secondary Systems Administrator, daily handoff at 09:00 UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from opsteam.application.oncall import Seat, shift_index, who_is_on_call
from opsteam.domain.registry import Registry, load_registry


@pytest.fixture
def registry() -> Registry:
    return load_registry()


def with_members(registry: Registry, members: dict[str, tuple[str, ...]]) -> Registry:
    oncall = registry.oncall.model_copy(update={"members": members})
    return registry.model_copy(update={"oncall": oncall})


def test_roles_by_public_name_and_handoff_at_nine(registry: Registry) -> None:
    primary, secondary, until = who_is_on_call(datetime(2026, 11, 22, 8, 59, tzinfo=UTC), registry)
    assert primary == Seat("Site Reliability Engineer", None)
    assert secondary == Seat("Systems Administrator", None)
    assert until == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    shift = who_is_on_call(datetime(2026, 11, 22, 9, 0, tzinfo=UTC), registry)
    assert shift.until == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert shift.since == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_other_zones_are_converted_to_utc(registry: Registry) -> None:
    paris = timezone(timedelta(hours=1))
    shift = who_is_on_call(datetime(2026, 11, 22, 9, 30, tzinfo=paris), registry)  # 08:30 UTC
    assert shift.until == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_naive_time_is_refused(registry: Registry) -> None:
    with pytest.raises(ValueError, match="timezone"):
        who_is_on_call(datetime(2026, 11, 22, 9, 0), registry)


def test_members_rotate_one_shift_each(registry: Registry) -> None:
    configured = with_members(
        registry,
        {"site-reliability-engineer": ("ana", "ben", "cy"), "systems-administrator": ("dee",)},
    )
    start = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    base = shift_index(start, configured)
    sre = ("ana", "ben", "cy")
    for day in range(6):
        shift = who_is_on_call(start + timedelta(days=day), configured)
        assert shift.primary == Seat("Site Reliability Engineer", sre[(base + day) % 3])
        assert shift.secondary == Seat("Systems Administrator", "dee")
    # The handoff, not midnight, changes the person.
    before = who_is_on_call(datetime(2026, 11, 23, 8, 59, tzinfo=UTC), configured)
    after = who_is_on_call(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), configured)
    assert before.primary == who_is_on_call(start, configured).primary
    assert after.primary != before.primary


def test_cli_oncall_prints_public_names_only() -> None:
    import typer

    from opsteam.interfaces.cli.ops import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["oncall", "--at", "2026-11-22T10:00:00Z", "--json"])
    assert result.exit_code == 0, result.output
    assert '"role": "Site Reliability Engineer"' in result.output
    assert '"until": "2026-11-23T09:00:00+00:00"' in result.output
    assert not re.search(r"INF-\d", result.output)
    bad = CliRunner().invoke(app, ["oncall", "--at", "yesterday"])
    assert bad.exit_code == 2
    assert "is not an ISO 8601 time" in bad.output


def test_cli_oncall_text_names_the_shift_and_the_nine_utc_handoff() -> None:
    import typer

    from opsteam.interfaces.cli.ops import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["oncall", "--at", "2026-11-22T08:59:00+00:00"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "On call at 2026-11-22 08:59 UTC:",
        "  Primary:   Site Reliability Engineer",
        "  Secondary: Systems Administrator",
        "  Shift:     2026-11-21 09:00 UTC until 2026-11-22 09:00 UTC (daily handoff at 09:00 UTC)",
    ]
