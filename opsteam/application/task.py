"""Task-style delegation: ``task(subagent_type, prompt)`` for the whole team or one role.

This is how agent users already hand work over (``Task -> subagent_type: "infrastructure-team"``).
Every way in (Python, ``opsteam task``, the MCP server) goes through :class:`Tasks`: plain
words through the same intake, the same graphs, the same checkpoints, and results that have
already passed the single exit (the loaded roster's :class:`Redactor`), so a
:class:`TaskResult` can be shown as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from opsteam.domain.errors import InputError, NotFoundError
from opsteam.domain.models import Artifact, Verdict
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry, RoleSlug, is_core, load_registry

if TYPE_CHECKING:
    from opsteam.application.results import RunResult
    from opsteam.application.service import Opsteam
    from opsteam.graphs.request import Verifier
    from opsteam.graphs.state import RequestState

TaskStatus = Literal[
    "completed", "awaiting-approval", "rejected", "redirected", "failed", "needs-input"
]
TASK_EXIT_CODES: dict[str, int] = {
    "completed": 0,
    "redirected": 0,
    "rejected": 0,
    "awaiting-approval": 3,
    "needs-input": 2,
    "failed": 1,
}


class PendingApproval(BaseModel):
    """A checkpoint waiting for a person: which request, which checkpoint, why, and how."""

    thread_id: str
    id: str
    name: str
    reason: str
    decide: str = ""
    # What approving lets change: resources, monthly cost, risk, rollback, where the files are.
    review: list[str] = Field(default_factory=list)


class TaskArtifact(BaseModel):
    path: str
    role: str
    kind: str
    # Of the file as written (after redaction): equal hashes, byte-identical files.
    sha256: str


class TaskResult(BaseModel):
    """What a delegated task came to; already redacted, safe to show as it is."""

    subagent_type: str
    status: TaskStatus
    summary: str
    # The request's title (empty when nothing ran: questions asked, or redirected).
    request: str = ""
    roles: list[str] = Field(default_factory=list)
    artifacts: list[TaskArtifact] = Field(default_factory=list)
    pending: list[PendingApproval] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    thread_id: str | None = None
    bundle: str | None = None
    # With a chat model: what its reading of the words proposed that the rules dropped.
    notes: list[str] = Field(default_factory=list)
    # What the team assumed rather than read from the request, each to confirm.
    assumptions: list[str] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return TASK_EXIT_CODES[self.status]


class ArtifactText(BaseModel):
    thread_id: str
    path: str
    role: str
    kind: str
    sha256: str
    content: str


def subagent_types(registry: Registry) -> list[str]:
    """The whole team's slug, then every core seat's, in roster order (a role added as data
    works inside the team, never alone)."""
    return [registry.team.slug, *(r.slug for r in registry.roles if r.core)]


def how_to_decide(thread_id: str, checkpoint: str) -> str:
    return (
        f"opsteam approve {thread_id} --checkpoint {checkpoint} "
        "(or --reject --reason TEXT, or --changes TEXT)"
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Tasks:
    """Delegation on top of one :class:`Opsteam` (its data home, roster and validators)."""

    def __init__(self, team: Opsteam) -> None:
        self.team = team
        self.registry = team.registry
        self.redactor = Redactor.for_registry(team.registry)

    def only_for(self, subagent_type: str) -> RoleSlug | None:
        """None for the whole team, else the role's slug; an unknown type lists the valid ones."""
        valid = subagent_types(self.registry)
        if subagent_type not in valid:
            raise InputError(
                f"subagent_type: unknown {subagent_type!r}; valid types: {', '.join(valid)}"
            )
        if subagent_type == self.registry.team.slug:
            return None
        slug = self.registry.role(subagent_type).slug
        return slug if is_core(slug) else None

    def run(
        self,
        subagent_type: str,
        prompt: str,
        *,
        requester: str | None = None,
        out: Path | None = None,
    ) -> TaskResult:
        """Plain words in; missing required facts come back as questions, never guessed."""
        from opsteam.application.model import words_reader
        from opsteam.application.service import current_user
        from opsteam.intake.forms import MAX_INPUT_BYTES
        from opsteam.intake.read import understand_words
        from opsteam.intake.words import parse_words

        only = self.only_for(subagent_type)
        who = requester or current_user()
        reader = words_reader(self.team.settings, self.registry)  # None: the rules alone
        try:
            understood = understand_words(prompt, self.registry, who, reader)
        except InputError:  # unusable words; when only facts are missing, ask for them
            usable = prompt.strip() and len(prompt.encode("utf-8")) <= MAX_INPUT_BYTES
            parsed = parse_words(prompt, self.registry, who) if usable else None
            if parsed is None or not parsed.missing:
                raise
            summary = "Needs input: " + "; ".join(parsed.questions())
            return self._safe(
                {
                    "subagent_type": subagent_type,
                    "status": "needs-input",
                    "summary": summary,
                    "questions": parsed.questions(),
                }
            )
        if understood.redirect is not None:
            redirect = understood.redirect
            summary = f"Redirected to {redirect.owner}: {redirect.reason}."
            return self._safe(
                {"subagent_type": subagent_type, "status": "redirected", "summary": summary}
            )
        reading = reader.use if reader is not None else None
        [run] = self.team.submit(understood.requests[:1], out=out, only=only, reading=reading)
        result = self._result(run, self.team.state(run.thread_id))
        notes = list(reader.notes) if reader is not None else []
        return self._safe({**result.model_dump(), "notes": notes}) if notes else result

    def status(self, thread_id: str) -> TaskResult:
        return self._result(self.team.status(thread_id), self.team.state(thread_id))

    def decide(
        self,
        thread_id: str,
        verdict: Verdict,
        *,
        approval: str | None = None,
        reason: str = "",
        by: str | None = None,
        out: Path | None = None,
    ) -> TaskResult:
        run = self.team.decide(
            thread_id, verdict, checkpoint=approval, reason=reason, by=by, out=out
        )
        return self._result(run, self.team.state(thread_id))

    def approvals(self, limit: int = 50) -> list[PendingApproval]:
        """Every checkpoint waiting for a person, most recently updated request first."""
        found: list[PendingApproval] = []
        for row in self.team.threads(limit):
            if row.status != "awaiting-approval":
                continue
            found += self._pending(self.team.status(row.thread_id))
        return found

    def artifact(self, thread_id: str, path: str) -> ArtifactText:
        """One artifact's text, as the bundle would hold it (redacted)."""
        artifacts = self.team.show(thread_id)[1]  # at rest: from the saved view, no graph state
        match = next((a for a in artifacts if a.path == path), None)
        if match is None:
            paths = ", ".join(a.path for a in artifacts) or "none yet"
            raise NotFoundError(f"request {thread_id} has no artifact {path!r}; artifacts: {paths}")
        content = self.redactor.text(match.content)
        data = {
            "thread_id": thread_id,
            "path": match.path,
            "role": self.registry.role(match.role).name,
            "kind": match.kind,
            "sha256": _sha(content),
            "content": content,
        }
        return ArtifactText.model_validate(self.redactor.value(data))

    def _pending(self, run: RunResult) -> list[PendingApproval]:
        return [
            PendingApproval(
                thread_id=run.thread_id,
                id=p.id,
                name=p.name,
                reason=p.reason,
                decide=how_to_decide(run.thread_id, p.id),
                review=run.review.lines if run.review is not None else [],
            )
            for p in run.pending
        ]

    def _artifacts(self, artifacts: list[Artifact]) -> list[dict[str, str]]:
        return [
            {
                "path": a.path,
                "role": self.registry.role(a.role).name,
                "kind": a.kind,
                "sha256": _sha(self.redactor.text(a.content)),
            }
            for a in artifacts
        ]

    def _result(self, run: RunResult, state: RequestState) -> TaskResult:
        data: dict[str, Any] = {
            "subagent_type": state.only or self.registry.team.slug,
            "status": run.status if run.status != "running" else "failed",
            "summary": run.summary,
            "request": run.request,
            "roles": run.team,
            "artifacts": self._artifacts(state.all_artifacts()),
            "pending": [p.model_dump() for p in self._pending(run)],
            "thread_id": run.thread_id,
            "bundle": run.bundle,
            "assumptions": run.assumptions,
        }
        return self._safe(data)

    def _safe(self, data: dict[str, Any]) -> TaskResult:
        """Through the single exit before anyone sees it."""
        return TaskResult.model_validate(self.redactor.value(data))


