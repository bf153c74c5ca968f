"""Property: internal IDs put into requests or role outputs reach no way out."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsteam.agents.dba import role as dba
from opsteam.application.service import Opsteam
from opsteam.domain.errors import InputError
from opsteam.domain.models import Artifact, ChangeRequest
from opsteam.intake import parse_requests
from opsteam.interfaces.cli.views import run_view
from tests.conftest import BASE_REQUEST
from tests.exits import emit, emit_error
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

ANY_ID = re.compile(r"INF\s*[-_]?\s*\d{3}", re.IGNORECASE)
IDS = st.sampled_from([f"INF-00{i}" for i in range(1, 7)])
WORDS = st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=20)


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(WORDS, IDS), min_size=1, max_size=3))
    text = " ".join(f"{w} {i}" for w, i in parts).strip()
    return text or "INF-001"


def _all_outputs(team: Opsteam, results: list[Any]) -> str:
    """Everything a person or program could see: JSON, rendered text, status, payloads."""
    out = io.StringIO()
    with redirect_stdout(out):
        for result in results:
            data = result.model_dump(mode="json")
            emit(data, as_json=True)
            emit(data, as_json=False, render=run_view)
            emit(team.status(result.thread_id).model_dump(mode="json"), as_json=True)
    return out.getvalue()


@given(description=hostile_text(), title=hostile_text())
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_ids_in_request_text_never_reach_outputs(
    tmp_path: Path, description: str, title: str
) -> None:
    fields = {
        **BASE_REQUEST,
        "environment": "prod",
        "component": "database",
        "request": f"Postgres {title}"[:200],
        "description": f"Postgres. {description}",
        "integrations": [title[:200]],
    }
    request = ChangeRequest.model_validate(fields)
    home = tmp_path / f"h{abs(hash((description, title)))}"
    team = Opsteam(
        home=home, verifier=ParseOnlyVerifier(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)
    )
    results = team.submit([request])
    assert results[0].pending, "a prod database change must pause"
    assert not ANY_ID.search(_all_outputs(team, results))


def test_ids_in_role_outputs_never_reach_outputs_or_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = dba.render

    def leaky(decision: Any, request: ChangeRequest, ctx: Any) -> list[Artifact]:
        arts = original(decision, request, ctx)
        return [
            a.model_copy(update={"content": a.content + "\nReviewed by INF-004 and inf-006\n"})
            for a in arts
        ]

    monkeypatch.setattr(dba, "render", leaky)
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    raw = Path(__file__).resolve().parent.parent.joinpath("examples/redis-cache-dev.yaml")
    [paused] = team.submit(parse_requests(raw.read_bytes()), out=tmp_path / "out")
    results = [past_design_review(team, paused)]
    assert results[0].status == "completed"
    assert not ANY_ID.search(_all_outputs(team, results))
    texts = [p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert any("Reviewed by Database Administrator" in t for t in texts)
    assert not any(ANY_ID.search(t) for t in texts)


@given(field=hostile_text())
@settings(max_examples=30, deadline=None)
def test_ids_in_bad_input_never_reach_error_lines(field: str) -> None:
    raw = json.dumps({**BASE_REQUEST, field: "x", "environment": f"moon {field}"}).encode()
    with pytest.raises(InputError) as err:
        parse_requests(raw, f"{field}.json")
    stream = io.StringIO()
    with redirect_stderr(stream):
        emit_error(err.value.lines())
        emit_error(err.value.lines(), as_json=True)
    assert stream.getvalue() and not ANY_ID.search(stream.getvalue())
