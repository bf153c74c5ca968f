"""A non-editable wheel works from outside the repository (registry and templates ship)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _purelib(python: Path) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_wheel_installs_and_runs_outside_the_repo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    # The build is quiet: no setuptools warnings (licence table, data directories not listed).
    backend = [line for line in build.stderr.splitlines() if "setuptools" in line]
    assert backend == [], build.stderr
    [wheel] = dist.glob("opsteam-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "opsteam/registry.yaml" in names and "opsteam/py.typed" in names
    assert "opsteam/data/prices.yaml" in names
    assert any(n.startswith("opsteam/prompts/") and n.endswith(".j2") for n in names)
    assert "opsteam/agents/network/role.py" in names
    # The web chat ships as static files (no Node build at install time).
    for static in ("index.html", "app.js", "app.css"):
        assert f"opsteam/interfaces/api/static/{static}" in names
    assert not any(n.startswith(("agents/", "tools/", "graphs/", "prompts/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Dependencies come from this test environment's site-packages (a plain path entry, so its
    # editable-install hooks are not loaded); the package itself comes only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    Path(_purelib(python), "deps.pth").write_text(deps + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    proc = subprocess.run(
        [str(env_dir / "bin" / "opsteam"), "roster", "--json"],
        cwd=outside,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["roles"]) == 6
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import opsteam.agents.network.role as n, opsteam.prompts as t;"
            "print(n.__file__); print(t.environment().get_template('network/network-plan.md.j2'))",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(ROOT) not in where and str(env_dir) in where
    page = subprocess.run(
        [
            str(python),
            "-c",
            "from opsteam.interfaces.api.app import static_dir;print(static_dir() / 'index.html')",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(env_dir) in page and Path(page).is_file()
