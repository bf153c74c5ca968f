"""A scripted chat model: the in-memory fake of the model boundary, shaped like a real one.

It answers with AIMessages carrying tool calls (so ``with_structured_output`` works through
LangChain's own tool parsing) and ``usage_metadata`` (token counts: about four characters a
token). Replies are queued per tool name (the schema asked for), so parallel roles each get
their own, in any order. A reply is one of:

- ``"draft"``: accept the playbook draft the prompt carries;
- ``{"patch": {...}}``: the draft with these fields replaced (nested dicts merge);
- ``{"args": {...}}``: exactly these arguments;
- ``{"content": "..."}``: plain text, no tool call (a model that ignores the schema);
- ``{"raw_args": "..."}``: a tool call whose arguments are not JSON;
- a callable ``(messages, tool) -> AIMessage`` (tests).

``OPSTEAM_MODEL=scripted:replies.json`` loads ``{"<tool>": [reply, ...], "default": reply}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import PrivateAttr

from opsteam.domain.errors import InputError

DRAFT_OPEN = "<draft>"
DRAFT_CLOSE = "</draft>"
Reply = Any  # str | dict[str, Any] | Callable[[Sequence[BaseMessage], str], AIMessage]


def tokens(text: str) -> int:
    """A deterministic token estimate (the benchmark compares like with like)."""
    return max(1, len(text) // 4)


def draft_in(messages: Sequence[BaseMessage]) -> dict[str, Any]:
    """The playbook draft the last prompt carries (between the draft markers)."""
    text = str(messages[-1].content)
    start = text.rfind(DRAFT_OPEN)
    end = text.rfind(DRAFT_CLOSE)
    if start < 0 or end < start:
        return {}
    loaded: dict[str, Any] = json.loads(text[start + len(DRAFT_OPEN) : end])
    return loaded


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class ScriptedChatModel(BaseChatModel):
    """Replies from a script; ``assert_all_used`` proves every scripted reply was consumed."""

    script: dict[str, list[Reply]]
    default: Reply | None = None
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _queues: dict[str, list[Reply]] = PrivateAttr(default_factory=dict)
    _calls: list[str] = PrivateAttr(default_factory=list)
    _tokens: list[int] = PrivateAttr(default_factory=lambda: [0, 0])

    def model_post_init(self, context: Any) -> None:
        self._queues = {name: list(replies) for name, replies in self.script.items()}

    @classmethod
    def from_file(cls, path: str) -> ScriptedChatModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"scripted model file {path!r} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"scripted model file {path!r} must hold a JSON object")
        default = data.pop("default", None)
        return cls(script={k: list(v) for k, v in data.items()}, default=default)

    @property
    def _llm_type(self) -> str:
        return "opsteam-scripted"

    @property
    def calls(self) -> list[str]:
        """The tool (schema) name of every call, in order."""
        return list(self._calls)

    def usage(self) -> tuple[int, int]:
        """Input and output tokens of every call so far."""
        return self._tokens[0], self._tokens[1]

    def unused(self) -> dict[str, int]:
        return {name: len(q) for name, q in self._queues.items() if q}

    def assert_all_used(self) -> None:
        left = self.unused()
        if left:
            raise AssertionError(f"scripted replies never used: {left}")

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        names = [convert_to_openai_tool(t)["function"]["name"] for t in tools]
        return self.bind(tool_names=names, tool_choice=tool_choice, **kwargs)

    def _next(self, tool: str) -> Reply:
        with self._lock:
            self._calls.append(tool)
            queue = self._queues.get(tool) or self._queues.get("*")
            if queue:
                return queue.pop(0)
        if self.default is not None:
            return self.default
        raise AssertionError(f"the scripted model has no reply left for {tool or 'plain text'}")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        names: list[str] = kwargs.get("tool_names") or []
        tool = names[0] if names else ""
        message = self._answer(self._next(tool), messages, tool)
        prompt = "".join(str(m.content) for m in messages)
        out = json.dumps(message.tool_calls) + str(message.content)
        message.usage_metadata = {
            "input_tokens": tokens(prompt),
            "output_tokens": tokens(out),
            "total_tokens": tokens(prompt) + tokens(out),
        }
        with self._lock:
            self._tokens[0] += tokens(prompt)
            self._tokens[1] += tokens(out)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _answer(self, reply: Reply, messages: Sequence[BaseMessage], tool: str) -> AIMessage:
        if callable(reply):
            answer: AIMessage = reply(messages, tool)
            return answer
        if reply == "draft":
            reply = {"args": draft_in(messages)}
        if not isinstance(reply, dict):
            return AIMessage(content=str(reply))
        if "content" in reply:
            return AIMessage(content=str(reply["content"]))
        if "raw_args" in reply:
            bad = {"name": tool, "args": str(reply["raw_args"]), "id": "call-0", "error": "json"}
            return AIMessage(content="", invalid_tool_calls=[bad])
        args = reply.get("args")
        if args is None:
            args = merge(draft_in(messages), dict(reply.get("patch", {})))
        return AIMessage(content="", tool_calls=[{"name": tool, "args": args, "id": "call-0"}])


ReplyFn = Callable[[Sequence[BaseMessage], str], AIMessage]
