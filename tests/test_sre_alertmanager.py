"""Every alert reaches someone: the Alertmanager routes pass the real ``amtool`` and send each
generated alert to the receiver its handbook level calls for (P0/P1 page, P2/P3 chat)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from opsteam.agents.sre import role as sre
from opsteam.agents.sre import routing
from opsteam.domain.decisions import AlertRule, ReliabilityPlan
from opsteam.domain.models import Environment
from opsteam.domain.registry import Registry
from opsteam.tools import linters
from opsteam.tools.runner import AMTOOL, CommandResult, SubprocessRunner
from tests.sre_cases import cases
from tests.test_sre_promtool import NAMES

PAGING = {"P0", "P1"}


def _amtool() -> str:
    found = SubprocessRunner().which(AMTOOL)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("amtool is not installed but CI is set (run .ci/install-validators.sh)")
        pytest.skip("amtool is not installed")
    return found


def _rendered(registry: Registry, name: str, env: Environment) -> tuple[ReliabilityPlan, str]:
    request, ctx = cases(registry)[name]
    request = request.model_copy(update={"environment": env})
    plan = sre.decide(request, ctx)
    files = {a.path: a.content for a in sre.render(plan, request, ctx)}
    return plan, files[sre.ALERTMANAGER_PATH]


def _rule(name: str, severity: str) -> AlertRule:
    return AlertRule(name=name, expr="up == 0", for_="5m", severity=severity, summary="s")


def test_each_level_gets_the_receiver_its_response_time_needs(registry: Registry) -> None:
    request, _ = cases(registry)["web-postgres-prod"]
    levels = ["P3", "P0", "P2", "P1"]
    receivers, routes = routing.decide(request, [_rule(f"A{s}", s) for s in levels])
    assert [r.severity for r in routes] == ["P0", "P1", "P2", "P3"]
    kinds = {r.name: r.kind for r in receivers}
    assert {r.severity: kinds[r.receiver] for r in routes} == {
        "P0": "page", "P1": "page", "P2": "chat", "P3": "chat"
    }  # fmt: skip
    assert [r.severity for r in routes if r.business_hours] == ["P3"]
    assert receivers[0].kind == "chat"  # the fallback for anything unmatched never pages
    assert all(r.secret_file.startswith(routing.SECRETS_DIR) for r in receivers)


def test_only_the_receivers_the_routes_name_are_declared(registry: Registry) -> None:
    request, _ = cases(registry)["web-postgres-prod"]
    receivers, routes = routing.decide(request, [_rule("Slow", "P2")])
    assert [r.kind for r in receivers] == ["chat"] and [r.severity for r in routes] == ["P2"]
    assert routing.decide(request, []) == ([], [])


def _route_of(amtool: str, config: Path, labels: dict[str, str]) -> str:
    pairs = [f"{key}={value}" for key, value in sorted(labels.items())]
    result = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *pairs],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.mark.validators
@pytest.mark.parametrize("env", list(Environment))
@pytest.mark.parametrize("name", NAMES)
def test_amtool_accepts_the_routes_and_pages_for_exactly_the_paging_levels(
    registry: Registry, tmp_path: Path, name: str, env: Environment
) -> None:
    amtool = _amtool()
    plan, text = _rendered(registry, name, env)
    config = tmp_path / "alertmanager.yml"
    config.write_text(text, encoding="utf-8")
    check = subprocess.run(
        [amtool, "check-config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    kinds = {r.name: r.kind for r in plan.alert_receivers}
    for alert in plan.alerts:
        receiver = _route_of(amtool, config, alert.labels)
        assert kinds[receiver] == ("page" if alert.severity in PAGING else "chat"), alert.name
    # Another service's alerts are not this bundle's to route: they fall to the fallback.
    other = {**plan.alerts[0].labels, "service": "someone-else"}
    assert _route_of(amtool, config, other) == plan.alert_receivers[0].name


@pytest.mark.validators
def test_a_broken_configuration_is_a_finding_with_its_line(tmp_path: Path) -> None:
    amtool = _amtool()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "route": {"receiver": "chat"},
                "receivers": [{"name": "chat", "slack_configs": [{"api_url_fil": "/x"}]}],
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        linters.amtool_argv(amtool, str(config)), capture_output=True, text=True, timeout=60
    )
    outcome = linters.parse_amtool(CommandResult(done.returncode, done.stdout, done.stderr))
    assert outcome.status.value == "failed"
    lines = [f for f in outcome.findings if f.line is not None]
    assert lines and "api_url_fil" in lines[0].message, outcome.findings


def test_prometheus_sends_its_alerts_to_the_alertmanager(registry: Registry) -> None:
    request, ctx = cases(registry)["web-postgres-prod"]
    files = {a.path: a.content for a in sre.render(sre.decide(request, ctx), request, ctx)}
    config = yaml.safe_load(files[sre.SCRAPE_PATH])
    [target] = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target == sre.ALERTMANAGER_ADDRESS
