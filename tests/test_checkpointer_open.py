"""One checkpointer per process and data home, with the durability settings the docs state."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.service import Opsteam
from tests.conftest import RequestFactory
from tests.fakes import ParseOnlyVerifier


def pragma(saver: Any, name: str) -> Any:
    assert isinstance(saver, SqliteSaver)
    return saver.conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_the_same_home_gets_the_same_checkpointer(tmp_path: Path) -> None:
    with open_checkpointer(tmp_path) as first, open_checkpointer(tmp_path) as second:
        assert first is second
    with open_checkpointer(tmp_path / "other") as other:
        assert other is not first


def test_the_checkpoint_file_runs_in_wal_with_synchronous_normal(tmp_path: Path) -> None:
    with open_checkpointer(tmp_path) as saver:
        assert pragma(saver, "journal_mode") == "wal"
        assert pragma(saver, "synchronous") == 1  # NORMAL (FULL is 2)


def test_a_home_deleted_under_the_process_gets_a_fresh_checkpointer(
    tmp_path: Path, make_request: RequestFactory
) -> None:
    home = tmp_path / "home"
    team = Opsteam(home=home, verifier=ParseOnlyVerifier())
    with open_checkpointer(home) as before:
        pass
    shutil.rmtree(home)
    [result] = team.submit([make_request()])
    with open_checkpointer(home) as after:
        assert after is not before
    assert (home / "checkpoints.sqlite").exists()
    assert team.status(result.thread_id).status == result.status
