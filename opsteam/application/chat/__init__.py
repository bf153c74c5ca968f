"""Conversations with the team: the engine both chat interfaces (terminal, web) share."""

from opsteam.application.chat.engine import ChatDesk
from opsteam.application.chat.intent import Intent, read_line
from opsteam.application.chat.replies import Reply
from opsteam.application.chat.store import Conversation

__all__ = ["ChatDesk", "Conversation", "Intent", "Reply", "read_line"]
