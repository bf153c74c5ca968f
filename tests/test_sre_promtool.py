"""The generated alert rules pass the real ``promtool check rules``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from opsteam.agents.sre import role as sre
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


@pytest.mark.parametrize(
    "name",
    [
        "web-postgres-prod",
        "remove-web-prod",
        "web-mysql-staging",
        "cache-only-dev",
        "servers-prod",
        "dns-only",
        "architect-designed-web",
    ],
)
def test_promtool_accepts_generated_rules(registry: Registry, tmp_path: Path, name: str) -> None:
    promtool = _promtool()
    request, ctx = cases(registry)[name]
    artifacts = sre.render(sre.decide(request, ctx), request, ctx)
    rules = next(a for a in artifacts if a.path == sre.RULES_PATH)
    path = tmp_path / "alerts.rules.yml"
    path.write_text(rules.content, encoding="utf-8")
    result = subprocess.run(
        [promtool, "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
