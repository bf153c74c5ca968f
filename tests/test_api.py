"""The HTTP API through FastAPI's TestClient: the auth matrix on every endpoint, bad input,
the request flow, and no internal ID in anything it answered."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from opsteam.application.access import create_token
from opsteam.domain.registry import Registry, load_registry
from opsteam.interfaces.api.app import create_app
from tests.chat_support import ANSWER, WORDS, no_internal_ids
from tests.exits import REDACTOR
from tests.fakes import ParseOnlyVerifier

ROLES = ("requester", "approver", "admin")
SHOWN: list[str] = []  # every body the API answered in this module


class Api:
    """A TestClient that remembers every response body and speaks as a role."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def call(self, method: str, path: str, role: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        headers.update(kw.pop("headers", {}))
        response = self.client.request(method, path, headers=headers, **kw)
        if not response.headers.get("content-type", "").startswith("application/zip"):
            SHOWN.append(response.text)
        return response


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("api") / "home"
    registry = load_registry()
    tokens = {role: create_token(home, role, f"{role}-1", REDACTOR)[0] for role in ROLES}
    app = create_app(home, registry, verifier=ParseOnlyVerifier())
    with TestClient(app) as client:
        yield Api(client, tokens)
    no_internal_ids(*SHOWN)


def submit(api: Api, role: str, **body: Any) -> dict[str, Any]:
    response = api.call("POST", "/requests?wait=true", role, json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture(scope="module")
def things(api: Api) -> dict[str, str]:
    """A request of the requester's waiting at a checkpoint, an incident, a conversation."""
    waiting = submit(api, "requester", words=WORDS, answers={"environment": ANSWER})
    incident = api.call(
        "POST",
        "/incidents",
        "requester",
        json={
            "title": "Checkout errors",
            "description": "HTTP 500s on checkout",
            "service": "checkout",
        },
    )
    assert incident.status_code == 201, incident.text
    conversation = api.call("POST", "/conversations", "requester").json()
    return {
        "thread": waiting["result"]["thread_id"],
        "incident": incident.json()["id"],
        "conversation": conversation["id"],
    }


# (method, path, json body, roles allowed, status(es) an allowed role gets)
PUBLIC = {"/", "/healthz", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"}
MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[str, ...], int | tuple[int, int]]] = [
    ("GET", "/requests", None, ROLES, 200),
    ("POST", "/requests", {"words": "a redis cache for the shop"}, ROLES, 422),  # asks env
    ("GET", "/requests/{thread}", None, ROLES, 200),
    ("GET", "/requests/{thread}/artifacts", None, ROLES, 200),
    ("GET", "/requests/{thread}/artifacts/plan/infrastructure-plan.md", None, ROLES, 404),
    ("GET", "/requests/{thread}/bundle", None, ROLES, 409),  # no artifacts before approval
    (
        "POST",
        "/requests/{thread}/decisions",
        {"verdict": "approve", "checkpoint": "production-change"},
        ("approver", "admin"),
        422,
    ),
    ("GET", "/requests/{thread}/events", None, ROLES, 200),
    ("POST", "/conversations", None, ROLES, 201),
    ("GET", "/conversations", None, ROLES, 200),
    ("GET", "/conversations/{conversation}", None, ("requester", "admin"), 200),
    (
        "POST",
        "/conversations/{conversation}/messages",
        {"text": "help"},
        ("requester", "admin"),
        200,
    ),
    ("GET", "/me", None, ROLES, 200),
    ("GET", "/oncall", None, ROLES, 200),
    ("GET", "/kpis", None, ROLES, 200),
    ("GET", "/kpis/history", None, ROLES, 200),
    ("GET", "/incidents", None, ROLES, 200),
    ("GET", "/incidents/{incident}", None, ROLES, 200),
    (
        "POST",
        "/incidents",
        {"title": "Slow search", "description": "p99 up", "service": "search"},
        ROLES,
        201,
    ),
    # the incident is resolved by whichever allowed role comes first: then 409 for the other
    (
        "POST",
        "/incidents/{incident}/updates",
        {"note": "looking"},
        ("approver", "admin"),
        (200, 409),
    ),
    (
        "POST",
        "/incidents/{incident}/resolve",
        {"root_cause": "a bad deploy"},
        ("approver", "admin"),
        (200, 409),
    ),
    ("GET", "/metrics", None, ROLES, 200),
    ("GET", "/tokens", None, ("admin",), 200),
    ("POST", "/tokens", {"role": "requester", "name": "dave"}, ("admin",), 201),
    ("DELETE", "/tokens/{name}", None, ("admin",), 404),
]
# Requesters reading someone else's conversation get 404 (it is not theirs), not 403.
NOT_THEIRS = {
    ("/conversations/{conversation}", "approver"),
    ("/conversations/{conversation}/messages", "approver"),
}


