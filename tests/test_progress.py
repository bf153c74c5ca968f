"""Progress labels: what each role is doing while it runs, by public name only."""

from __future__ import annotations

from opsteam.application.progress import StepReporter, finished_label, started_label
from opsteam.domain.registry import Registry
from tests.chat_support import no_internal_ids


def test_roles_say_what_they_are_doing_by_public_name(registry: Registry) -> None:
    assert started_label("network-engineer", registry) == (
        "Network Engineer: planning subnets, routes, firewall rules and DNS..."
    )
    assert started_label("plan", registry) is not None
    assert started_label("plan", registry).startswith("Infrastructure Architect: ")  # type: ignore[union-attr]
    assert started_label("checkpoint", registry) is None
    assert finished_label("database-administrator", registry) == "Database Administrator finished"
    assert finished_label("plan", registry) == "Infrastructure Architect assembled the plan"
    assert finished_label("__start__", registry) is None
    assert finished_label("no-such-step", registry) is None
    every = [started_label(s, registry) or "" for s in ("architect", "site-reliability-engineer")]
    no_internal_ids(*every)


def test_the_reporter_skips_interrupted_steps_and_survives_a_failing_display(
    registry: Registry,
) -> None:
    shown: list[str] = []
    reporter = StepReporter(registry, shown.append)
    reporter.task({"name": "network-engineer", "input": {}, "triggers": []})
    reporter.task({"name": "network-engineer", "result": {}, "error": None, "interrupts": []})
    reporter.task({"name": "checkpoint", "result": {}, "error": None, "interrupts": [object()]})
    assert shown == [
        "Network Engineer: planning subnets, routes, firewall rules and DNS...",
        "Network Engineer finished",
    ]

    def broken(label: str) -> None:
        raise OSError("terminal gone")

    StepReporter(registry, broken).task({"name": "intake", "result": {}, "error": None})
