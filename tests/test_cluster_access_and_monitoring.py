"""A cluster the bundle creates can be operated and pages someone, through the real role graph.

* Operators (and the Terraform that installs the monitoring) reach its API: the private
  endpoint stays, the public one answers only the validated ``admin_cidrs``, never the world.
* It runs the Prometheus and Alertmanager its alert rules need: kube-prometheus-stack, loading
  the SRE's own rules, routes and scrape jobs from the bundle, with the receivers'
  credentials mounted where the routes read them; so the readiness gate can say so.
* A bundle on an existing cluster still states those as the cluster's prerequisites.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import yaml

from tests.test_bundle_consistency import example, resources, run, terraform, unquote

FILE = re.compile(r'file\("\$\{path\.module\}/\.\./([^"]+)"\)')


def _variables(files: dict[str, str]) -> dict[str, dict[str, object]]:
    doc = terraform(files, "terraform/variables.tf")
    return {name: body for block in doc.get("variable", []) for name, body in block.items()}


def _readiness(state: object, item: str) -> tuple[bool, str]:
    plan = getattr(state, "reliability", None)
    assert plan is not None
    [check] = [c for c in plan.readiness if c.item.lower() == item]
    return check.passed, check.evidence


def test_a_created_cluster_answers_operators_only_from_the_admin_ranges(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("web-service-k8s.yaml"))
    stack = state.automation.stack if state.automation is not None else None
    assert stack is not None and stack.cluster is not None
    access = stack.cluster.api_access
    assert access is not None and access.public_endpoint and access.private_endpoint
    [eks] = resources(terraform(files, "terraform/kubernetes.tf"), "aws_eks_cluster")
    [vpc] = eks["vpc_config"]
    assert vpc["endpoint_private_access"] is True and vpc["endpoint_public_access"] is True
    assert unquote(vpc["public_access_cidrs"]) == f"${{var.{access.cidrs_variable}}}"
    declared = _variables(files)[access.cidrs_variable]
    assert declared["type"] == "${list(string)}"
    [check] = declared["validation"]
    condition = str(check["condition"])  # type: ignore[index]
    assert 'endswith(c, "/0")' in condition and "cidrnetmask(c)" in condition
    assert f"{access.cidrs_variable} = [" in files["terraform/terraform.tfvars.example"]
    assert "/0" not in files["terraform/terraform.tfvars.example"].split(access.cidrs_variable)[1]
    plan = files["plan/infrastructure-plan.md"]
    assert f"API: private endpoint, public one only to {access.cidrs_variable}" in plan


def test_a_created_cluster_installs_the_monitoring_its_alerts_need(tmp_path: Path) -> None:
    state, files = run(tmp_path, example("web-service-k8s.yaml"))
    assert state.automation is not None and state.automation.stack is not None
    cluster = state.automation.stack.cluster
    assert cluster is not None and cluster.monitoring is not None
    installed, text = cluster.monitoring, files["terraform/prometheus.tf"]
    [release] = resources(terraform(files, "terraform/prometheus.tf"), "helm_release")
    assert unquote(release["chart"]) == "kube-prometheus-stack"
    assert unquote(release["namespace"]) == installed.namespace
    exporters = yaml.safe_load(files["monitoring/kustomization.yaml"])
    assert exporters["namespace"] == installed.namespace  # beside the Prometheus that scrapes
    assert "hashicorp/helm" in files["terraform/main.tf"]
    # The release loads the SRE's files from the bundle: rules, routes and scrape jobs.
    loaded = set(FILE.findall(text))
    wanted = {"monitoring/alerts.rules.yml", "monitoring/alertmanager.yml"}
    assert wanted | {"monitoring/prometheus.yml"} == loaded <= set(files)
    assert re.search(r"additionalPrometheusRulesMap = \{\s*\S+ = local\.alert_rules", text)
    assert "config = local.alert_routes" in text
    assert "additionalScrapeConfigs = local.scrape_config.scrape_configs" in text
    # Its Prometheus selects the rules the chart labels with the release's name.
    selector = re.search(r'ruleSelector\s*=\s*\{ matchLabels = \{ release = "([^"]+)"', text)
    assert selector and selector.group(1) == unquote(release["name"])
    # The receivers' credentials are mounted where the routes read them.
    reliability = state.reliability
    assert reliability is not None and reliability.alert_receivers
    routes = yaml.safe_load(files["monitoring/alertmanager.yml"])
    read = {
        c.get("api_url_file") or c.get("routing_key_file")
        for r in routes["receivers"]
        for kind in ("slack_configs", "pagerduty_configs")
        for c in r.get(kind, [])
    }
    assert read == {r.secret_file for r in reliability.alert_receivers}
    assert {str(PurePosixPath(str(f)).parent) for f in read} == {installed.secrets_dir}
    mount = re.search(r'mountPath = "([^"]+)"', text)
    assert mount and mount.group(1) == installed.secrets_dir
    assert f'secretName = "{installed.secret}"' in text
    assert any(r.kind == "page" for r in reliability.alert_receivers)
    # The readiness gate now has the evidence.
    passed, evidence = _readiness(state, "monitoring configured")
    assert passed, evidence
    assert "kube-prometheus-stack" in evidence and installed.secret in evidence
    assert "pages go to storefront-staging-page" in evidence


def test_an_existing_cluster_keeps_its_monitoring_and_access_as_prerequisites(
    tmp_path: Path,
) -> None:
    state, files = run(tmp_path, example("web-existing-cluster.yaml"))
    assert state.automation is not None and state.automation.stack is not None
    cluster = state.automation.stack.cluster
    assert cluster is not None and not cluster.created
    assert cluster.monitoring is None and cluster.api_access is None
    assert "terraform/prometheus.tf" not in files
    assert "hashicorp/helm" not in files["terraform/main.tf"]
    assert "admin_cidrs" not in _variables(files)
    assert "Prerequisites in the cluster" in files["terraform/kubernetes.tf"]
    assert "API: private endpoint" not in files["plan/infrastructure-plan.md"]
    passed, evidence = _readiness(state, "monitoring configured")
    assert passed and "installs" not in evidence