def test_the_matrix_covers_every_endpoint() -> None:
    """Every route in the OpenAPI schema (a new endpoint too) is in the matrix."""
    app = create_app(Path("/nonexistent-home"), load_registry())
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path not in PUBLIC
        for method in operations
    }
    covered = set()
    for method, path, *_ in MATRIX:
        path = path.replace("/plan/infrastructure-plan.md", "/{path}")
        for short, full in (
            ("thread", "thread_id"),
            ("incident", "incident_id"),
            ("conversation", "conversation_id"),
        ):
            path = path.replace("{" + short + "}", "{" + full + "}")
        covered.add((method, path))
    assert routes == covered


@pytest.mark.parametrize("role", [None, *ROLES], ids=lambda r: r or "no-token")
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed", "expected"),
    MATRIX,
    ids=[f"{m} {p}" for m, p, *_ in MATRIX],
)
def test_auth_matrix(
    api: Api,
    things: dict[str, str],
    role: str | None,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: tuple[str, ...],
    expected: int | tuple[int, int],
) -> None:
    url = path.format(name="nobody", **things)
    response = api.call(method, url, role, json=body)
    if role is None:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0].startswith("a bearer token is required")
    elif (path, role) in NOT_THEIRS:
        assert response.status_code == 404
    elif role not in allowed:
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0].startswith(f"the {role} role may not")
    else:
        statuses = expected if isinstance(expected, tuple) else (expected,)
        assert response.status_code in statuses, response.text


def test_public_endpoints_need_no_token(api: Api) -> None:
    assert api.call("GET", "/healthz").json()["status"] == "ok"
    assert "opsteam chat" in api.call("GET", "/").text
    assert "/requests/{thread_id}/decisions" in api.call("GET", "/openapi.json").json()["paths"]
    assert api.call("GET", "/static/app.js").status_code == 200


def test_an_unknown_or_revoked_token_is_401(api: Api) -> None:
    api.tokens["bogus"] = "ops_not-a-real-token"
    assert api.call("GET", "/requests", "bogus").status_code == 401
    response = api.client.get("/requests", headers={"Authorization": "Basic abc"})
    SHOWN.append(response.text)
    assert response.status_code == 401


def test_a_requester_sees_only_its_own_requests(api: Api, things: dict[str, str]) -> None:
    mine = [r["thread_id"] for r in api.call("GET", "/requests", "requester").json()]
    assert things["thread"] in mine
    other = submit(api, "approver", words="A Redis cache for the catalog service in dev")
    other_id = other["result"]["thread_id"]
    assert other_id not in [
        r["thread_id"] for r in api.call("GET", "/requests", "requester").json()
    ]
    assert api.call("GET", f"/requests/{other_id}", "requester").status_code == 404
    assert api.call("GET", f"/requests/{other_id}", "approver").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "line"),
    [
        ({}, 422, "send either words"),
        ({"words": "x", "form": {}}, 422, "send either words"),
        ({"words": "a redis cache", "colour": 1}, 422, "colour: unknown field"),
        ({"words": "   "}, 422, "words: the request is empty"),
        ({"form": {"request": "x"}}, 422, "required field is missing"),
        (
            {"words": "a redis cache for the shop", "answers": {"environment": "mars"}},
            422,
            "answers.environment",
        ),
        (
            {"words": "a redis cache for the shop", "answers": {"size": "big"}},
            422,
            "not a question",
        ),
    ],
)
def test_bad_submissions_are_clear_4xx(
    api: Api, body: dict[str, Any], status: int, line: str
) -> None:
    response = api.call("POST", "/requests", "requester", json=body)
    assert response.status_code == status
    assert any(line in e for e in response.json()["errors"]), response.json()


def test_malformed_oversized_and_wrongly_typed_bodies(api: Api) -> None:
    headers = {"Content-Type": "application/json"}
    bad = api.call("POST", "/requests", "admin", content=b"{nope", headers=headers)
    assert bad.status_code == 400 and bad.json()["errors"][0].startswith("body: malformed JSON")
    big = api.call("POST", "/requests", "admin", content=b" " * 300_000, headers=headers)
    assert big.status_code == 413 and "larger than 256 KiB" in big.json()["errors"][0]
    typed = api.call(
        "POST", "/requests/chg-000000000000/decisions", "admin", json={"verdict": "maybe"}
    )
    assert typed.status_code == 422 and typed.json()["errors"][0].startswith("verdict:")
    assert api.call("GET", "/kpis?since=2999-01-01", "admin").status_code == 422
    assert api.call("GET", "/kpis/history?points=99", "admin").status_code == 422
    assert api.call("GET", "/requests/chg-000000000000", "admin").status_code == 404


def test_questions_come_back_as_422_with_the_fields_to_answer(api: Api) -> None:
    response = api.call("POST", "/requests", "requester", json={"words": WORDS})
    assert response.status_code == 422
    assert [q["field"] for q in response.json()["questions"]] == ["environment"]


