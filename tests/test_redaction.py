"""No internal ID survives the exit, whatever text surrounds it."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from opsteam.domain.redaction import redact, redact_text
from opsteam.interfaces.output import to_json

ANY_ID = re.compile(r"INF\s*[-\u2010-\u2015\u2212_]?\s*\d{3}", re.IGNORECASE)
IDS = st.sampled_from([f"INF-00{i}" for i in range(1, 7)])
VARIANTS = st.sampled_from(["{}", "{}".lower(), " {} ", "x{}y", "({})", "**{}**"])


@st.composite
def text_with_ids(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.text(max_size=30), IDS, VARIANTS), min_size=1, max_size=5))
    out = ""
    for filler, ident, shape in parts:
        ident = ident.lower() if draw(st.booleans()) else ident
        ident = ident.replace("-", draw(st.sampled_from(["-", "\u2011", "_", " ", ""])))
        out += filler + shape.format(ident)
    return out + draw(st.text(max_size=30))


@given(text_with_ids())
@settings(max_examples=300)
def test_text_never_keeps_an_id(text: str) -> None:
    assert not ANY_ID.search(redact_text(text))


@given(
    st.recursive(
        text_with_ids() | st.integers() | st.none(),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(text_with_ids(), children, max_size=3)
        ),
        max_leaves=10,
    )
)
@settings(max_examples=150)
def test_nested_data_and_json_never_keep_an_id(value: object) -> None:
    assert not ANY_ID.search(json.dumps(redact(value), ensure_ascii=False))
    assert not ANY_ID.search(to_json(value))


def test_ids_become_public_names() -> None:
    assert redact_text("ask INF-004 then INF-001") == (
        "ask Database Administrator then Infrastructure Architect"
    )
    assert redact_text("INF-042 is unknown") == "a team member is unknown"


def test_secrets_are_masked() -> None:
    text = "key AKIAABCDEFGHIJKLMNOP password=hunter2 Authorization: Bearer abcdefghijkl123"
    out = redact_text(text)
    assert "AKIA" not in out and "hunter2" not in out and "abcdefghijkl123" not in out
