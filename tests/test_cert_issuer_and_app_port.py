"""Two facts a reviewer must be able to trust, through the bundle the team's graph produces.

* Which CA issues the listener's certificate: an internal load balancer serves a private name
  (``.internal``) that public ACM cannot issue for and no public zone can validate, so its
  certificate comes from ACM Private CA (``var.private_ca_arn``), with no DNS validation.
* The application's port: when the request names none, the network plan assumes one and says
  so (plan, result), and the Terraform module takes it from ``var.app_port``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from pydantic import ValidationError

import opsteam
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.decisions import LoadBalancer, NetworkPlan
from opsteam.domain.models import ChangeRequest
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def request_of(**fields: Any) -> ChangeRequest:
    """The shipped internal-service example (a private name, no port named), as changed."""
    return example("internal-admin-api.yaml", **fields)


def example(name: str, **changes: Any) -> ChangeRequest:
    [request] = parse_requests((EXAMPLES / name).read_bytes())
    return request.model_validate({**request.model_dump(), **changes}) if changes else request


def run(team: Opsteam, request: ChangeRequest) -> tuple[RunResult, RequestState, dict[str, str]]:
    """Through the request graph to its end, every checkpoint approved."""
    [result] = team.submit([request])
    while result.pending:
        result = team.decide(result.thread_id, "approve", all_pending=True)
    assert result.status == "completed", result.error
    state = team.state(result.thread_id)
    return result, state, {a.path: a.content for a in state.all_artifacts()}


@pytest.fixture
def team(tmp_path: Path) -> Opsteam:
    return Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())


def hcl(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(text, serialization_options=OPTIONS)
    return parsed


def blocks(text: str, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in hcl(text).get("resource", []):
        found.update(block.get(kind, {}))
    return found


def variables(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in hcl(files["terraform/variables.tf"]).get("variable", []):
        found.update(block)
    return found


def terraform(files: dict[str, str]) -> str:
    return "\n".join(text for path, text in files.items() if path.startswith("terraform/"))


def assert_private_ca_certificate(files: dict[str, str], module: str) -> None:
    certs = blocks(files[module], "aws_acm_certificate")
    assert list(certs) == ["main"], certs
    cert = certs["main"]
    assert cert["domain_name"] == "admin-api.dev.internal"
    assert cert["certificate_authority_arn"] == "${var.private_ca_arn}"
    assert "validation_method" not in cert
    everything = terraform(files)
    assert "aws_acm_certificate_validation" not in everything
    assert "domain_validation_options" not in everything
    assert "var.certificate_arn" not in everything
    [listener] = blocks(files[module], "aws_lb_listener").values()
    assert listener["certificate_arn"] == "${aws_acm_certificate.main.arn}"
    ca = variables(files)["private_ca_arn"]
    assert ca["type"] == "string" and "Private CA" in ca["description"]
    [check] = ca["validation"]
    assert "acm-pca" in check["condition"] and "default" not in ca
    assert "certificate_arn" not in variables(files)


def test_an_internal_load_balancer_gets_its_certificate_from_the_private_ca(
    team: Opsteam,
) -> None:
    _, state, files = run(team, request_of())
    assert state.network is not None and state.network.load_balancer is not None
    lb = state.network.load_balancer
    assert (lb.scheme, lb.certificate_issuer) == ("internal", "private-ca")
    assert_private_ca_certificate(files, "terraform/network.tf")
    assert "private_ca_arn = " in files["terraform/terraform.tfvars.example"]
    plan = files["network/network-plan.md"]
    assert "issued by your ACM Private CA (`private_ca_arn`)" in plan
    assert "validated by DNS" not in plan
    runbook = files["docs/runbook.md"]
    assert "DNS-validated" not in runbook and "validation CNAME" not in runbook
    assert "certificates of your private CA" in runbook
    # The endpoint probe verifies the certificate against the private CA's root, mounted.
    blackbox = yaml.safe_load(files["monitoring/blackbox.yml"])
    tls = blackbox["modules"]["http_2xx"]["http"]["tls_config"]
    assert tls == {"insecure_skip_verify": False, "ca_file": "/etc/private-ca/ca.pem"}
    exporter = list(yaml.safe_load_all(files["monitoring/exporters/blackbox-exporter.yaml"]))
    [pod] = [d["spec"]["template"]["spec"] for d in exporter if d["kind"] == "Deployment"]
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/etc/private-ca"]]["configMap"]["name"].endswith("-private-ca")


def test_an_internal_load_balancer_change_requests_no_public_certificate(team: Opsteam) -> None:
    run(team, request_of())  # the stack the change attaches to
    change = request_of(
        request="Move the admin API to the new internal load balancer",
        type="Modify",
        description="Point admin-api at the new internal load balancer, reachable only from "
        "inside the VPC, and enforce TLS 1.3. Health check /healthz.",
    )
    _, state, files = run(team, change)
    assert state.network is not None and state.network.load_balancer is not None
    assert state.network.load_balancer.certificate_issuer == "private-ca"
    assert_private_ca_certificate(files, "terraform/change.tf")


def test_a_public_load_balancer_keeps_a_dns_validated_public_certificate(team: Opsteam) -> None:
    _, state, files = run(team, example("dns-lb-change.yaml"))
    assert state.network is not None and state.network.load_balancer is not None
    assert state.network.load_balancer.certificate_issuer == "public-acm"
    change = files["terraform/change.tf"]
    [cert] = blocks(change, "aws_acm_certificate").values()
    assert cert["validation_method"] == "DNS" and "certificate_authority_arn" not in cert
    assert "aws_acm_certificate_validation" in change
    assert "private_ca_arn" not in terraform(files)
    assert "validated by DNS" in files["network/network-plan.md"]
    assert "ca_file" not in files["monitoring/blackbox.yml"]


def test_the_issuer_must_suit_the_scheme() -> None:
    fields = {
        "name": "x-alb",
        "listener_port": 443,
        "target_port": 8080,
        "tls_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificate": "x.dev.internal",
        "health_check_path": "/healthz",
    }
    with pytest.raises(ValidationError, match="comes from private-ca"):
        LoadBalancer.model_validate(
            {**fields, "scheme": "internal", "certificate_issuer": "public-acm"}
        )
    with pytest.raises(ValidationError, match="comes from public-acm"):
        LoadBalancer.model_validate(
            {**fields, "scheme": "internet-facing", "certificate_issuer": "private-ca"}
        )
    # A plan checkpointed before the issuer was recorded loads with the issuer of its scheme.
    stored = LoadBalancer.model_validate({**fields, "scheme": "internal"})
    assert stored.certificate_issuer == "private-ca"


def app_port_uses(files: dict[str, str]) -> tuple[list[Any], list[Any]]:
    """The ports of the rules on the application's port and of the target group."""
    rules = blocks(files["terraform/network.tf"], "aws_security_group_rule")
    named = ("app_8080", "app_9000")  # app-<port> and alb-to-app-<port>
    on_app = [r["from_port"] for name, r in rules.items() if name.endswith(named)]
    groups = blocks(files["terraform/network.tf"], "aws_lb_target_group")
    return on_app, [g["port"] for g in groups.values()]


