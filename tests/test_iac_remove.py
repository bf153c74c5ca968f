"""Remove requests are codified as a removal: no resource is created, nothing is invented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from iac_factories import database_plan, make_ctx, make_design, make_request

from opsteam.agents.architect import role as architect
from opsteam.agents.automation import remove as iac_remove
from opsteam.agents.automation import role as automation
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.agents.sysadmin import role as sysadmin
from opsteam.domain.models import Artifact, ChangeRequest
from opsteam.domain.registry import load_registry
from opsteam.intake import parse_requests

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "decommission-server.yaml"


def example() -> tuple[ChangeRequest, RoleContext]:
    """The decommission example as the graph sees it: design, then the specialists."""
    [request] = parse_requests(EXAMPLE.read_bytes(), str(EXAMPLE))
    registry = load_registry()
    design = architect.decide(request, registry)
    base = RoleContext(registry=registry, design=design)
    return request, RoleContext(
        registry=registry,
        design=design,
        servers=sysadmin.decide(request, base),
        network=network.decide(request, base),
    )


def bundle(request: ChangeRequest, ctx: RoleContext) -> dict[str, Artifact]:
    plan = automation.decide(request, ctx)
    return {a.path: a for a in automation.render(plan, request, ctx)}


def parsed(files: dict[str, Artifact]) -> dict[str, dict[str, Any]]:
    return {
        path: hcl2.loads(a.content, serialization_options=OPTIONS)
        for path, a in files.items()
        if a.kind == "terraform"
    }


def removed_addresses(files: dict[str, Artifact]) -> list[str]:
    tf = parsed(files).get("terraform/removed.tf", {})
    return [re.sub(r"^\$\{(.*)\}$", r"\1", b["from"]) for b in tf.get("removed", [])]


def test_the_decommission_bundle_creates_no_resource() -> None:
    request, ctx = example()
    files = bundle(request, ctx)
    for path, tf in parsed(files).items():
        assert "resource" not in tf, f"{path} creates resources for a Remove request"
    assert set(files) >= {"terraform/main.tf", "terraform/removed.tf", "docs/decommission.md"}
    assert "terraform/network.tf" not in files and "terraform/storage.tf" not in files


def test_what_is_removed_is_what_the_roles_listed() -> None:
    request, ctx = example()
    assert ctx.servers is not None and ctx.network is not None
    addresses = removed_addresses(bundle(request, ctx))
    assert addresses == [r.address for r in iac_remove.removals(request, ctx)]
    assert "aws_instance.legacy_reporting_staging_app" in addresses
    assert "aws_route53_record.dns_legacy_reporting_staging_internal" in addresses
    rules = [a for a in addresses if a.startswith("aws_security_group_rule.")]
    assert len(rules) == len(ctx.network.rules)
    assert not [a for a in addresses if "vpc" in a or "subnet" in a]  # the VPC is kept


def test_a_remove_request_has_no_new_hosts_and_invents_none() -> None:
    request, ctx = example()
    servers = ctx.servers
    assert servers is not None and servers.hosts == []
    assert servers.decommissioned == ["legacy-reporting-staging-app"]
    steps = " ".join(servers.decommission_steps)
    assert "bastion" not in steps and "(x" not in steps  # no invented hosts or counts
    assert ctx.network is not None
    assert not [r for r in ctx.network.rules if "bastion" in f"{r.source} {r.destination}"]
    assert "aws_instance" not in bundle(request, ctx)["terraform/main.tf"].content


def test_inventory_counts_the_removals_honestly() -> None:
    request, ctx = example()
    plan = automation.decide(request, ctx)
    assert plan.mode == "remove"
    found = len(removed_addresses(bundle(request, ctx)))
    assert plan.resources_as_code == plan.resources_total == found > 0


def test_a_database_removal_takes_the_final_snapshot_first() -> None:
    request = make_request(type="Remove", environment="prod")
    design = make_design(["database"], hosts_needed=False)
    ctx = make_ctx(request, design=design)
    ctx = make_ctx(request, design=design, database=database_plan(request, ctx))
    files = bundle(request, ctx)
    for path, tf in parsed(files).items():
        assert "resource" not in tf, path
    addresses = removed_addresses(files)
    assert addresses.index("aws_db_instance.replica_1") < addresses.index("aws_db_instance.main")
    doc = files["docs/decommission.md"].content
    assert doc.index("final snapshot") < doc.index("## Last: Terraform")
    assert "terraform plan" in doc and "terraform state rm" in doc


def test_the_procedure_is_deterministic_and_names_roles_publicly() -> None:
    request, ctx = example()
    first, second = bundle(request, ctx), bundle(request, ctx)
    assert {p: a.content for p, a in first.items()} == {p: a.content for p, a in second.items()}
    for artifact in first.values():
        assert not re.search(r"INF-\d", artifact.content), artifact.path


def test_decommission_keeps_the_key_the_final_snapshots_need() -> None:
    """Deleting the volumes' KMS key would make the final snapshots (the rollback) unreadable."""
    request, ctx = example()
    doc = bundle(request, ctx)["docs/decommission.md"].content
    assert "deletion of the volumes' KMS data keys" not in doc
    hosts = doc[doc.index("## Hosts") :]
    backup, key = hosts.index("Final backup"), hosts.index("Keep the KMS key")
    assert backup < key
    step = hosts[key : hosts.index("\n", key)]
    assert "30-day retention" in step and "only if nothing else uses it" in step
    assert "## Rollback" in doc and "final snapshots" in doc[doc.index("## Rollback") :]
