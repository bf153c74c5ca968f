"""The conversation engine both chats use: one line in, typed replies out.

It holds no formatting and no transport: the terminal and the web page call :meth:`ChatDesk.
handle` and render what comes back. Requests go through the same intake, graph and
decisions as ``opsteam submit`` / ``opsteam approve``; who may do what comes from the actor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from opsteam.application import access
from opsteam.application.access import Actor
from opsteam.application.asking import QUESTIONS
from opsteam.application.chat import store
from opsteam.application.chat.intent import Intent, read_line
from opsteam.application.chat.replies import (
    ArtifactReply,
    KpiReply,
    QuestionReply,
    Reply,
    RequestReply,
    TableReply,
    TextReply,
)
from opsteam.application.chat.store import Asking, Conversation
from opsteam.application.request_views import detail, find_artifact, with_preview
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam, new_thread_id
from opsteam.domain.errors import InputError, NotFoundError, OpsteamError
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeRequest, Verdict
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs.request import Verifier
from opsteam.intake.answers import answer, complete, read_open
from opsteam.intake.words import Parsed

Progress = Callable[[str], None]
Clock = Callable[[], datetime]
HELP = (
    "Describe what you need in plain words (e.g. 'a Postgres database for billing in prod'). "
    "Then: approve [CHECKPOINT|all] | reject [CHECKPOINT]: REASON | changes [CHECKPOINT]: "
    "WHAT | status [THREAD] | artifacts | show FILE (or: show diagram) | who is on call | "
    "incidents | kpis | cancel | quit"
)
DIAGRAM_WORDS = frozenset({"diagram", "the diagram", "design diagram", "the design diagram"})
_SHOWN_FIELDS = ("type", "component", "environment", "service", "engine", "region")


def read_with_model(
    registry: Registry, text: str, parsed: Parsed
) -> tuple[Parsed, list[Reply], ModelUse | None]:
    """With a model configured, it reads the words too (the rules cross-check); else as is."""
    from opsteam.application.model import words_reader
    from opsteam.domain.settings import load_settings

    reader = words_reader(load_settings(), registry)
    if reader is None:
        return parsed, [], None
    said = str(parsed.form.get("description", ""))
    read = reader(text if text == said else f"{said}\n{text}", parsed)
    notes: list[Reply] = [TextReply(text=f"Model reading: {note}.") for note in reader.notes]
    return read, notes, reader.use


def _now() -> datetime:
    return datetime.now(UTC)


class ChatDesk:
    """One actor's side of conversations with the team, on one data home."""

    def __init__(
        self,
        home: Path,
        registry: Registry,
        actor: Actor,
        *,
        channel: str,
        verifier: Verifier | None = None,
        clock: Clock = _now,
    ) -> None:
        self.home, self.registry, self.actor = home, registry, actor
        self.channel, self.verifier, self.clock = channel, verifier, clock
        self.checkpoints = frozenset(c.kind for c in registry.checkpoints)
        self.redactor = Redactor.for_registry(registry)

    def team(self, progress: Progress | None = None) -> Opsteam:
        return Opsteam(self.home, self.registry, self.verifier, progress=progress)

    # ---- conversations ----------------------------------------------------------------

    def start(self) -> tuple[Conversation, list[Reply]]:
        conversation = store.start(self.home, self.actor.name, self.channel)
        greeting: list[Reply] = [
            TextReply(text=f"Hello {self.actor.name}. What do you need from the team?"),
            TextReply(text=HELP, tone="hint"),
        ]
        store.save(self.home, conversation, None, greeting)
        return conversation, greeting

    def resume(self, conversation_id: str) -> tuple[Conversation, list[Reply]]:
        """The stored conversation and its history; only its owner (or an admin) resumes it."""
        conversation = store.load(self.home, conversation_id)
        if conversation.owner != self.actor.name and not self.actor.may("admin"):
            raise NotFoundError(f"no conversation {conversation_id!r}")
        return conversation, store.history(self.home, conversation.id)

    def handle(
        self, conversation: Conversation, line: str, progress: Progress | None = None
    ) -> list[Reply]:
        """Answer one line; the turn (line and replies) and the new state are stored."""
        line = self.redactor.named(line)  # kept and read as every way out shows it
        asking = conversation.state.asking is not None
        intent = read_line(line, asking=asking, checkpoints=self.checkpoints)
        if intent.kind == "empty":
            return []
        try:
            replies = self._dispatch(conversation, intent, progress)
        except OpsteamError as exc:
            replies = [TextReply(text=line_, tone="error") for line_ in exc.lines()]
        store.save(self.home, conversation, line, replies)
        return replies

    def _dispatch(
        self, conversation: Conversation, intent: Intent, progress: Progress | None
    ) -> list[Reply]:
        kind = intent.kind
        if kind == "quit":
            return [
                TextReply(
                    text=f"Bye. Continue later with: opsteam chat --resume {conversation.id}",
                    tone="hint",
                )
            ]
        if kind == "help":
            return [TextReply(text=HELP, tone="hint")]
        if kind == "cancel":
            conversation.state.asking = None
            return [TextReply(text="Cancelled. What else do you need?")]
        if kind in ("approve", "reject", "changes"):
            return self._decide(conversation, intent, progress)
        if kind in ("request", "answer"):
            return self._words(conversation, intent, progress)
        return self._lookup(conversation, intent)

    def _lookup(self, conversation: Conversation, intent: Intent) -> list[Reply]:
        if intent.kind == "status":
            return self._status(intent.thread)
        if intent.kind in ("show", "artifacts"):
            return self._artifacts(conversation, intent)
        if intent.kind == "oncall":
            return self._oncall()
        if intent.kind == "incidents":
            return self._incidents()
        return self._kpis()

    # ---- requests in words ------------------------------------------------------------

    def _words(
        self, conversation: Conversation, intent: Intent, progress: Progress | None
    ) -> list[Reply]:
        self.actor.require("submit", "submit requests")
        asking = conversation.state.asking
        if asking is not None and asking.kind == "reason":
            conversation.state.asking = None
            decided = Intent(
                asking.verdict or "reject",
                intent.text,
                asking.thread,
                asking.checkpoint,
                asking.all_pending,
            )
            return self._decide(conversation, decided, progress)
        if asking is not None and asking.words is not None:
            parsed = answer(asking.words, asking.field, intent.text, self.registry)
        else:
            understood = read_open(intent.text, self.registry, self.actor.name)
            if understood.redirect is not None:
                r = understood.redirect
                return [
                    TextReply(
                        text=f"This belongs to {r.owner} ({r.topic}): {r.reason}. "
                        "Nothing was submitted."
                    )
                ]
            assert understood.words is not None
            parsed = understood.words
        parsed, notes, reading = read_with_model(self.registry, intent.text, parsed)
        earlier = asking.reading if asking is not None else None
        if earlier is not None:  # the readings of the turns before (a question was asked)
            reading = earlier.plus(reading) if reading is not None else earlier
        if parsed.missing:
            conversation.state.asking = Asking(
                kind="field", field=parsed.missing[0], words=parsed, reading=reading
            )
            return [*notes, self._question(parsed)]
        conversation.state.asking = None
        return [*notes, *self._submit(conversation, complete(parsed), progress, reading)]

    def _question(self, parsed: Parsed) -> QuestionReply:
        field = parsed.missing[0]
        understood = {
            k: ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in parsed.form.items()
            if k in _SHOWN_FIELDS and k not in parsed.missing
        }
        return QuestionReply(
            field=field,
            question=QUESTIONS.get(field, f"What is the {field}?"),
            problems=list(parsed.problems),
            understood=understood,
        )

    def _submit(
        self,
        conversation: Conversation,
        request: ChangeRequest,
        progress: Progress | None,
        reading: ModelUse | None = None,
    ) -> list[Reply]:
        thread = new_thread_id()
        access.record_owner(self.home, thread, self.actor.name, self.channel)
        team = self.team(progress)
        [result] = team.submit([request], thread_ids=[thread], reading=reading)
        state = conversation.state
        state.focus = thread
        state.threads = [*state.threads, thread][-50:]
        return [TextReply(text=f"Submitted as {thread}."), self._result(team, result)]

    @staticmethod
    def _result(team: Opsteam, result: RunResult) -> RequestReply:
        return RequestReply(detail=with_preview(team, result).model_dump(mode="json"))

    # ---- decisions --------------------------------------------------------------------

    def _decide(
        self, conversation: Conversation, intent: Intent, progress: Progress | None
    ) -> list[Reply]:
        self.actor.require("decide", "decide checkpoints; ask an approver")
        thread = self._thread(conversation, intent.thread)
        verdict: Verdict = "approve" if intent.kind == "approve" else intent.kind  # type: ignore[assignment]
        if verdict != "approve" and not intent.text:
            conversation.state.asking = Asking(
                kind="reason",
                verdict=verdict,
                thread=thread,
                checkpoint=intent.checkpoint,
                all_pending=intent.all_pending,
            )
            ask = "Why do you reject it?" if verdict == "reject" else "What should change?"
            return [QuestionReply(field="reason", question=ask)]
        team = self.team(progress)
        pending = [p.id for p in team.status(thread).pending]
        if not pending:
            raise InputError(f"request {thread} is not waiting for a decision")
        if len(pending) > 1 and intent.checkpoint is None and not intent.all_pending:
            raise InputError(
                f"{len(pending)} checkpoints are pending ({', '.join(pending)}): say which, "
                f"e.g. '{verdict} {pending[0]}', or '{verdict} all'"
            )
        result = team.decide(
            thread,
            verdict,
            checkpoint=intent.checkpoint,
            all_pending=intent.all_pending,
            reason=intent.text,
            by=self.actor.name,
        )
        conversation.state.focus = thread
        return [self._result(team, result)]

    def _thread(self, conversation: Conversation, named: str | None) -> str:
        thread = named or conversation.state.focus
        if thread is None:
            raise InputError("which request? name its thread (see: status)")
        if not access.may_read(self.home, self.actor, thread):
            raise NotFoundError(f"no request with thread id {thread!r}")
        return thread

    # ---- looking things up ------------------------------------------------------------

    def _status(self, thread: str | None) -> list[Reply]:
        team = self.team()
        if thread is not None:
            if not access.may_read(self.home, self.actor, thread):
                raise NotFoundError(f"no request with thread id {thread!r}")
            return [RequestReply(detail=detail(team, thread).model_dump(mode="json"))]
        rows = team.threads()
        if not self.actor.may("read-all"):
            mine = access.owned_threads(self.home, self.actor.name)
            rows = [r for r in rows if r.thread_id in mine]
        return [
            TableReply(
                title="Requests",
                columns=["thread", "status", "env", "request"],
                rows=[[r.thread_id, r.status, r.environment, r.request] for r in rows],
                empty="No requests yet: describe what you need.",
            )
        ]

    def _artifacts(self, conversation: Conversation, intent: Intent) -> list[Reply]:
        thread = self._thread(conversation, intent.thread)
        team = self.team()
        if intent.kind == "show" and intent.text.lower() in DIAGRAM_WORDS:
            return [self._diagram(team, thread)]
        if intent.kind == "show":
            item = find_artifact(team, thread, intent.text)
            return [
                ArtifactReply(
                    thread_id=thread,
                    path=item.path,
                    role=self.registry.role(item.role).name,
                    artifact_kind=item.kind,
                    content=item.content,
                )
            ]
        items = team.status(thread).artifacts
        return [
            TableReply(
                title=f"Artifacts of {thread}",
                columns=["path", "role", "kind"],
                rows=[[a.path, a.role, a.kind] for a in items],
                empty="No artifacts yet (they are written after the design is approved).",
            )
        ]

    def _diagram(self, team: Opsteam, thread: str) -> Reply:
        diagram = detail(team, thread).diagram
        if diagram is None:
            raise NotFoundError(
                f"request {thread} has no design diagram yet (it comes with "
                "the plan, after the design is approved)"
            )
        return ArtifactReply(
            thread_id=thread,
            path="design diagram",
            artifact_kind="diagram",
            role=self.registry.role("infrastructure-architect").name,
            content=diagram,
        )

    def _oncall(self) -> list[Reply]:
        from opsteam.application.oncall import shift_view, who_is_on_call

        now = self.clock()
        view = shift_view(who_is_on_call(now, self.registry), now, self.registry)
        rows = []
        for seat in ("primary", "secondary"):
            held = view[seat]
            assert isinstance(held, dict)
            rows.append([seat, str(held["role"]), str(held["person"] or "-")])
        title = f"On call until {view['until']} (handoff {view['handoff_utc']} UTC)"
        return [TableReply(title=title, columns=["seat", "role", "person"], rows=rows)]

    def _incidents(self) -> list[Reply]:
        from opsteam.application.incidents import list_incidents

        rows = list_incidents(self.home, open_only=True, registry=self.registry)
        return [
            TableReply(
                title="Open incidents",
                columns=["id", "sev", "status", "service", "held by", "title"],
                rows=[
                    [
                        r["id"],
                        r["severity"],
                        r["status"],
                        r["service"],
                        str(r["held_by"]),
                        r["title"],
                    ]
                    for r in rows
                ],
                empty="No open incidents.",
            )
        ]

    def _kpis(self) -> list[Reply]:
        from opsteam.application.incidents import kpis
        from opsteam.application.kpi_trend import load_trend
        from opsteam.application.kpis import kpi_rows

        now = self.clock()
        rows = kpi_rows(kpis(self.home, since=None, now=now, registry=self.registry))
        trend = load_trend(self.home, self.registry, until=now)
        return [KpiReply(rows=rows, trend=trend)]
