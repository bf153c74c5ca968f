"""One request through every way in: Python ``task()``, ``opsteam task``, MCP and ``langgraph dev``.

The same words end with the same outcome and byte-identical artifacts in all four, and
nothing any of them returned carries an internal ID. ``langgraph dev`` (the ``studio`` extra)
runs once for the module on 127.0.0.1, driven by the LangGraph SDK, with the real validators.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from mcp import Client
from mcp_types import ElicitResult

import opsteam
from opsteam.application.service import Opsteam
from opsteam.application.task import Tasks
from opsteam.domain.registry import load_registry
from opsteam.intake.read import understand_words
from opsteam.interfaces.mcp.server import build_server
from opsteam.interfaces.studio import langgraph_config
from tests.rosters import internal_ids
from tests.test_cli import run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LANGGRAPH = Path(sys.executable).with_name("langgraph")
WORDS = "open 443 from 203.0.113.0/24 to the bastion in prod"
REQUESTER = "alice"
ROLE = "network-engineer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(server: subprocess.Popen[bytes]) -> None:
    """The server and the workers it started (its own process group)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncLangGraphClient]:
    """``langgraph dev`` serving langgraph.json; its scratch files stay in a temp dir."""
    if not LANGGRAPH.exists():
        reason = "langgraph-cli[inmem] is not installed (pip install -e '.[studio]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("studio")
    port = _free_port()
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
        "OPSTEAM_HOME": str(work / "home"),
    }
    command = [str(LANGGRAPH), "dev", "--host", "127.0.0.1", "--port", str(port),
               "--no-browser", "--no-reload", "--config", str(ROOT / "langgraph.json")]  # fmt: skip
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not start: {(work / 'server.log').read_text()}")
            time.sleep(0.5)
        yield get_sync_client(url=url, timeout=300)
    finally:
        _stop(server)
        log.close()


def test_langgraph_json_is_current() -> None:
    """Regenerate with: python -m opsteam.interfaces.studio > langgraph.json"""
    assert (ROOT / "langgraph.json").read_text() == langgraph_config()


def test_studio_serves_the_team_the_incident_and_each_role(studio: SyncLangGraphClient) -> None:
    graphs = {a["graph_id"] for a in studio.assistants.search(limit=50)}
    assert graphs >= {"request", "incident", "network-engineer", "automation-engineer"}


def _form() -> dict[str, Any]:
    [request] = understand_words(WORDS, load_registry(), REQUESTER).requests
    return {"request": request.model_dump(mode="json")}


def _interrupts(client: SyncLangGraphClient, thread: str, seen: list[Any]) -> list[Any]:
    state = client.threads.get_state(thread)
    seen.append(state)
    return [i for task in state["tasks"] for i in task["interrupts"]]


