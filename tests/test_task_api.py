"""The Python API: ``opsteam.task(subagent_type, prompt)`` and its async twin."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opsteam
from opsteam.application.service import Opsteam
from opsteam.application.task import TaskResult, Tasks
from opsteam.domain.errors import InputError
from tests.fakes import ParseOnlyVerifier
from tests.rosters import custom_roster, internal_ids

PROD_WORDS = "open 443 from 203.0.113.0/24 to the bastion in prod"
# Runs straight through: new hosts for an existing service, in dev (no checkpoint).
DEV_WORDS = "two more VMs for the batch workers in dev"


def _task(home: Path, kind: str, prompt: str, **options: object) -> TaskResult:
    return opsteam.task(kind, prompt, home=home, verifier=ParseOnlyVerifier(), **options)


def test_one_role_pauses_then_finishes_with_its_bundle(tmp_path: Path) -> None:
    result = _task(tmp_path / "home", "network-engineer", PROD_WORDS, requester="alice")
    assert isinstance(result, TaskResult)
    assert (result.subagent_type, result.status, result.exit_code) == (
        "network-engineer",
        "awaiting-approval",
        3,
    )
    assert result.roles == ["Infrastructure Architect", "Network Engineer"]
    [pending] = result.pending
    assert (pending.thread_id, pending.id, pending.reason) == (
        result.thread_id,
        "production-change",
        "changes production",
    )
    assert pending.decide.startswith(f"opsteam approve {result.thread_id} --checkpoint")
    # Deciding it (here through the same application object every interface uses).
    tasks = Tasks(Opsteam(tmp_path / "home", verifier=ParseOnlyVerifier()))
    assert result.thread_id is not None
    done = tasks.decide(result.thread_id, "approve", by="bob", out=tmp_path / "bundle")
    assert done.status == "completed" and done.pending == []
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    on_disk = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert on_disk == {a.path: a.sha256 for a in done.artifacts}
    for artifact in done.artifacts:  # the hashes are of the files as written
        data = (tmp_path / "bundle" / artifact.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == artifact.sha256


def test_the_whole_team_is_the_team_slug(tmp_path: Path) -> None:
    words = DEV_WORDS
    result = _task(tmp_path, "infrastructure-team", words, out=tmp_path / "out")
    assert (result.status, result.subagent_type) == ("completed", "infrastructure-team")
    assert "Automation Engineer" in result.roles and len(result.artifacts) > 5
    assert result.bundle == str((tmp_path / "out").resolve())


def test_missing_facts_come_back_as_questions_and_nothing_runs(tmp_path: Path) -> None:
    result = _task(tmp_path, "network-engineer", "open 443 from 203.0.113.0/24 to the bastion")
    assert (result.status, result.exit_code, result.thread_id) == ("needs-input", 2, None)
    assert result.questions == ["missing: environment (dev, staging or prod)"]
    assert Opsteam(tmp_path).threads() == []


def test_an_unknown_type_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _task(tmp_path, "network-engineers", PROD_WORDS)
    assert "valid types: infrastructure-team, infrastructure-architect," in str(err.value)
    assert "network-engineer" in str(err.value)


def test_another_divisions_work_is_redirected(tmp_path: Path) -> None:
    result = _task(tmp_path, "infrastructure-team", "set up a github actions ci pipeline in dev")
    assert (result.status, result.exit_code) == ("redirected", 0)
    assert "Engineering Foundation" in result.summary


def test_results_are_redacted_before_they_are_returned(tmp_path: Path) -> None:
    words = "open 443 from 203.0.113.0/24 to the bastion in prod, as INF-003 asked"
    result = _task(tmp_path, "network-engineer", words)
    text = result.model_dump_json()
    assert not internal_ids(text)
    assert "as Network Engineer asked" in text


def test_a_custom_roster_names_its_own_team_and_roles(tmp_path: Path) -> None:
    roster = custom_roster(tmp_path)
    result = _task(tmp_path / "home", "platform-crew", DEV_WORDS,
                   registry=roster)  # fmt: skip
    assert result.subagent_type == "platform-crew"
    assert "Network Wrangler" in result.roles and "Uptime Keeper" in result.roles
    assert not internal_ids(result.model_dump_json())
    with pytest.raises(InputError, match="valid types: platform-crew"):
        _task(tmp_path / "home", "infrastructure-team", PROD_WORDS, registry=roster)


def test_the_async_twin_gives_the_same_result(tmp_path: Path) -> None:
    words = DEV_WORDS
    sync = _task(tmp_path / "a", "systems-administrator", words)
    result = asyncio.run(
        opsteam.atask(
            "systems-administrator", words, home=tmp_path / "b", verifier=ParseOnlyVerifier()
        )
    )
    assert result.model_dump(exclude={"thread_id"}) == sync.model_dump(exclude={"thread_id"})


def test_import_opsteam_stays_cheap() -> None:
    probe = "import sys, opsteam; print(sorted(m for m in sys.modules if m.startswith('lang')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert opsteam.task.__module__ == "opsteam.application.task"


KINDS = st.sampled_from(["infrastructure-team", "network-engineer", "site-reliability-engineer"])
IDS = st.sampled_from([f"INF-00{i}" for i in range(1, 7)] + ["inf 003", "Inf_005"])


@given(kind=KINDS, noise=st.lists(IDS, min_size=1, max_size=3))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_internal_ids_in_the_words_never_come_back(
    tmp_path: Path, kind: str, noise: list[str]
) -> None:
    words = f"a postgres database for billing in prod, owned by {' and '.join(noise)}"
    home = tmp_path / f"h{abs(hash((kind, tuple(noise))))}"
    result = _task(home, kind, words, requester=noise[0])
    assert result.status == "awaiting-approval"
    assert not internal_ids(result.model_dump_json())
