"""Choosing a model: OPSTEAM_MODEL, --model or the settings file; one-line errors; lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsteam.domain.errors import InputError
from opsteam.domain.settings import load_settings
from opsteam.tools import model as models

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "opsteam"]
EXAMPLE = str(ROOT / "examples" / "redis-cache-dev.yaml")


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPSTEAM_")}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env={**clean, **env}, timeout=300
    )


@pytest.mark.parametrize("spec", ["gpt-4", ":gpt", "openai:", ""])
def test_a_model_must_be_provider_colon_model(spec: str) -> None:
    with pytest.raises(InputError, match="provider:model"):
        models.check_model(spec)


def test_a_missing_integration_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_installed", lambda module: module == "langchain")
    with pytest.raises(InputError) as caught:
        models.check_model("anthropic:claude-sonnet-4-5", environ={"ANTHROPIC_API_KEY": "k"})
    assert caught.value.lines() == [
        "model provider 'anthropic' is not installed: pip install 'opsteam[anthropic]'"
    ]


def test_a_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_installed", lambda module: True)
    with pytest.raises(InputError, match="set OPENAI_API_KEY"):
        models.check_model("openai:gpt-4.1-mini", environ={})
    models.check_model("openai:gpt-4.1-mini", environ={"OPENAI_API_KEY": "sk-test"})
    models.check_model("ollama:llama3.1", environ={})  # a local model needs no key


def test_the_settings_file_sets_the_model_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('model = "ollama:llama3.1"\nmodel_retries = 1\n', encoding="utf-8")
    monkeypatch.setenv("OPSTEAM_CONFIG", str(config))
    monkeypatch.delenv("OPSTEAM_MODEL", raising=False)
    assert (load_settings().model, load_settings().model_retries) == ("ollama:llama3.1", 1)
    monkeypatch.setenv("OPSTEAM_MODEL", "openai:gpt-4.1-mini")
    assert load_settings().model == "openai:gpt-4.1-mini"


ENVIRONMENT = {
    "OPSTEAM_HOME": "/srv/opsteam",
    "OPSTEAM_QUIET": "1",
    "opsteam_strict": "true",  # pydantic-settings reads names in any case
    "OPSTEAM_ADDRESS_POOL": "10.20.0.0/16, 172.16.0.0/12",
    "OPSTEAM_MODEL_RETRIES": "3",
    "OPSTEAM_RUNBOOK_BASE_URL": "https://wiki.example.org/runbooks",
    "OPSTEAM_USER": "",  # empty: unset
    "OTHER": "ignored",
}


def test_without_a_settings_file_the_environment_reads_as_pydantic_settings_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsteam.domain.settings_file import read_settings

    for key in [k for k in os.environ if k.upper().startswith("OPSTEAM_")]:
        monkeypatch.delenv(key)
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OPSTEAM_CONFIG", str(tmp_path / "absent.toml"))
    fast = load_settings()
    assert fast.home == Path("/srv/opsteam") and fast.quiet and fast.strict
    assert [str(n) for n in fast.address_pool] == ["10.20.0.0/16", "172.16.0.0/12"]
    assert fast.user is None and fast.model_retries == 3
    library = read_settings().model_dump()
    assert {k: v for k, v in fast.model_dump().items() if k != "user"} == {
        k: v for k, v in library.items() if k != "user"
    }


@pytest.mark.slow
def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    bad = run_cli("--model", "nonsense", "submit", EXAMPLE, OPSTEAM_HOME=home)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "provider:model" in bad.stderr
    missing = run_cli("submit", EXAMPLE, OPSTEAM_HOME=home, OPSTEAM_MODEL="anthropic:claude-x")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "error: model provider 'anthropic' is not installed: pip install 'opsteam[anthropic]'"
    )
    assert not (tmp_path / "home" / "opsteam.db").exists() or "chg-" not in missing.stdout


@pytest.mark.slow
def test_the_cli_flag_runs_the_team_with_the_model(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps({"default": "draft"}), encoding="utf-8")
    home = str(tmp_path / "home")
    model = f"scripted:{replies}"
    first = run_cli("--model", model, "submit", EXAMPLE, "--json", OPSTEAM_HOME=home)
    assert first.returncode == 3, first.stderr  # the design pauses; no model call before it
    thread = json.loads(first.stdout)["thread_id"]
    assert json.loads(first.stdout)["model"] is None
    done = run_cli(
        "--model", f"scripted:{replies}", "approve", thread, "--by", "ann", "--json",
        OPSTEAM_HOME=home, OPSTEAM_STRICT="0",
    )  # fmt: skip
    model = json.loads(done.stdout)["model"]
    assert model["calls"] == 4 and model["input_tokens"] > 0
    status = run_cli("status", thread, OPSTEAM_HOME=home)
    assert "Model: 4 call(s)" in status.stdout


def test_offline_never_imports_langchain_models() -> None:
    code = (
        "import sys, tempfile;"
        f"providers = {sorted({p.module for p in models.PROVIDERS.values()})!r};"
        "from opsteam.application.service import Opsteam;"
        "from opsteam.intake import parse_requests;"
        "from tests.fakes import ParseOnlyVerifier;"
        f"p = {EXAMPLE!r};"
        "t = Opsteam(home=tempfile.mkdtemp(), verifier=ParseOnlyVerifier());"
        "t.submit(parse_requests(open(p, 'rb').read(), p));"
        "lazy = ('langchain', 'opsteam.agents.llm', 'opsteam.tools.model', *providers);"
        "print([m for m in sys.modules if m.split('.')[0] in lazy or m.startswith(lazy[1:3])])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPSTEAM_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_submit_words_with_the_model_counts_the_reading_and_reports_inventions(
    tmp_path: Path,
) -> None:
    words = "We need a new postgres database for billing, on the cluster our paying customers use."
    reading = {
        "environment": "prod",
        "rpo_minutes": 1,
        "evidence": {"environment": "our paying customers", "rpo_minutes": "RPO one minute"},
    }
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps({"WordsReading": [{"args": reading}]}), encoding="utf-8")
    out = run_cli(
        "--model", f"scripted:{replies}", "submit", "--text", words, "--json",
        OPSTEAM_HOME=str(tmp_path / "home"),
    )  # fmt: skip
    assert out.returncode == 3, out.stderr
    result = json.loads(out.stdout)
    assert result["environment"] == "prod"
    assert [r["role"] for r in result["model"]["roles"]] == ["Reading the request"]
    assert "note: model reading: rpo_minutes: dropped" in out.stderr
