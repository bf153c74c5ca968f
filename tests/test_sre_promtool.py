"""The generated alert rules pass the real ``promtool check rules``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from opsteam.agents.sre import role as sre
from opsteam.domain.models import Environment
from opsteam.domain.registry import Registry
from tests.sre_cases import cases

pytestmark = pytest.mark.validators


def _promtool() -> str:
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is not installed but CI is set")
        pytest.skip("promtool is not installed")
    return found


NAMES = [
    "web-postgres-prod",
    "remove-web-prod",
    "web-mysql-staging",
    "cache-only-dev",
    "servers-prod",
    "dns-only",
    "architect-designed-web",
    "vpn-modify-prod",
    "bucket-staging",
]


def _write(registry: Registry, tmp_path: Path, name: str, env: Environment | None) -> Path:
    request, ctx = cases(registry)[name]
    if env is not None:
        request = request.model_copy(update={"environment": env})
    for artifact in sre.render(sre.decide(request, ctx), request, ctx):
        path = tmp_path / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.content, encoding="utf-8")
    return tmp_path


def _promtool_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_promtool(), *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


@pytest.mark.parametrize("name", NAMES)
def test_promtool_accepts_generated_rules_and_scrape_config(
    registry: Registry, tmp_path: Path, name: str
) -> None:
    root = _write(registry, tmp_path, name, None)
    rules = _promtool_run("check", "rules", sre.RULES_PATH, cwd=root)
    assert rules.returncode == 0 and "SUCCESS" in rules.stdout, rules.stdout + rules.stderr
    config = _promtool_run("check", "config", sre.SCRAPE_PATH, cwd=root)
    assert config.returncode == 0, config.stdout + config.stderr


@pytest.mark.parametrize("env", list(Environment))
@pytest.mark.parametrize("name", NAMES)
def test_every_alert_is_proven_in_every_environment(
    registry: Registry, tmp_path: Path, name: str, env: Environment
) -> None:
    """Capping a level per environment lengthens its "for": the scenarios must still hold."""
    root = _write(registry, tmp_path, name, env)
    result = _promtool_run("test", "rules", sre.TESTS_PATH, cwd=root)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
