"""What one chat line asks for: a pure reading of the words, no I/O.

Commands are recognised only by how a line starts ("approve", "reject ...", "status",
"show ...", "who is on call", "kpis"...); anything else is a new request in plain words, or
the answer to the question the team just asked.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

IntentKind = Literal[
    "empty",
    "quit",
    "help",
    "cancel",
    "approve",
    "reject",
    "changes",
    "status",
    "show",
    "artifacts",
    "oncall",
    "incidents",
    "kpis",
    "answer",
    "request",
]


@dataclass(frozen=True)
class Intent:
    kind: IntentKind
    text: str = ""  # request words, an answer, a reason or feedback, what to show
    thread: str | None = None
    checkpoint: str | None = None
    all_pending: bool = False


THREAD = re.compile(r"\bchg-[0-9a-f]{12}\b")
_FIXED_PATTERNS: tuple[tuple[str, IntentKind], ...] = (
    (r"/?(quit|exit|bye|q)", "quit"),
    (r"/?(help|\?|what can you do\??)", "help"),
    (r"/?(cancel|never ?mind|forget it)", "cancel"),
    (r"/?(artifacts|files|list (artifacts|files)|show (artifacts|files))", "artifacts"),
    (r"/?(who('s| is) on[- ]?call( now)?\??|on[- ]?call( now)?\??)", "oncall"),
    (r"/?((list |show |any )?(open )?incidents\??|what is on fire\??)", "incidents"),
    (r"/?((show |our |the )?kpis?|how are we doing\??)", "kpis"),
)
_FIXED = tuple((re.compile(p, re.IGNORECASE), kind) for p, kind in _FIXED_PATTERNS)
_STATUS = re.compile(
    r"^/?(status|my requests|list requests|requests)\b\s*(?P<rest>.*)$", re.IGNORECASE
)
_SHOW = re.compile(r"^/?(show|open|view|cat)\s+(?P<rest>.+)$", re.IGNORECASE)
_DECIDE = re.compile(
    r"^/?(?P<verb>approve|approved|lgtm|reject|rejected|request changes|changes|change request)"
    r"\b\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_VERBS: dict[str, IntentKind] = {
    "approve": "approve",
    "approved": "approve",
    "lgtm": "approve",
    "reject": "reject",
    "rejected": "reject",
    "request changes": "changes",
    "changes": "changes",
    "change request": "changes",
}
_SEPARATOR = re.compile(r"^\s*(?::|-|,|because\b|since\b|as\b|with\b)\s*", re.IGNORECASE)


def _decision(verb: str, rest: str, checkpoints: Collection[str]) -> Intent:
    """``reject production-change: too risky`` -> reject, that checkpoint, that reason."""
    kind = _VERBS[verb.lower()]
    thread = None
    found = THREAD.match(rest.strip())
    if found:
        thread, rest = found.group(0), rest.strip()[found.end() :]
    words = rest.strip()
    checkpoint, all_pending = None, False
    head = re.match(r"^(?P<word>[a-z][a-z-]*)\b", words, re.IGNORECASE)
    if head and head.group("word").lower() in ("all", "everything", "both"):
        all_pending, words = True, words[head.end() :]
    elif head and head.group("word").lower() in checkpoints:
        checkpoint, words = head.group("word").lower(), words[head.end() :]
    reason = _SEPARATOR.sub("", words, count=1).strip()
    return Intent(kind, reason, thread, checkpoint, all_pending)


def read_line(line: str, *, asking: bool, checkpoints: Collection[str] = ()) -> Intent:
    """The intent of ``line``; ``asking`` means a question is open (the line may answer it)."""
    text = line.strip()
    if not text:
        return Intent("empty")
    for pattern, kind in _FIXED:
        if pattern.fullmatch(text):
            return Intent(kind)
    decided = _DECIDE.match(text)
    if decided:
        return _decision(decided.group("verb"), decided.group("rest"), checkpoints)
    status = _STATUS.match(text)
    if status:
        thread = THREAD.search(status.group("rest"))
        return Intent("status", thread=thread.group(0) if thread else None)
    show = _SHOW.match(text)
    if show:
        rest = show.group("rest")
        thread = THREAD.search(rest)
        what = THREAD.sub("", rest).strip()
        return Intent("show", what, thread.group(0) if thread else None)
    return Intent("answer" if asking else "request", text)
