"""Model calls and tokens: opsteam with a chat model vs a supervisor-style LangGraph team.

Both run the examples on the same counting fake chat model (opsteam.tools.fake_model: tokens
are about four characters each, counted identically for both). opsteam: routing and
checkpoints are rules, each engaged role asks once with its own slice. Baseline: a supervisor
LLM picks the next role at every hop, and every call (supervisor or worker) sees the whole
conversation so far; its workers answer with the very decisions opsteam's roles made, and
its supervisor picks exactly the roles opsteam engaged (the baseline's best case).

Reproduce: ``.venv/bin/python -m bench.model_calls`` (writes its section of BENCHMARKS.md).
"""

from __future__ import annotations

import json
import operator
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, create_model

from bench.workload import ROOT, examples, run_service
from opsteam.agents.llm.prompts import system_prompt
from opsteam.application.service import Opsteam
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry, load_registry
from opsteam.graphs.state import RequestState
from opsteam.tools.fake_model import ScriptedChatModel
from tests.fakes import ParseOnlyVerifier

BENCHMARKS = ROOT / "BENCHMARKS.md"
START_MARK, END_MARK = "<!-- model-calls:start -->", "<!-- model-calls:end -->"
SLOTS = {
    "infrastructure-architect": "design",
    "systems-administrator": "servers",
    "network-engineer": "network",
    "database-administrator": "data",
    "automation-engineer": "automation",
    "site-reliability-engineer": "reliability",
}
FINISH = "FINISH"
TARGET_INPUT_RATIO = 0.40


@dataclass
class Tally:
    calls: int = 0
    routing_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: Tally) -> None:
        self.calls += other.calls
        self.routing_calls += other.routing_calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens


def run_opsteam(request: ChangeRequest, home: Path) -> tuple[Tally, RequestState]:
    model = ScriptedChatModel(script={}, default="draft")
    team = Opsteam(home=home, verifier=ParseOnlyVerifier(), model=model)
    result = run_service(team, request)
    use = result.model
    tally = Tally()
    if use is not None:
        tally = Tally(use.calls, 0, use.input_tokens, use.output_tokens)
    tally.routing_calls = sum(1 for c in model.calls if c == "Route")
    return tally, team.state(result.thread_id)


class Conversation(TypedDict):
    messages: Annotated[list[BaseMessage], operator.add]
    next: str


def _route_schema(roles: Sequence[str]) -> type[BaseModel]:
    choice = Literal[(*roles, FINISH)]  # type: ignore[valid-type]
    return create_model("Route", next=(choice, ...))


def _tool_reply(args: dict[str, Any], name: str) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": "c"}])


def supervisor_baseline(request: ChangeRequest, state: RequestState, registry: Registry) -> Tally:
    """A supervisor graph on the same fake model; its order is opsteam's, its outputs too."""
    order = [r for r in state.worked if SLOTS.get(r) and getattr(state, SLOTS[r]) is not None]
    outputs = {r: getattr(state, SLOTS[r]).model_dump(mode="json", by_alias=True) for r in order}
    by_schema = {type(getattr(state, SLOTS[r])).__name__: outputs[r] for r in order}
    picks = iter([*order, FINISH])
    model = ScriptedChatModel(
        script={},
        default=lambda messages, tool: _tool_reply(
            {"next": next(picks)} if tool == "Route" else by_schema[tool], tool
        ),
    )
    route = _route_schema(list(SLOTS))
    roster = ", ".join(f"{slug} ({registry.role(slug).name})" for slug in SLOTS)
    supervisor_prompt = (
        f"You supervise the {registry.team.name}: {roster}. Given the conversation, "
        f"choose who acts next, or {FINISH} when the request is done."
    )

    def supervisor(conv: Conversation) -> dict[str, Any]:
        messages = [SystemMessage(supervisor_prompt), *conv["messages"]]
        picked = model.with_structured_output(route).invoke(messages)
        return {"next": getattr(picked, "next", FINISH)}

    def worker(slug: str) -> Any:
        schema = type(getattr(state, SLOTS[slug]))

        def act(conv: Conversation) -> dict[str, Any]:
            today = datetime.now(UTC).date()
            prompt = [SystemMessage(system_prompt(slug, registry, today)), *conv["messages"]]
            model.with_structured_output(schema, include_raw=True).invoke(prompt)
            said = json.dumps(outputs[slug], sort_keys=True)
            return {"messages": [AIMessage(content=f"{registry.role(slug).name}: {said}")]}

        return act

    graph: StateGraph[Conversation, None, Conversation, Conversation] = StateGraph(Conversation)
    graph.add_node("supervisor", supervisor)
    for slug in order:
        graph.add_node(slug, worker(slug))
        graph.add_edge(slug, "supervisor")
    graph.add_edge(START, "supervisor")
    graph.add_conditional_edges(
        "supervisor", lambda c: END if c["next"] == FINISH else c["next"], [*order, END]
    )
    asked = json.dumps(request.model_dump(mode="json"), sort_keys=True)
    graph.compile().invoke({"messages": [HumanMessage(asked)], "next": ""})
    return _tally(model)


