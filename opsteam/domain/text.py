"""Small text helpers shared by every layer that reads what people wrote."""

from __future__ import annotations

import re
from collections.abc import Sequence


def mentions(text: str, keywords: Sequence[str]) -> list[str]:
    """Keywords present in ``text`` as whole words or phrases (``text`` is lower-cased)."""
    found = []
    for word in keywords:
        pattern = r"(?<![a-z0-9])" + re.escape(word.lower()) + r"(?![a-z0-9])"
        if re.search(pattern, text):
            found.append(word)
    return found