def test_an_unnamed_app_port_is_an_assumption_to_confirm_and_a_variable(team: Opsteam) -> None:
    result, state, files = run(team, request_of())
    network = state.network
    assert isinstance(network, NetworkPlan)
    assert (network.app_port, network.app_port_assumed) == (8080, True)
    [assumption] = network.assumptions
    assert "8080 is assumed" in assumption
    assert result.assumptions == [assumption]
    assert "**Assumed, to confirm:**" in files["network/network-plan.md"]
    app_port = variables(files)["app_port"]
    assert (app_port["type"], app_port["default"]) == ("number", 8080)
    assert "65535" in app_port["validation"][0]["condition"]
    on_app, target_groups = app_port_uses(files)
    assert on_app and set(on_app) == {"${var.app_port}"}
    assert target_groups == ["${var.app_port}"]


def test_a_named_app_port_is_no_assumption(team: Opsteam) -> None:
    result, state, files = run(team, request_of(ports=[9000]))
    assert state.network is not None
    assert (state.network.app_port, state.network.app_port_assumed) == (9000, False)
    assert not state.network.assumptions and not result.assumptions
    assert "Assumed, to confirm" not in files["network/network-plan.md"]
    assert variables(files)["app_port"]["default"] == 9000
    on_app, target_groups = app_port_uses(files)
    assert on_app and set(on_app) == {"${var.app_port}"}
    assert target_groups == ["${var.app_port}"]


def test_the_kubernetes_service_serves_the_assumed_port(team: Opsteam) -> None:
    request = example("web-service-k8s.yaml", ports=[])
    result, state, files = run(team, request)
    assert state.network is not None and state.network.app_port_assumed
    assert result.assumptions == state.network.assumptions
    port = state.network.app_port
    service = yaml.safe_load(files["kubernetes/base/service.yaml"])
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= {port, "http"}
    deployment = yaml.safe_load(files["kubernetes/base/deployment.yaml"])
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [port]


def test_a_delegated_task_reports_the_assumed_port(tmp_path: Path) -> None:
    words = "internal load balancer with TLS for the admin-api service in dev, inside the VPC only"
    result = opsteam.task("network-engineer", words, home=tmp_path, verifier=ParseOnlyVerifier())
    assert result.status == "completed", result.summary
    assert len(result.assumptions) == 1 and "is assumed" in result.assumptions[0]