def _tally(model: ScriptedChatModel) -> Tally:
    usage = model.usage()
    return Tally(
        calls=len(model.calls),
        routing_calls=sum(1 for c in model.calls if c == "Route"),
        input_tokens=usage[0],
        output_tokens=usage[1],
    )


def measure() -> list[tuple[str, Tally, Tally]]:
    registry = load_registry()
    rows = []
    with tempfile.TemporaryDirectory(prefix="opsteam-bench-model-") as scratch:
        for index, (name, request) in enumerate(examples().items()):
            ours, state = run_opsteam(request, Path(scratch) / str(index))
            if state.design is None:  # redirected: neither team asks a model
                continue
            rows.append((name, ours, supervisor_baseline(request, state, registry)))
    return rows


def section(rows: list[tuple[str, Tally, Tally]]) -> str:
    ours, base = Tally(), Tally()
    lines = [
        START_MARK,
        "## Model calls and tokens vs a supervisor-style team (issue 16)",
        "",
        "Same requests (the examples, every checkpoint approved), same counting fake chat model",
        "(`opsteam.tools.fake_model`, about four characters a token). Baseline: a LangGraph",
        "supervisor whose LLM picks the next role at every hop, every call seeing the whole",
        "conversation; its workers answer with opsteam's own decisions and its supervisor picks",
        "exactly the roles opsteam engaged (its best case). opsteam's architect designs by rule",
        "(routing and checkpoints are never the model's), so it makes no model call.",
        "",
        "Reproduce: `.venv/bin/python -m bench.model_calls`",
        "",
        "| request | opsteam calls | baseline calls | routing calls (opsteam / baseline) "
        "| input tokens (opsteam / baseline) | ratio | output tokens (opsteam / baseline) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, mine, theirs in rows:
        ours.add(mine)
        base.add(theirs)
        lines.append(_row(name, mine, theirs))
    lines.append(_row("**all**", ours, base))
    ratio = ours.input_tokens / base.input_tokens
    met = ratio <= TARGET_INPUT_RATIO and ours.routing_calls == 0
    lines += [
        "",
        f"Target: input tokens at most {TARGET_INPUT_RATIO:.0%} of the baseline's, zero routing "
        f"calls. Measured: {ratio:.1%}, {ours.routing_calls} routing calls: "
        f"{'met' if met else '**missed**'}.",
        END_MARK,
    ]
    return "\n".join(lines) + "\n"


def _row(name: str, mine: Tally, theirs: Tally) -> str:
    ratio = mine.input_tokens / theirs.input_tokens if theirs.input_tokens else 0.0
    return (
        f"| {name} | {mine.calls} | {theirs.calls} | {mine.routing_calls} / "
        f"{theirs.routing_calls} | {mine.input_tokens} / {theirs.input_tokens} | {ratio:.2f}x "
        f"| {mine.output_tokens} / {theirs.output_tokens} |"
    )


def write_section(text: str, path: Path = BENCHMARKS) -> None:
    """Replace this benchmark's own section (other sections are left as they are)."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START_MARK in current and END_MARK in current:
        head, rest = current.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1].lstrip("\n")
        current = head + text + ("\n" + tail if tail else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current, encoding="utf-8")


def main() -> int:
    text = section(measure())
    write_section(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
