"""The model-calls benchmark harness works: both teams run on the same fake, its section is
its own. Token figures are written to BENCHMARKS.md, not asserted here."""

from __future__ import annotations

from pathlib import Path

from bench.model_calls import END_MARK, START_MARK, run_opsteam, supervisor_baseline, write_section
from bench.workload import examples
from opsteam.domain.registry import Registry


def test_both_teams_run_on_the_fake_and_only_the_baseline_routes_by_model(
    tmp_path: Path, registry: Registry
) -> None:
    request = examples()["redis-cache-dev.yaml"]
    ours, state = run_opsteam(request, tmp_path / "home")
    theirs = supervisor_baseline(request, state, registry)
    assert ours.routing_calls == 0 and ours.calls == 4  # one per engaged role, architect by rule
    # The supervisor is asked before every hop and once more to finish.
    assert theirs.routing_calls == theirs.calls - theirs.routing_calls + 1
    assert ours.input_tokens > 0 and theirs.input_tokens > 0


def test_the_section_replaces_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Other\nkept\n", encoding="utf-8")
    write_section(f"{START_MARK}\nfirst\n{END_MARK}\n", path)
    write_section(f"{START_MARK}\nsecond\n{END_MARK}\n", path)
    text = path.read_text(encoding="utf-8")
    assert "## Other\nkept" in text and "second" in text and "first" not in text
    assert text.count(START_MARK) == 1