def test_words_for_another_division_are_redirected_and_nothing_runs(api: Api) -> None:
    before = len(api.call("GET", "/requests", "admin").json())
    words = "Set up a CI/CD pipeline for the checkout service so every merge deploys to staging"
    response = api.call("POST", "/requests", "requester", json={"words": words})
    assert response.status_code == 200
    assert response.json()["status"] == "redirected"
    assert response.json()["redirect"]["owner"] == "Engineering Foundation"
    assert len(api.call("GET", "/requests", "admin").json()) == before


def test_decisions_flow_audit_and_conflicts(api: Api) -> None:
    waiting = submit(api, "requester", words=WORDS, answers={"environment": ANSWER})
    thread = waiting["result"]["thread_id"]
    assert waiting["preview"]["files"] == []
    no_reason = api.call(
        "POST", f"/requests/{thread}/decisions", "approver", json={"verdict": "reject"}
    )
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.json()["errors"][0]
    accepted = api.call(
        "POST", f"/requests/{thread}/decisions", "approver", json={"verdict": "approve"}
    )
    assert accepted.status_code == 202 and accepted.headers["location"] == f"/requests/{thread}"
    with api.client.stream(
        "GET",
        f"/requests/{thread}/events",
        headers={"Authorization": f"Bearer {api.tokens['approver']}"},
    ) as s:
        frames = "".join(s.iter_text())
    SHOWN.append(frames)
    assert "event: progress" in frames and "Network Engineer: planning subnets" in frames
    # the log replays the submit run too; the decision's run ends it
    result = json.loads(frames.split("event: result\ndata: ")[-1].split("\n")[0])
    assert [p["id"] for p in result["result"]["pending"]] == ["production-change"]
    assert result["preview"]["files"], "the production gate shows the files that will change"
    done = api.call(
        "POST",
        f"/requests/{thread}/decisions?wait=true",
        "admin",
        json={"verdict": "approve", "reason": "window agreed"},
    ).json()
    assert done["result"]["status"] == "completed"
    assert [d["by"] for d in done["result"]["decisions"]] == ["approver-1", "admin-1"]
    again = api.call("POST", f"/requests/{thread}/decisions", "admin", json={"verdict": "approve"})
    assert again.status_code == 409


def test_artifacts_and_bundle_of_a_finished_request(api: Api) -> None:
    # a change to an existing cache in dev: no checkpoint, so it runs to the end
    done = submit(api, "requester", words="raise maxmemory on the catalog redis in dev to 2gb")
    thread = done["result"]["thread_id"]
    assert done["result"]["status"] == "completed"
    assert done["diagram"] and "existing cache (changed)" in done["diagram"]
    listed = api.call("GET", f"/requests/{thread}/artifacts", "requester").json()
    paths = [a["path"] for a in listed]
    assert "terraform/main.tf" in paths
    text = api.call("GET", f"/requests/{thread}/artifacts/terraform/main.tf", "requester").text
    assert "resource" in text
    zipped = api.call("GET", f"/requests/{thread}/bundle", "requester")
    assert zipped.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert sorted(f["path"] for f in manifest["files"]) == sorted(paths)
    no_internal_ids(*(archive.read(n).decode() for n in archive.namelist()))


def test_ids_in_submitted_words_are_redacted_everywhere(api: Api) -> None:
    done = submit(
        api, "requester", words="A Redis cache for the catalog service in dev, owner INF-003"
    )
    assert "Network Engineer" in done["result"]["request"]
    thread = done["result"]["thread_id"]
    for path in ("", "/artifacts", "/artifacts/plan/infrastructure-plan.md", "/events"):
        api.call("GET", f"/requests/{thread}{path}", "requester")
    api.call("GET", "/requests", "requester")


def test_web_chat_conversation_over_http(api: Api, registry: Registry) -> None:
    del registry
    started = api.call("POST", "/conversations", "approver").json()
    with api.client.stream(
        "POST",
        f"/conversations/{started['id']}/messages",
        json={"text": WORDS},
        headers={"Authorization": f"Bearer {api.tokens['approver']}"},
    ) as stream:
        frames = "".join(stream.iter_text())
    SHOWN.append(frames)
    assert "event: reply" in frames and '"kind":"question"' in frames and "event: done" in frames
    resumed = api.call("GET", f"/conversations/{started['id']}", "approver").json()
    assert resumed["asking"] == "environment"
    assert [r["kind"] for r in resumed["replies"]][-2:] == ["said", "question"]


def test_metrics_count_requests_and_runs(api: Api) -> None:
    done = submit(api, "requester", words="two more VMs for the batch workers in dev")
    assert done["result"]["status"] == "completed"  # counted in this process, whatever ran before
    text = api.call("GET", "/metrics", "admin").text
    assert 'opsteam_http_requests_total{method="POST",route="/requests",status="200"}' in text
    assert 'opsteam_runs_total{kind="submit",status="completed"}' in text
    assert "opsteam_runs_in_progress 0.0" in text
