"""Only what changes is written: a graph's input without its defaults, nodes without no-op
keys, a sent state and a large input by the hashes of their members. (Sizes are in bench/.)"""

from __future__ import annotations

from pathlib import Path

from langgraph.types import Send

from opsteam.application.artifact_store import SentModel, StoredValue
from opsteam.application.blobs import BlobStore
from opsteam.application.checkpoints import serializer
from opsteam.domain.models import Artifact
from opsteam.graphs.state import RequestState, changes, input_of, lean
from tests.test_checkpoint_blobs import PROD


def state(**fields: object) -> RequestState:
    return RequestState.model_validate({"thread_id": "chg-1", "request": PROD[0], **fields})


def test_the_input_leaves_out_defaults_and_reads_back_the_same() -> None:
    given = state(round=2)
    sent = input_of(given)
    assert set(sent) == {"thread_id", "request", "round"}
    assert RequestState.model_validate(sent) == given


def test_a_node_writes_only_what_changes_the_state_through_its_reducer() -> None:
    before = state(worked=["network-engineer"], artifacts={"network-engineer": []})
    update = {
        "status": "running",  # as it is
        "summary": "new",
        "worked": ["network-engineer"],  # already there (add_unique)
        "artifacts": {"network-engineer": []},  # the same list (by_role)
        "decisions": [],  # nothing added (operator.add)
        "plan": None,
    }
    assert changes(before, update) == {"summary": "new"}
    assert lean(lambda s: update)(before) == {"summary": "new"}
    assert lean(lambda s: {"x": 1})({"task": 1}) == {"x": 1}  # a sent task: as returned


def test_a_sent_state_and_a_large_input_are_stored_by_member_and_load_back(tmp_path: Path) -> None:
    store = BlobStore.sqlite(str(tmp_path / "c.sqlite"))
    serde = serializer(store)
    text = "resource x {}\n" * 200
    made = Artifact(path="a.tf", role="network-engineer", kind="terraform", content=text)
    full = state(summary="s", artifacts={"network-engineer": [made]})
    sends = [Send("network-engineer", full), Send("checkpoint", {"checkpoint": "x"})]
    blobs: dict[str, bytes] = {}
    stored = serde._stored(sends, blobs)
    assert isinstance(stored[0].arg, SentModel) and stored[0].arg.stored  # hashes, not a copy
    assert stored[1] == sends[1]
    assert serde.loads_typed(serde.dumps_typed(sends)) == sends
    big = input_of(full)
    kind, data = serde.dumps_typed(big)
    assert serde.loads_typed((kind, data)) == big
    assert isinstance(serde._stored(big, {}), dict)  # large members named, the rest inline
    assert not isinstance(serde._stored({"a": 1}, {}), StoredValue)
    store.close()
