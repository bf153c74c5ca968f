"""Secrets typed into any text field reach no output and are never stored in clear; roster
IDs are stored named.

Generated secrets of every recognised kind (URL passwords in any scheme, AWS keys and secret
assignments, ``*_PASSWORD``/``*_TOKEN``/``*_SECRET``, GitHub/GitLab/Slack tokens, JWTs, a
private key cut short) and roster IDs go into the request, the decisions and their feedback,
and an incident. Neither the secret nor the ID may appear in what the Python API returns,
what the bundle holds, or (for secrets) any byte under the data home: history database,
checkpoints, postmortems.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from opsteam.agents.sre.incidents import IncidentUpdate, Resolution
from opsteam.application import incidents as ops
from opsteam.application.access import Actor
from opsteam.application.chat import ChatDesk
from opsteam.application.service import Opsteam
from opsteam.domain.incidents import IncidentReport
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import default_registry
from tests.conftest import BASE_REQUEST
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

ANY_ID = re.compile(r"(?<![A-Za-z0-9])INF[\s_\u2011-]?00[1-6](?![0-9])", re.IGNORECASE)
ALNUM = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Marked so a core can never be a word the team writes itself ("communication").
CORE = st.text(alphabet=ALNUM, min_size=10, max_size=14).map(lambda t: f"Zq{t}9x")
SCHEMES = st.sampled_from(["postgresql", "mysql", "redis", "amqp", "mongodb+srv", "https"])
NAMES = st.sampled_from(["DB_PASSWORD", "API_TOKEN", "APP_SECRET", "PGPASSWORD", "db-password"])
# Each example runs the whole team: a failure is reported as found, not shrunk for minutes.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
ROSTER_ID = st.sampled_from([f"INF-00{i}" for i in range(1, 7)]).map(
    lambda i: i.lower() if i.endswith(("2", "5")) else i
)


@st.composite
def secret(draw: st.DrawFn) -> tuple[str, str]:
    """A secret as people paste it, and the part of it that must never be seen again."""
    core = draw(CORE)
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return f"{draw(SCHEMES)}://app:{core}@db.internal:5432/app", core
    if kind == 1:
        key = draw(st.sampled_from(["AKIA", "ASIA"])) + draw(
            st.text(alphabet=UPPER, min_size=16, max_size=16)
        )
        return key, key[4:]
    if kind == 2:
        return f"aws_secret_access_key = {core}/K7MDENG+{core}", core
    if kind == 3:
        return f"{draw(NAMES)}={core}", core
    if kind == 4:
        return f"ghp_{core}{core}{core}", core + core
    if kind == 5:
        return f"glpat-{core}{core}", core + core
    if kind == 6:
        return f"xoxb-1234567890-{core}", core
    if kind == 7:
        return f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{core}", core
    if kind == 8:
        return f"-----BEGIN RSA PRIVATE KEY-----\nMIIEow{core}", core
    return f"Authorization: Bearer {core}", core


def _home_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def _expanded(value: object) -> bytes:
    if isinstance(value, bytes):
        try:  # the artifact store keeps its blobs compressed
            return value + zlib.decompress(value)
        except zlib.error:
            return value
    return str(value).encode()


def _stored(home: Path) -> bytes:
    """Every byte under the data home, and every value of every table of its databases with
    compressed blobs expanded (a leak inside a compressed artifact is still a leak)."""
    rows = [_home_bytes(home)]
    for db in sorted(home.rglob("*.db")):
        conn = sqlite3.connect(db)
        try:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            for (table,) in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    rows.extend(_expanded(v) for v in row)
        finally:
            conn.close()
    return b"\n".join(rows)


def _assert_clean(cores: list[str], outputs: str, home: Path, bundle: Path | None) -> None:
    stored = _stored(home)
    written = _home_bytes(bundle) if bundle else b""
    for core in cores:
        assert core not in outputs, core
        assert core.encode() not in stored, f"{core} stored in clear under the data home"
        assert core.encode() not in written, f"{core} written to the bundle"
    assert not ANY_ID.search(outputs)
    assert not ANY_ID.search(written.decode("utf-8", "replace"))
    # Checkpoints, history, blobs and conversations hold the IDs named, as every exit shows.
    found = ANY_ID.search(stored.decode("utf-8", "replace"))
    assert found is None, f"{found.group(0) if found else ''} stored under the data home"


@given(
    secrets=st.lists(secret(), min_size=5, max_size=5),
    ids=st.lists(ROSTER_ID, min_size=3, max_size=3),
)
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=NO_SHRINK,
)
def test_secrets_and_ids_in_every_request_field_and_decision_never_leak(
    tmp_path_factory: Any, secrets: list[tuple[str, str]], ids: list[str]
) -> None:
    texts, cores = [s for s, _ in secrets], [c for _, c in secrets]
    root = tmp_path_factory.mktemp("run")
    home, out = root / "home", root / "out"
    request = ChangeRequest.model_validate(
        {
            **BASE_REQUEST,
            "environment": "prod",
            "request": f"Redis cache for {ids[0]} {texts[0].splitlines()[0]}"[:200],
            "description": f"A Redis cache. Ask {ids[1]}. {texts[1]}",
            "justification": f"Reads dominate. {texts[2]}",
            "impact": f"none {ids[2]} {texts[3]}",
            "timeline": texts[4].splitlines()[0][:200],
            "integrations": [texts[0].splitlines()[0][:200]],
        }
    )
    team = Opsteam(home=home, verifier=ParseOnlyVerifier())
    seen: list[Any] = []
    [first] = team.submit([request], out=out)
    seen.append(first)
    changed = team.decide(
        first.thread_id, "changes", all_pending=True, reason=f"use {ids[0]}: {texts[1]}"
    )
    seen.append(changed)
    result = past_design_review(team, changed)
    while result.status == "awaiting-approval":
        result = team.decide(
            result.thread_id, "approve", all_pending=True, reason=f"ok {texts[2]}", by="alice"
        )
        seen.append(result)
    assert result.status == "completed" and result.bundle
    seen += [team.status(result.thread_id), *team.threads()]
    outputs = json.dumps([r.model_dump(mode="json") for r in seen], ensure_ascii=False)
    _assert_clean(cores, outputs, home, out)


@given(secrets=st.lists(secret(), min_size=4, max_size=4), ident=ROSTER_ID)
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=NO_SHRINK,
)
def test_secrets_in_an_incident_are_masked_in_its_record_and_postmortem(
    tmp_path_factory: Any, secrets: list[tuple[str, str]], ident: str
) -> None:
    registry = default_registry()
    texts, cores = [s for s, _ in secrets], [c for _, c in secrets]
    home = tmp_path_factory.mktemp("incident")
    t0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    report = IncidentReport.model_validate(
        {
            "title": f"Checkout errors {texts[0].splitlines()[0]}"[:200],
            "description": f"5xx from checkout, {ident} paged. {texts[1]}",
            "service": "checkout",
            "environment": "prod",
            "detected_at": t0,
            "alert": {"labels": {"dsn": texts[2]}, "annotations": {"summary": texts[3]}},
        }
    )
    opened = ops.open_incident(home, report, now=t0, registry=registry)
    iid = opened.incident.id
    note = IncidentUpdate(at=t0 + timedelta(minutes=5), note=f"{ident} tried {texts[3]}")
    updated = ops.update_incident(home, iid, note, registry=registry)
    done = Resolution(
        at=t0 + timedelta(minutes=30), root_cause=f"bad config {texts[1]}", decision=f"{ident} ok"
    )
    resolved = ops.resolve_incident(home, iid, done, registry=registry)
    assert resolved.postmortem_path is not None
    shown = [
        ops.show_incident(home, iid, registry=registry),
        ops.list_incidents(home, open_only=False, registry=registry),
    ]
    outputs = json.dumps(shown, ensure_ascii=False, default=str)
    _assert_clean(cores, outputs, home, None)
    handed_back = repr(opened.incident) + repr(updated.incident) + repr(resolved.incident)
    for core in cores:  # the incident objects the Python API hands back hold masked text
        assert core not in handed_back
    assert not ANY_ID.search(handed_back)  # and roster IDs named, like every other exit


def test_python_api_results_are_redacted_without_any_output_step(tmp_path: Path) -> None:
    """RunResult, status and the listing as a caller receives them (no CLI exit involved)."""
    request = ChangeRequest.model_validate(
        {
            **BASE_REQUEST,
            "request": "Cache for inf-004, JIRA INF-123",
            "impact": "DB_PASSWORD=x1y2z3",
        }
    )
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    [result] = team.submit([request])
    for value in (result, team.status(result.thread_id), *team.threads()):
        assert value.request == "Cache for Database Administrator, JIRA INF-123"
        assert not ANY_ID.search(value.model_dump_json())
        assert "x1y2z3" not in value.model_dump_json()
    state = team.state(result.thread_id)  # the full typed state, for inspection
    assert state.request.request == "Cache for Database Administrator, JIRA INF-123"
    assert not ANY_ID.search(state.model_dump_json())
    assert "x1y2z3" not in state.model_dump_json()


def test_secrets_said_in_a_chat_are_stored_masked(tmp_path: Path) -> None:
    """Conversations are stored to be resumed: what was said and the drafts hold masked text."""
    home = tmp_path / "home"
    desk = ChatDesk(
        home,
        default_registry(),
        Actor("alice", "approver"),
        channel="test",
        verifier=ParseOnlyVerifier(),
    )
    conversation, _ = desk.start()
    said = (
        "We need a new Postgres database for the billing service, "
        "connect with postgresql://app:Zq7secret9x@db/billing and PGPASSWORD=Zq8secret9x"
    )
    desk.handle(conversation, said, lambda _step: None)
    desk.handle(conversation, "prod", lambda _step: None)
    stored = _stored(home)
    assert b"Zq7secret9x" not in stored and b"Zq8secret9x" not in stored
    assert b"[redacted]" in stored
    desk.handle(conversation, "ask inf-003 and INF 004 to review it", lambda _step: None)
    assert not ANY_ID.search(_stored(home).decode("utf-8", "replace"))


def test_a_secret_in_an_incidents_service_is_refused_not_made_a_name() -> None:
    data = {
        "title": "Checkout errors",
        "description": "5xx",
        "service": "glpat-zq9xzq9xzq9xzq9xzq9x",
        "environment": "prod",
        "detected_at": "2026-03-10T10:00:00Z",
    }
    with pytest.raises(ValidationError, match="service\n  holds a secret"):
        IncidentReport.model_validate(data)


def test_an_incident_service_holding_a_roster_id_is_stored_as_a_named_slug(
    tmp_path: Path,
) -> None:
    registry = default_registry()
    t0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    report = IncidentReport.model_validate(
        {
            "title": "Checkout errors",
            "description": "5xx, INF-005 paged",
            "service": "billing-inf-003",
            "environment": "prod",
            "detected_at": t0,
        }
    )
    opened = ops.open_incident(tmp_path, report, now=t0, registry=registry)
    assert opened.incident.report.service == "billing-network-engineer"
    assert opened.incident.report.description == "5xx, Site Reliability Engineer paged"
    assert not ANY_ID.search(_stored(tmp_path).decode("utf-8", "replace"))