def _tasks(
    home: str | Path | None,
    registry: Registry | str | Path | None,
    verifier: Verifier | None,
    progress: Callable[[str], None] | None,
) -> Tasks:
    from opsteam.application.service import Opsteam

    roster = registry if isinstance(registry, Registry) else load_registry(registry)
    return Tasks(Opsteam(home, roster, verifier=verifier, progress=progress))


def task(
    subagent_type: str,
    prompt: str,
    *,
    home: str | Path | None = None,
    registry: Registry | str | Path | None = None,
    requester: str | None = None,
    out: str | Path | None = None,
    verifier: Verifier | None = None,
    progress: Callable[[str], None] | None = None,
) -> TaskResult:
    """Delegate ``prompt`` (plain words) to the whole team or to one role alone.

    ``subagent_type`` is the team's slug (``infrastructure-team``: the whole flow) or a role's
    slug from the loaded roster (that role alone). Options: ``home`` (data directory, default
    ``$OPSTEAM_HOME``), ``registry`` (a roster or its path), ``requester`` (who asks),
    ``out`` (write the bundle there), ``verifier`` (validators; default the real ones) and
    ``progress`` (called with each finished step). A run that pauses comes back
    ``awaiting-approval`` with its pending approvals; decide them with ``opsteam approve``
    or :meth:`Tasks.decide`. Raises :class:`opsteam.domain.errors.InputError` for an unknown
    ``subagent_type`` (naming the valid ones) or unusable words.
    """
    tasks = _tasks(home, registry, verifier, progress)
    return tasks.run(
        subagent_type, prompt, requester=requester, out=Path(out) if out is not None else None
    )


async def atask(
    subagent_type: str,
    prompt: str,
    *,
    home: str | Path | None = None,
    registry: Registry | str | Path | None = None,
    requester: str | None = None,
    out: str | Path | None = None,
    verifier: Verifier | None = None,
    progress: Callable[[str], None] | None = None,
) -> TaskResult:
    """:func:`task` for async callers: runs in a worker thread, the event loop stays free."""
    return await asyncio.to_thread(
        task,
        subagent_type,
        prompt,
        home=home,
        registry=registry,
        requester=requester,
        out=out,
        verifier=verifier,
        progress=progress,
    )
