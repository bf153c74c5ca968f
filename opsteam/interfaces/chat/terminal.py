"""``opsteam chat``: the conversation engine at a terminal (prompt_toolkit line editing, Rich).

The person at the terminal acts as themselves ($OPSTEAM_USER or the login name) with the
rights the command line already gives them. Every line shown passes the roster's redactor.
Without a terminal (a pipe), lines are read plainly from stdin, so scripts can chat too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from opsteam.application.access import Actor
from opsteam.application.chat import ChatDesk, Conversation, Reply, read_line
from opsteam.application.service import current_user
from opsteam.interfaces.chat.render import render
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.output import console, printable
from opsteam.interfaces.startup import settled

PROMPT = "you> "


class TerminalChat:
    def __init__(self, invocation: Invocation) -> None:
        self.invocation = invocation
        self.redactor = invocation.output.redactor
        self.out = console()
        actor = Actor(current_user(), "admin")
        self.desk = ChatDesk(invocation.home, invocation.registry, actor, channel="terminal")

    def show(self, replies: Iterable[Reply], dim: bool = False) -> None:
        for reply in replies:
            data = printable(self.redactor.value(reply.model_dump(mode="json")))
            for item in render(data):
                self.out.print(item, style="dim" if dim else None)

    def progress(self, label: str) -> None:
        self.out.print(f"  ... {self.redactor.text(label)}", style="dim")

    def open(self, resume: str | None) -> Conversation:
        if resume is None:
            conversation, greeting = self.desk.start()
            self.show(greeting)
        else:
            conversation, history = self.desk.resume(resume)
            self.show(history, dim=True)
            self.out.print(f"Resumed {conversation.id}.", style="bold")
        self.out.print(
            f"Conversation {conversation.id} (continue later with: opsteam chat --resume "
            f"{conversation.id})",
            style="dim",
        )
        return conversation

    def loop(self, conversation: Conversation, read: Callable[[], str]) -> int:
        while True:
            try:
                line = read()
            except (EOFError, KeyboardInterrupt):
                self.out.print(f"Saved. Continue with: opsteam chat --resume {conversation.id}")
                return 0
            self.show(self.desk.handle(conversation, line, self.progress))
            if read_line(line, asking=False).kind == "quit":
                return 0


def _reader(invocation: Invocation) -> Callable[[], str]:
    """prompt_toolkit at a terminal (history, editing); plain lines from a pipe."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):

        def plain() -> str:
            sys.stdout.write(PROMPT)
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line.rstrip("\n")

        return plain
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    session: PromptSession[Any] = PromptSession(
        history=FileHistory(str(invocation.home / "chat-history"))
    )
    return lambda: session.prompt(PROMPT)


def run_chat(invocation: Invocation, resume: str | None) -> int:
    chat = TerminalChat(invocation)
    conversation = chat.open(resume)
    settled()
    return chat.loop(conversation, _reader(invocation))
