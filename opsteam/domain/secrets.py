"""Secret masking: recognise credentials by pattern and by structure, replace them in place.

Hand-written rules rather than a detector library: the usual libraries judge by file type
and entropy (``DB_PASSWORD=hunter2x`` in plain text passes them), and masking must work on
free text offline. Each rule names what it masked, so a reader knows what was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MASK = "[redacted]"
# Names whose value is a secret when assigned (``DB_PASSWORD=value``, ``password: value``):
# snake/kebab/dotted names ending in a secret word (camelCase fields such as
# ``automountServiceAccountToken`` are settings, not secrets), and a few well-known variables.
_SECRET_WORD = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?)"
)
_SECRET_NAME = (
    r"(?<![A-Za-z0-9_.-])(?:(?:[A-Za-z0-9]+[_.-])*" + _SECRET_WORD + r"|pgpassword|mysql_pwd)"
    r"(?![A-Za-z0-9])"
)
# Values that are settings or references, never secrets (``manage_password = true``).
_NOT_A_VALUE = r"(?!(?:true|false|null|none|yes|no)\b)(?!(?:var|local|data|module)\.)(?![\[{<$])"


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    # Text that every match contains: a rule whose hints are all absent is skipped, which
    # keeps masking cheap enough to run in every text field's validator.
    hints: tuple[str, ...] = ()
    # For a rule whose matches never span a line: words (lower case) one of which every match
    # holds, case-insensitively. Only the lines holding one are searched, so a long file
    # with a few such lines costs a scan for the words, not the pattern at every position.
    line_words: tuple[str, ...] = ()

    def applies(self, text: str) -> bool:
        return not self.hints or any(h in text for h in self.hints)

    def mask(self, text: str, folded: str | None = None) -> str:
        """``text`` masked; ``folded``: ``_folded(text)`` when the caller has it already."""
        if not self.line_words:
            return self.pattern.sub(self.replace, text)
        if folded is None:
            folded = _folded(text)
        found = _word_lines(self.line_words, folded)
        if not found:
            return text
        lines = text.split("\n")
        if len(lines) != folded.count("\n") + 1:  # never: folding keeps line breaks
            return self.pattern.sub(self.replace, text)
        for index in found:
            lines[index] = self.pattern.sub(self.replace, lines[index])
        return "\n".join(lines)


def _word_lines(words: tuple[str, ...], folded: str) -> list[int]:
    """The numbers of the lines of ``folded`` holding one of ``words`` (none spans a line),
    in order. A substring search per word (one pass of the text each, much faster than a
    pattern of alternatives), then line breaks counted only up to each line found."""
    starts = set()
    for word in words:
        at = folded.find(word)
        while at != -1:
            starts.add(at)
            end = folded.find("\n", at)  # the rest of this line is found already
            at = folded.find(word, end + 1) if end != -1 else -1
    found: list[int] = []
    line, counted = 0, 0
    for start in sorted(starts):
        line += folded.count("\n", counted, start)
        counted = start
        if not found or found[-1] != line:
            found.append(line)
    return found


# What IGNORECASE matching equates: case folding, plus the Turkish dotted and dotless i,
# which the pattern engine matches to "i" but folding does not turn into a plain "i".
_TURKISH_I = str.maketrans({"\u0130": "i", "\u0131": "i"})


def _folded(text: str) -> str:
    if text.isascii():  # the same, without a lookup per character: ASCII folds to lower case
        return text.lower()
    if "\u0130" in text or "\u0131" in text:
        text = text.translate(_TURKISH_I)
    return text.casefold()


def _whole(kind: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: f"[redacted-{kind}]"


def _keep_prefix(match: re.Match[str]) -> str:
    return f"{match.group('keep')}{MASK}"


_RULES: tuple[_Rule, ...] = (
    # PEM private keys, complete or cut short (a BEGIN line with no END line).
    _Rule(
        "private-key",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----"
            r"|[\s\S]*\Z)"
        ),
        _whole("private-key"),
        ("-----BEGIN",),
    ),
    # user:password@ in any URL scheme (postgresql://, mysql://, redis://, https://...).
    _Rule(
        "url-password",
        re.compile(r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)"),
        _keep_prefix,
        ("://",),
        ("://",),
    ),
    _Rule(
        "aws-key",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
        _whole("aws-key"),
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
    ),
    _Rule(
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        _whole("token"),
        # What every match holds (case-sensitive, as the pattern is): "gh" alone is in
        # many words, and each text holding it paid a search for the pattern.
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _Rule("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), _whole("token"), ("glpat-",)),
    _Rule("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), _whole("token"), ("xox",)),
    _Rule(
        "api-key",
        re.compile(r"\b(?:sk-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35})"),
        _whole("token"),
        ("sk-", "sk_live_", "AIza"),
    ),
    _Rule(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
        _whole("token"),
        ("eyJ",),
    ),
    _Rule(
        "bearer",
        re.compile(r"(?P<keep>\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}"),
        _keep_prefix,
        ("earer",),
    ),
    # NAME=value, NAME: value, "name": "value" for secret-looking names.
    _Rule(
        "assignment",
        re.compile(
            r"(?P<keep>"
            + _SECRET_NAME
            + r"[\"']?[ \t]*(?:=|:)[ \t]*[\"']?)"  # on its own line: "secret:\n  name" is a key
            + _NOT_A_VALUE
            + r"[^\s\"',;]+",
            re.IGNORECASE,
        ),
        _keep_prefix,
        ("=", ":"),
        (
            # Every name above ends in one of these (pgpassword and mysql_pwd included).
            *("password", "passwd", "passphrase", "pwd", "secret", "token", "credential"),
            *("apikey", "api_key", "api-key", "accesskey", "access_key", "access-key"),
            *("privatekey", "private_key", "private-key"),
        ),
    ),
)


def mask_secrets(text: str) -> str:
    """``text`` with every recognised secret replaced by a ``[redacted...]`` marker."""
    folded = None  # the text folded once for the line rules, until a rule changes it
    for rule in _RULES:
        if rule.applies(text):
            if rule.line_words and folded is None:
                folded = _folded(text)
            masked = rule.mask(text, folded)
            if masked != text:
                text, folded = masked, None
    return text


def secret_kinds(text: str) -> list[str]:
    """Which kinds of secret ``text`` holds (empty when none), for clear refusals."""
    return [rule.kind for rule in _RULES if rule.applies(text) and rule.pattern.search(text)]


def mask_value(value: Any) -> Any:
    """Any JSON-like value with every string in it (keys too) masked; other values unchanged."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, Mapping):
        return {mask_value(k): mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value
