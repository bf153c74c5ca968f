"""KPIs from history against the registry targets: met / missed / no data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from opsteam.application.db import open_store, record_change, record_cost_sample
from opsteam.application.kpis import ChangeFact, CostFact, IncidentFact, KpiResult, compute_kpis
from opsteam.domain.registry import load_registry
from opsteam.interfaces.cli.ops import register

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 11, tzinfo=UTC)  # 10 days = 14400 minutes


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


INCIDENTS = [
    IncidentFact("P1", "prod", at(2, 10), at(2, 10, 45)),  # 45 min
    IncidentFact("P1", "prod", at(2, 10, 30), at(2, 11)),  # overlaps: union 10:00-11:00
    IncidentFact("P1", "staging", at(3, 9), at(3, 9, 20)),  # not production: no downtime
    IncidentFact("P2", "prod", at(4, 9), at(4, 10, 30)),  # degraded, not down
    IncidentFact("P1", "prod", at(10, 23), None),  # still open: down until the window end
    IncidentFact("P1", "prod", datetime(2026, 10, 31, 23, 30, tzinfo=UTC), at(1, 0, 30)),
]
CHANGES = (
    [ChangeFact("succeeded", at(5, 12), 10, 10)] * 18
    + [ChangeFact("succeeded", at(5, 13), 8, 10), ChangeFact("failed", at(6, 12))]
    + [ChangeFact("rejected", at(6, 13)), ChangeFact("failed", datetime(2026, 10, 1, tzinfo=UTC))]
)
COSTS = [CostFact("2025-10", 1000.0), CostFact("2026-10", 880.0), CostFact("2026-12", 5.0)]


def by_key(results: list[KpiResult]) -> dict[str, KpiResult]:
    return {r.key: r for r in results}


def test_figures_match_hand_computed_expectations() -> None:
    results = by_key(
        compute_kpis(
            load_registry(),
            incidents=INCIDENTS,
            changes=CHANGES,
            costs=COSTS,
            since=SINCE,
            until=UNTIL,
        )
    )
    downtime = 60 + 60 + 30  # merged pair, open incident, the clipped one from October
    assert results["availability"].actual == round(100 * (1 - downtime / 14400), 3)
    assert results["availability"].status == "missed"
    assert results["mttr"].actual == (45 + 30 + 20 + 90) / 4
    assert results["mttr"].status == "missed"
    assert results["change_success_rate"].actual == 95.0  # 19 of 20 ran ok; > 95 is the target
    assert results["change_success_rate"].status == "missed"
    assert results["iac_coverage"].actual == round(100 * (18 * 10 + 8) / (19 * 10), 3)
    assert results["iac_coverage"].status == "missed"
    assert results["cost_trend"].actual == -12.0  # 2026-10 vs 2025-10; December is after UNTIL
    assert results["cost_trend"].status == "met"
    assert [r.target for r in results.values()] == [99.9, 30, 95, 100, -10]


def test_targets_met() -> None:
    results = by_key(
        compute_kpis(
            load_registry(),
            incidents=[IncidentFact("P2", "prod", at(2, 10), at(2, 10, 20))],
            changes=[ChangeFact("succeeded", at(3, 10), 5, 5)],
            costs=[],
            since=SINCE,
            until=UNTIL,
        )
    )
    assert {k: r.status for k, r in results.items()} == {
        "availability": "met",
        "mttr": "met",
        "change_success_rate": "met",
        "iac_coverage": "met",
        "cost_trend": "no data",
    }
    assert results["availability"].actual == 100.0
    assert results["mttr"].actual == 20.0


def test_empty_history_is_no_data_not_a_pass() -> None:
    results = compute_kpis(
        load_registry(), incidents=[], changes=[], costs=[], since=None, until=UNTIL
    )
    assert {r.status for r in results} == {"no data"}
    assert all(r.actual is None for r in results)


def test_cost_trend_needs_the_same_month_a_year_before() -> None:
    results = by_key(
        compute_kpis(
            load_registry(),
            incidents=[],
            changes=[],
            costs=[CostFact("2026-09", 900.0), CostFact("2026-10", 880.0)],
            since=None,
            until=UNTIL,
        )
    )
    assert results["cost_trend"].status == "no data"
    assert "2025-10" in results["cost_trend"].detail


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def test_cli_kpis_from_the_store(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSTEAM_DATABASE_URL", raising=False)
    from test_db import change_request

    with open_store(tmp_path) as store:
        for n in range(3):
            record_change(
                store,
                f"t-{n}",
                change_request(),
                "succeeded",
                at(5, 10 + n),
                resources_as_code=3,
                resources_total=4,
            )
        record_change(store, "t-9", change_request(), "rolled-back", at(6, 10))
        record_cost_sample(store, "2025-10", 200.0)
        record_cost_sample(store, "2026-10", 190.0)
    runner = CliRunner()
    args = [
        "kpis",
        "--home",
        str(tmp_path),
        "--since",
        "2026-11-01",
        "--now",
        "2026-11-11T00:00:00Z",
    ]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.output)}
    assert rows["change_success_rate"]["actual"] == 75.0
    assert rows["change_success_rate"]["status"] == "missed"
    assert rows["iac_coverage"]["actual"] == 75.0
    assert rows["cost_trend"]["actual"] == -5.0
    assert rows["cost_trend"]["status"] == "missed"
    assert rows["mttr"]["status"] == "no data"
    assert rows["availability"]["actual"] == 100.0
    table = runner.invoke(app, args)
    assert table.exit_code == 0
    assert "Availability" in table.output and "missed" in table.output
    bad = runner.invoke(app, ["kpis", "--home", str(tmp_path), "--since", "next tuesday"])
    assert bad.exit_code == 2
    assert "since" in bad.output


def test_cli_kpis_cost_feeds_the_cost_trend(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSTEAM_DATABASE_URL", raising=False)
    runner = CliRunner()
    home = ["--home", str(tmp_path)]
    first = runner.invoke(app, ["kpis", "cost", "2025-10", "1000", *home])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Recorded cost for 2025-10: 1,000.00"
    second = runner.invoke(app, ["kpis", "cost", "2026-10", "850.5", *home, "--json"])
    assert json.loads(second.output) == {"month": "2026-10", "amount": 850.5}
    again = runner.invoke(app, ["kpis", "cost", "2026-10", "880", *home])  # replaces the month
    assert again.exit_code == 0, again.output
    result = runner.invoke(app, ["kpis", *home, "--now", "2026-11-11T00:00:00Z", "--json"])
    rows = {r["key"]: r for r in json.loads(result.output)}
    assert rows["cost_trend"]["actual"] == -12.0
    assert rows["cost_trend"]["status"] == "met"
    assert rows["cost_trend"]["detail"] == "2026-10 vs 2025-10"


@pytest.mark.parametrize(
    ("month", "amount", "message"),
    [
        ("2026-13", "10", "month: '2026-13' is not a month as YYYY-MM"),
        ("10-2026", "10", "month: '10-2026' is not a month as YYYY-MM"),
        ("2026-10", "-5", "amount: -5.0 must be a non-negative number"),
        ("2026-10", "ten", "amount: 'ten' is not a number"),
        ("2026-10", "nan", "amount: nan must be a non-negative number"),
    ],
)
def test_cli_kpis_cost_refuses_bad_input(
    app: typer.Typer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    month: str,
    amount: str,
    message: str,
) -> None:
    monkeypatch.delenv("OPSTEAM_DATABASE_URL", raising=False)
    with open_store(tmp_path) as store:
        record_cost_sample(store, "2026-10", 1.0)
    result = CliRunner().invoke(app, ["kpis", "cost", month, amount, "--home", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0].startswith(f"error: {message}")
    assert "Traceback" not in result.output
    with open_store(tmp_path) as store, store.session() as session:
        assert [
            (m, a) for m, a in session.execute(text("SELECT month, amount FROM cost_samples"))
        ] == [("2026-10", 1.0)]
