"""``opsteam mcp``: the team as an MCP server (stdio), for agents that delegate Task-style.

Tools: ``task`` (the whole team or one role), ``status``, ``list_approvals``, ``decide``,
``roster`` and ``show_artifact``; the read-only ones say so in their annotations. Thin: every
tool calls :class:`opsteam.application.task.Tasks` in a worker thread, and everything it
returns or raises passes the loaded roster's :class:`Redactor` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import InputRequiredResult, ToolAnnotations
from pydantic import ValidationError

from opsteam.application.task import PendingApproval, TaskResult, Tasks, subagent_types
from opsteam.domain.errors import OpsteamError, describe_validation_error
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.interfaces.mcp import approvals
from opsteam.interfaces.mcp.approvals import Decision

T = TypeVar("T")
Reply = dict[str, Any]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
SERVER_NAME = "opsteam"


def mcp_hint(pending: PendingApproval) -> str:
    return (
        f"call decide with thread_id={pending.thread_id!r}, approval_id={pending.id!r} and "
        "decision approve, reject (with reason) or request-changes (with reason)"
    )


class TeamServer:
    """The tools, bound to one team (data home, roster, validators) and its exit."""

    def __init__(self, registry: Registry, make_tasks: Callable[[], Tasks]) -> None:
        self.registry = registry
        self.redactor = Redactor.for_registry(registry)
        self._make_tasks = make_tasks
        self._tasks: Tasks | None = None

    @property
    def tasks(self) -> Tasks:
        if self._tasks is None:  # the graph machinery loads on the first tool call
            self._tasks = self._make_tasks()
        return self._tasks

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Known problems become one redacted tool error the model can read and act on."""
        try:
            yield
        except OpsteamError as exc:
            raise ToolError(self.redactor.text("; ".join(exc.lines()))) from None
        except ValidationError as exc:
            raise ToolError(self.redactor.text("; ".join(describe_validation_error(exc)))) from None

    async def call(self, fn: Callable[[], T]) -> T:
        with self._errors():
            return await anyio.to_thread.run_sync(fn)

    def reply(self, data: Any) -> Reply:
        safe: Reply = self.redactor.value(data)
        return safe

    def shaped(self, result: TaskResult, note: str = "") -> Reply:
        data = result.model_dump(mode="json")
        for item, pending in zip(data["pending"], result.pending, strict=True):
            item["decide"] = mcp_hint(pending)
        if note:
            data["note"] = note
        return self.reply(data)

    async def apply(
        self, pending: PendingApproval, answer: approvals.ApprovalAnswer, by: str
    ) -> TaskResult:
        verdict = approvals.VERDICTS[answer.decision]
        if verdict != "approve" and not answer.reason.strip():
            raise ToolError(f"a {answer.decision} decision needs a reason")
        return await self.call(
            lambda: self.tasks.decide(
                pending.thread_id, verdict, approval=pending.id or None, reason=answer.reason, by=by
            )
        )

    async def settle(
        self, result: TaskResult, ctx: Context[Any, Any], problem: str = ""
    ) -> Reply | InputRequiredResult:
        """Ask the person about each pending approval while the client can ask."""
        for _ in range(approvals.MAX_QUESTIONS):
            if result.status != "awaiting-approval" or not approvals.can_ask(ctx):
                break
            pending = result.pending[0]
            message = self.redactor.text(problem + approvals.question(pending, result.request))
            if approvals.asks_by_input_required(ctx):
                return approvals.input_required(pending, message)
            answer = await approvals.ask_now(ctx, message)
            if answer is None:
                return self.shaped(result, "the person did not decide; it is still pending")
            try:
                result = await self.apply(pending, answer, approvals.client_identity(ctx))
                problem = ""
            except ToolError as exc:
                problem = f"Not applied: {exc}\n"
        return self.shaped(result)

    async def resumed(self, ctx: Context[Any, Any]) -> Reply | InputRequiredResult | None:
        """A 2026-07-28 retry carrying the person's answer (None on a first call)."""
        asked = approvals.Asked.decode(ctx.request_state)
        if asked is None:
            return None
        result = await self.call(lambda: self.tasks.status(asked.thread_id))
        responses = ctx.input_responses or {}
        answer = approvals.answer_from(responses.get(approvals.ANSWER_KEY))
        pending = next((p for p in result.pending if p.id == asked.approval), None)
        if pending is None:  # decided elsewhere meanwhile: say where it stands now
            return self.shaped(result)
        if answer is None:
            return self.shaped(result, "the person did not decide; it is still pending")
        try:
            result = await self.apply(pending, answer, approvals.client_identity(ctx))
        except ToolError as exc:
            return await self.settle(result, ctx, f"Not applied: {exc}\n")
        return await self.settle(result, ctx)

    def roster(self) -> Reply:
        reg = self.registry
        return self.reply(
            {
                "team": reg.team.name,
                "lead": reg.role(reg.team.lead).name,
                "mission": reg.team.mission,
                "subagent_types": subagent_types(reg),
                "roles": [
                    {
                        "name": r.name,
                        "slug": r.slug,
                        "title": r.title,
                        "specialty": r.specialty,
                        "primary_responsibility": r.primary_responsibility,
                        "capabilities": list(r.capabilities),
                    }
                    for r in reg.roles
                ],
            }
        )


