"""Shared by the chat and API tests: internal-ID scanning and the reference request."""

from __future__ import annotations

import re

ANY_ID = re.compile(r"INF\s*[-_]?\s*\d{3}", re.IGNORECASE)
# Names no environment: every interface must ask for it.
WORDS = (
    "We need a new Postgres database for the billing service because the billing launch "
    "is next month"
)
ANSWER = "prod"


def no_internal_ids(*shown: str) -> None:
    found = [m.group(0) for text in shown for m in ANY_ID.finditer(text)]
    assert not found, f"internal IDs shown: {found[:5]}"