def test_the_team_pauses_and_a_hitl_decision_resumes_it(studio: SyncLangGraphClient) -> None:
    seen: list[Any] = []
    thread = studio.threads.create()["thread_id"]
    new_database = {"component": "database", "request": "HA Postgres for billing"}
    form = {"request": {**_form()["request"], **new_database, "description": "A new database"}}
    seen.append(studio.runs.wait(thread, "request", input=form))
    [pending] = _interrupts(studio, thread, seen)
    value = pending["value"]
    assert value["checkpoint"] == "architecture-change"
    assert value["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]
    reject = {"decisions": [{"type": "reject", "message": "use the shared cluster"}]}
    seen.append(studio.runs.wait(thread, "request", command={"resume": reject}))
    assert _interrupts(studio, thread, seen) == []
    values = seen[-1]["values"]
    assert values["status"] == "rejected"
    assert values["summary"].endswith("by unidentified reviewer: use the shared cluster")
    assert not internal_ids(json.dumps(seen))


def _python(tmp_path: Path, seen: list[Any]) -> dict[str, bytes]:
    home, out = tmp_path / "python", tmp_path / "python-bundle"
    paused = opsteam.task(ROLE, WORDS, home=home, requester=REQUESTER)
    assert paused.status == "awaiting-approval" and paused.thread_id
    done = Tasks(Opsteam(home)).decide(paused.thread_id, "approve", by=REQUESTER, out=out)
    seen += [paused.model_dump_json(), done.model_dump_json()]
    assert done.status == "completed"
    return {a.path: (out / a.path).read_bytes() for a in done.artifacts}


def _cli(tmp_path: Path, seen: list[Any]) -> dict[str, bytes]:
    home, out = tmp_path / "cli", tmp_path / "cli-bundle"
    first = run(home, "task", "--subagent-type", ROLE, WORDS, "--requester", REQUESTER, "--json")
    thread = json.loads(first.stdout)["thread_id"]
    done = run(home, "approve", thread, "--out", str(out), "--json", "--by", REQUESTER)
    seen += [first.stdout, first.stderr, done.stdout, done.stderr]
    assert (first.returncode, done.returncode) == (3, 0)
    assert json.loads(done.stdout)["status"] == "completed"
    manifest = json.loads((out / "manifest.json").read_text())
    return {f["path"]: (out / f["path"]).read_bytes() for f in manifest["files"]}


def _mcp(tmp_path: Path, seen: list[Any]) -> dict[str, bytes]:
    registry = load_registry()
    server = build_server(registry, lambda: Tasks(Opsteam(tmp_path / "mcp", registry)))

    async def approve(context: Any, params: Any) -> ElicitResult:
        seen.append(params.message)
        return ElicitResult(action="accept", content={"decision": "approve"})

    files: dict[str, bytes] = {}

    async def main() -> None:
        async with Client(server, elicitation_callback=approve) as client:
            args = {"subagent_type": ROLE, "prompt": WORDS, "requester": REQUESTER}
            done = (await client.call_tool("task", args)).structured_content
            seen.append(done)
            assert done is not None and done["status"] == "completed"
            for artifact in done["artifacts"]:
                shown = await client.call_tool(
                    "show_artifact", {"thread_id": done["thread_id"], "path": artifact["path"]}
                )
                seen.append(shown.structured_content)
                assert shown.structured_content is not None
                files[artifact["path"]] = shown.structured_content["content"].encode()

    anyio.run(main)
    return files


def _studio(client: SyncLangGraphClient, seen: list[Any]) -> dict[str, bytes]:
    thread = client.threads.create()["thread_id"]
    seen.append(client.runs.wait(thread, ROLE, input=_form()))
    [pending] = _interrupts(client, thread, seen)
    assert pending["value"]["checkpoint"] == "production-change"
    approve = {"decisions": [{"type": "approve"}], "by": REQUESTER}
    seen += list(client.runs.stream(thread, ROLE, command={"resume": approve},
                                     stream_mode=["updates", "values"]))  # fmt: skip
    assert _interrupts(client, thread, seen) == []
    values = seen[-1]["values"]
    assert values["status"] == "completed"
    assert [d["by"] for d in values["decisions"]] == [REQUESTER]
    return {
        a["path"]: a["content"].encode() for files in values["artifacts"].values() for a in files
    }


def test_one_request_through_every_way_in(tmp_path: Path, studio: SyncLangGraphClient) -> None:
    seen: list[Any] = []
    bundles = {
        "python": _python(tmp_path, seen),
        "cli": _cli(tmp_path, seen),
        "mcp": _mcp(tmp_path, seen),
        "langgraph dev": _studio(studio, seen),
    }
    digests = {
        way: {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
        for way, files in bundles.items()
    }
    assert digests["python"] and set(digests["python"]) == {"network/network-plan.md"}
    for way, found in digests.items():
        assert found == digests["python"], way  # byte-identical artifacts everywhere
    everything = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in seen)
    assert "Production change approval" in everything
    assert not internal_ids(everything)