def _task_help(registry: Registry) -> str:
    kinds = ", ".join(subagent_types(registry))
    return (
        "Delegate an infrastructure request, in plain words, to the whole team "
        f"(subagent_type '{registry.team.slug}') or to one role alone (its slug). Valid "
        f"subagent types: {kinds}. Say the environment (dev, staging or prod) and what to "
        "build or change; missing facts come back as questions. The run pauses at human "
        "checkpoints: if this client can ask the person, it asks; otherwise the result lists "
        "the pending approvals and how to decide them."
    )


def build_server(registry: Registry, make_tasks: Callable[[], Tasks]) -> MCPServer:
    """The MCP server for ``registry``; ``make_tasks`` builds the team on first use."""
    team = TeamServer(registry, make_tasks)
    server = MCPServer(
        SERVER_NAME,
        instructions=f"{registry.team.name}: {registry.team.mission}",
    )

    async def task(
        subagent_type: str, prompt: str, ctx: Context[Any, Any], requester: str | None = None
    ) -> Reply | InputRequiredResult:
        resumed = await team.resumed(ctx)
        if resumed is not None:
            return resumed
        who = requester or approvals.client_identity(ctx)
        result = await team.call(lambda: team.tasks.run(subagent_type, prompt, requester=who))
        return await team.settle(result, ctx)

    async def decide(
        thread_id: str,
        decision: Decision,
        ctx: Context[Any, Any],
        approval_id: str | None = None,
        reason: str = "",
    ) -> Reply | InputRequiredResult:
        """Decide a pending approval: approve, reject (reason required) or request-changes
        (reason says what to change). Recorded with this client's identity; the run resumes."""
        resumed = await team.resumed(ctx)
        if resumed is not None:
            return resumed
        answer = approvals.ApprovalAnswer(decision=decision, reason=reason)
        if approval_id is None:  # the one pending approval, or say which there are
            waiting = (await team.call(lambda: team.tasks.status(thread_id))).pending
            if len(waiting) > 1:
                ids = ", ".join(p.id for p in waiting)
                raise ToolError(f"{len(waiting)} approvals are pending ({ids}); give approval_id")
        pending = PendingApproval(thread_id=thread_id, id=approval_id or "", name="", reason="")
        result = await team.apply(pending, answer, approvals.client_identity(ctx))
        return await team.settle(result, ctx)

    async def status(thread_id: str | None = None) -> Reply:
        """One request's status (thread_id), or the most recent requests."""
        if thread_id is None:
            rows = await team.call(lambda: team.tasks.team.threads())
            return team.reply({"requests": [r.model_dump(mode="json") for r in rows]})
        result = await team.call(lambda: team.tasks.status(thread_id))
        return team.shaped(result)

    async def list_approvals() -> Reply:
        """Every checkpoint waiting for a person, with its id, reason and how to decide it."""
        found = await team.call(lambda: team.tasks.approvals())
        items = [{**p.model_dump(mode="json"), "decide": mcp_hint(p)} for p in found]
        return team.reply({"approvals": items})

    async def roster() -> Reply:
        """The team and its roles by public name, and the valid subagent types."""
        return team.roster()

    async def show_artifact(thread_id: str, path: str) -> Reply:
        """One artifact's content (as the bundle writes it), by the path a result lists."""
        found = await team.call(lambda: team.tasks.artifact(thread_id, path))
        return team.reply(found.model_dump(mode="json"))

    server.add_tool(task, name="task", description=_task_help(registry), annotations=WRITES)
    server.add_tool(decide, name="decide", annotations=WRITES)
    for tool in (status, list_approvals, roster, show_artifact):
        server.add_tool(tool, name=tool.__name__, annotations=READ_ONLY)
    return server
