"""Small text helpers shared by every layer that reads what people wrote."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=4096)
def _word(word: str) -> re.Pattern[str]:
    """A whole word or phrase, its plural too (``bastion`` finds ``bastions``); an
    identifier such as ``external_ref`` is one word, so ``external`` does not match it."""
    body = re.escape(word.lower())
    plural = "(?:e?s)?" if word[-1:].isalpha() and len(word) > 2 else ""
    return re.compile(r"(?<![a-z0-9_])" + body + plural + r"(?![a-z0-9_])")


def mentions(text: str, keywords: Sequence[str]) -> list[str]:
    """Keywords present in ``text`` as whole words or phrases (``text`` is lower-cased)."""
    return [word for word in keywords if _word(word).search(text)]


def first_mention(text: str, keywords: Sequence[str]) -> tuple[int, str] | None:
    """(position, keyword) of the keyword that appears first in ``text``, if any."""
    best: tuple[int, str] | None = None
    for word in keywords:
        match = _word(word).search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), word)
    return best


# Why and when, not what: "ahead of the signup redesign", "since we moved to redis",
# "before the multi-currency launch". Up to the end of the clause.
_REASON = re.compile(
    r"\b(?:because|since|ahead of|due to|so that|so we|now that|as part of)\b[^.;,\n]*"
    r"|\b(?:before|after)\s+(?:the|our|their|next|this)\s+[^.;,\n]*?\b(?:launch|release|sale"
    r"|migration|cutover|deadline|audit|pentest|holidays?|freeze|redesign|rollout|weekend"
    r"|week|month|quarter|sprint)\b"
    # a finding is why, what it was found on is what: "Qualys flagged CVE-1 on the dev boxes"
    r"|\b[\w-]+\s+(?:flagged|found|reported|detected)\s+[^.;,\n]*?(?=\s+on\s+(?:the|our)\b)",
    re.IGNORECASE,
)


def without_reasons(text: str) -> str:
    """``text`` without its reason and timing clauses: what is asked, not why or when."""
    return _REASON.sub(" ", text)


_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>\n]{1,200}>", re.IGNORECASE | re.DOTALL)


def without_markup(text: str) -> str:
    """``text`` without HTML tags and script bodies pasted into it: markup is not a request
    (``<script>alert(1)</script>`` asks for no alert)."""
    return _MARKUP.sub(" ", text)


# Vendors whose names are also everyday words: "the PCI segment", "some slack in the budget".
COMMON_WORD_VENDORS = frozenset({"segment", "slack"})


def names_vendor(word: str, original: str) -> bool:
    """A vendor word counts, except an everyday word the person did not capitalise as a name
    ("Segment" is the vendor, "the CDE segment" a network)."""
    if word not in COMMON_WORD_VENDORS:
        return True
    return re.search(rf"\b{re.escape(word.capitalize())}\b", original) is not None
