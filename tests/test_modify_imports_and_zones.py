"""A Modify of an existing load balancer, through the real role graph:

* the listeners it takes over are Terraform ``import`` blocks with their IDs from inputs
  (``terraform plan`` shows imports, not creates), never a comment asking someone to import;
  a stack opsteam built keeps its listeners in its own state (nothing imported);
* an internal load balancer's ``.internal`` name goes to the private hosted zone the network
  plan decides, never to the public zone (``dns_zone_id``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsteam.graphs.review import resource_changes
from tests.test_bundle_consistency import example, run, terraform, unquote

INTERNAL_MODIFY = {
    "request": "Move admin-api.dev.internal to the new internal load balancer",
    "type": "Modify",
    "description": "Point admin-api.dev.internal at the new internal load balancer, reachable "
    "only from inside the VPC, with TLS. Health check /healthz.",
    "justification": "The old internal load balancer is retired.",
}


def _declared(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    doc = terraform(files, "terraform/variables.tf")
    return {name: body for block in doc.get("variable", []) for name, body in block.items()}


def _records(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    doc = terraform(files, "terraform/change.tf")
    return {
        unquote(body["name"]): body
        for block in doc.get("resource", [])
        for body in block.get("aws_route53_record", {}).values()
        if "alias" in body
    }


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


def test_an_internal_name_goes_to_the_private_zone_never_the_public_one(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("internal-admin-api.yaml", **INTERNAL_MODIFY))
    assert state.network is not None and state.network.private_zone == "admin-api.dev.internal"
    assert state.automation is not None and state.automation.change is not None
    [record] = state.automation.change.records
    assert record.name == "admin-api.dev.internal" and record.zone == "private_zone_id"
    [body] = _records(files).values()
    assert unquote(body["zone_id"]) == "${var.private_zone_id}"
    declared = _declared(files)
    assert "private_zone_id" in declared and "dns_zone_id" not in declared
    assert "admin-api.dev.internal" in str(declared["private_zone_id"]["description"])
    assert "\nprivate_zone_id = " in files["terraform/terraform.tfvars.example"]


def test_a_stack_opsteam_built_gives_its_private_zone_and_keeps_its_listeners(
    tmp_path: Path,
) -> None:
    _, built = run(tmp_path, example("internal-admin-api.yaml"))
    outputs = terraform(built, "terraform/outputs.tf")
    names = {name for block in outputs.get("output", []) for name in block}
    assert "private_zone_id" in names
    state, files = run(tmp_path, example("internal-admin-api.yaml", **INTERNAL_MODIFY))
    change = state.automation.change if state.automation is not None else None
    assert change is not None and change.owner is not None
    assert change.imports == []  # the stack's own state manages its listeners
    assert "import {" not in files["terraform/change.tf"]
    [body] = _records(files).values()
    zone = unquote(body["zone_id"])
    assert zone == "${data.terraform_remote_state.stack.outputs.private_zone_id}"
