"""The Systems Administrator: hosts, hardening and patching follow the request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opsteam.agents.base import RoleContext
from opsteam.agents.sysadmin import role as sysadmin
from opsteam.domain import naming
from opsteam.domain.decisions import ArchitectDesign, RiskAssessment, ServerBaseline
from opsteam.domain.models import ChangeRequest, Size
from opsteam.domain.registry import load_registry
from tests.factories import design, role_ctx


def make_request(**overrides: Any) -> ChangeRequest:
    fields: dict[str, Any] = {
        "request": "Batch workers",
        "type": "New",
        "component": "server",
        "description": "Virtual machines for nightly batch jobs",
        "justification": "Jobs outgrew the old box",
        "timeline": "this quarter",
        "impact": "none",
        "requester": "data team",
        "environment": "prod",
    }
    fields.update(overrides)
    return ChangeRequest.model_validate(fields)


def make_design(**overrides: Any) -> ArchitectDesign:
    return design(
        **{
            "summary": "batch hosts",
            "components": ["server"],
            "risk": RiskAssessment(level="low", score=10, factors=[]),
            "rollback_plan": ["terminate new hosts"],
            "engine": None,
            "hosts_needed": True,
            "public_endpoint": False,
            **overrides,
        }
    )


def ctx(design: ArchitectDesign | None = None, request: ChangeRequest | None = None) -> RoleContext:
    return role_ctx(design, request)


def baseline(request: ChangeRequest, design: ArchitectDesign | None = None) -> ServerBaseline:
    return sysadmin.decide(request, ctx(design, request))


def app_host(result: ServerBaseline) -> Any:
    return next(h for h in result.hosts if h.name.endswith("-app"))


def test_host_count_grows_with_environment() -> None:
    counts = [
        app_host(baseline(make_request(environment=env))).count
        for env in ("dev", "staging", "prod")
    ]
    assert counts == sorted(counts) and counts[0] < counts[-1]


def test_prod_puts_a_host_in_every_design_zone() -> None:
    zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
    result = baseline(make_request(), make_design(zones=zones))
    assert app_host(result).count == len(zones)


def test_expected_users_raise_the_host_count() -> None:
    small = app_host(baseline(make_request(size="small"))).count
    busy = app_host(baseline(make_request(size="small", expected_users=60_000))).count
    assert busy > small


def test_instance_type_follows_size() -> None:
    types = {size: app_host(baseline(make_request(size=size))).instance_type for size in Size}
    assert len(set(types.values())) == len(Size)
    assert types[Size.SMALL] == "t3.small"
    assert types[Size.XLARGE] == "m6i.2xlarge"


def test_hosts_are_named_from_the_resource_prefix_and_run_ubuntu() -> None:
    request = make_request(service="batch-jobs", environment="staging")
    result = baseline(request, make_design())
    prefix = naming.resource_prefix(request)
    assert result.hosts and all(h.name.startswith(prefix) for h in result.hosts)
    assert {h.os for h in result.hosts} == {"Ubuntu 24.04 LTS"}


def test_no_hosts_when_the_design_needs_none() -> None:
    request = make_request(component="kubernetes", description="Deploy the API")
    design = make_design(components=["web", "kubernetes"], hosts_needed=False)
    assert baseline(request, design).hosts == []


@pytest.mark.parametrize(
    "control",
    [
        "root login",
        "password authentication off",
        "auditd",
        "unattended",
        "fail2ban",
        "default deny",
    ],
)
def test_hardening_covers_the_baseline(control: str) -> None:
    assert any(control.lower() in item.lower() for item in baseline(make_request()).hardening)


def test_compliance_adds_controls() -> None:
    plain = baseline(make_request()).hardening
    pci = baseline(make_request(compliance=["pci-dss"])).hardening
    assert set(plain) < set(pci)


def test_ssh_never_from_the_internet_and_via_vpn_peer_when_linked() -> None:
    request = make_request(existing_cidrs=["192.168.50.0/24"])
    bastion = baseline(request, make_design())
    vpn = baseline(request, make_design(components=["server", "vpn"]))
    for result in (bastion, vpn):
        assert not any("0.0.0.0/0" in line for line in result.ssh_policy + result.hardening)
    assert "bastion" in bastion.ssh_policy[0]
    assert "192.168.50.0/24" in vpn.ssh_policy[0]
    assert not any(h.name.endswith("-bastion") for h in vpn.hosts)


def test_prod_patch_window_aligns_with_the_requested_window_in_utc() -> None:
    # 23:30 at UTC-05:00 on a Tuesday is 04:30 UTC on Wednesday.
    window: dict[str, Any] = {"start": "2026-12-01T23:30:00-05:00", "duration_minutes": 90}
    result = baseline(make_request(maintenance_window=window))
    start = datetime.fromisoformat(window["start"]).astimezone(UTC)
    assert start.strftime("%A") in result.patch_window
    assert "04:30-06:00 UTC" in result.patch_window
    other = baseline(make_request(maintenance_window={**window, "duration_minutes": 60}))
    assert other.patch_window != result.patch_window


def test_staging_patches_before_prod_and_dev_daily() -> None:
    window = {"start": "2026-12-06T02:00:00Z", "duration_minutes": 120}  # a Sunday
    prod = baseline(make_request(maintenance_window=window)).patch_window
    staging = baseline(make_request(environment="staging", maintenance_window=window)).patch_window
    dev = baseline(make_request(environment="dev")).patch_window
    assert "Sunday" in prod and "Friday" in staging
    assert "weekly" not in dev


def test_remove_decommissions_without_new_hosts() -> None:
    request = make_request(type="Remove")
    result = baseline(request, make_design())
    assert result.hosts == []
    steps = [s.lower() for s in result.decommission_steps]
    order = ["drain", "backup", "dns", "revoke", "terminate", "keep the kms key"]
    positions = [next(i for i, s in enumerate(steps) if word in s) for word in order]
    assert positions == sorted(positions)
    assert any(naming.resource_prefix(request) in s for s in result.decommission_steps)
    assert baseline(make_request()).decommission_steps == []


def test_render_is_deterministic_and_uses_public_names() -> None:
    request = make_request(request="Batch | workers <v2>", type="Remove", compliance=["soc2"])
    context = ctx(make_design())
    result = sysadmin.decide(request, context)
    assert sysadmin.decide(request, context) == result
    first = sysadmin.render(result, request, context)
    second = sysadmin.render(sysadmin.decide(request, context), request, context)
    assert [a.content.encode() for a in first] == [a.content.encode() for a in second]
    assert [a.path for a in first] == ["servers/baseline.md"]
    text = first[0].content
    assert "INF-" not in text
    assert "Batch \\| workers &lt;v2&gt;" in text
    assert load_registry().role("systems-administrator").name in text
    assert load_registry().role("network-engineer").name in text
    for step in result.decommission_steps:
        assert step in text
