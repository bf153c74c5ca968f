"""A Modify of an existing load balancer, through the real role graph: the listeners it
takes over are Terraform ``import`` blocks with their IDs from inputs (``terraform plan``
shows imports, not creates), never a comment asking someone to import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsteam.graphs.review import resource_changes
from tests.test_bundle_consistency import example, run, terraform, unquote


def _declared(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    doc = terraform(files, "terraform/variables.tf")
    return {name: body for block in doc.get("variable", []) for name, body in block.items()}


def test_the_listeners_a_modify_takes_over_are_imported_with_ids_from_inputs(
    tmp_path: Path,
) -> None:
    state, files = run(tmp_path, example("dns-lb-change.yaml"))
    change = state.automation.change if state.automation is not None else None
    assert change is not None and change.owner is None
    assert {i.to for i in change.imports} == {f"aws_lb_listener.{n}" for n in change.listeners}
    doc = terraform(files, "terraform/change.tf")
    listeners = {
        f"aws_lb_listener.{name}"
        for block in doc.get("resource", [])
        for name in block.get("aws_lb_listener", {})
    }
    blocks = {unquote(b["to"]).strip("${}"): b for b in doc.get("import", [])}
    assert set(blocks) == listeners == {i.to for i in change.imports}
    declared, example_vars = _declared(files), files["terraform/terraform.tfvars.example"]
    for found in change.imports:
        block, name = blocks[found.to], found.variable
        assert unquote(block["id"]) == "${each.value}"
        assert unquote(block["for_each"]) == f"${{var.{name} == null ? [] : [var.{name}]}}"
        assert "default" not in declared[name]  # required: nobody forgets to say which
        assert f"\n{name} = " in example_vars
    assert "terraform import" not in files["terraform/change.tf"]
    review = resource_changes(state)
    assert review.imported == sorted(listeners)
    assert not set(review.imported) & set(review.created)
