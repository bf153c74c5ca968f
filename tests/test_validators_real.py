"""The real linters on small known-good and known-bad samples (``pytest -m validators``).

All samples go into one bundle validated once (one checkov run per framework, ~10 s). A missing
tool skips its tests locally but fails them when ``CI`` is set: CI must never pass unverified.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from opsteam.domain.models import Artifact, ValidationResult, ValidationStatus
from opsteam.tools.runner import SubprocessRunner
from opsteam.tools.tfschema.store import cache_path
from opsteam.tools.validators import validate_bundle

pytestmark = pytest.mark.validators
PASSED, FAILED = ValidationStatus.PASSED, ValidationStatus.FAILED

GOOD_TF = """\
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_111: a key policy's "*" resource means this key only
  # checkov:skip=CKV_AWS_356: a key policy's "*" resource means this key only
  statement {
    sid       = "RootAccount"
    actions   = ["kms:Encrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "opsteam sample key"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_144: single-region sample, replication out of scope
  # checkov:skip=CKV2_AWS_62: no event consumers in this sample
  # checkov:skip=CKV_AWS_18: this bucket is the access-log target itself
  bucket = "opsteam-sample-logs"
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.logs.arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 365
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}
"""

BAD_TF = """\
resource "aws_s3_bucket" "plain" {
  bucket = "opsteam-unencrypted"
}
"""

GOOD_K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
          imagePullPolicy: Always
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /healthz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 10001
            capabilities: {drop: [ALL]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
    - ports: [{port: 8080}]
"""

PULL = "          imagePullPolicy: Always\n"
BAD_K8S = GOOD_K8S.replace(PULL, PULL + "          replicaz: 3\n", 1)

KUSTOMIZATION = "resources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n"
BASE_KUSTOMIZATION = "resources:\n  - good.yaml\n"
BROKEN_OVERLAY = "resources:\n  - ../../base\n  - missing.yaml\n"
PATCH = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
    "spec: {replicas: 3}\n"
)

GOOD_RULES = """\
groups:
  - name: web
    rules:
      - alert: WebHighErrorRate
        expr: sum(rate(http_requests_total{code=~"5.."}[5m])) > 1
        for: 5m
        labels: {severity: page}
        annotations: {summary: "web 5xx rate above 1/s"}
"""

BAD_RULES = GOOD_RULES.replace("> 1\n", "> (1\n").replace("WebHighErrorRate", "Broken")

GOOD_RULES_TEST = """\
rule_files: [good.rules.yml]
tests:
  - name: errors page after five minutes
    interval: 1m
    input_series:
      - series: 'http_requests_total{code="500"}'
        values: '0+120x15'
    alert_rule_test:
      - eval_time: 3m
        alertname: WebHighErrorRate
        exp_alerts: []
      - eval_time: 12m
        alertname: WebHighErrorRate
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: "web 5xx rate above 1/s"}
"""

BAD_RULES_TEST = GOOD_RULES_TEST.replace("{severity: page}", "{severity: P0}")

# Planted defects for the provider-schema check, in a module (directory) of their own.
SCHEMA_BAD_TF = """\
resource "aws_s3_bucket" "logs" {
  bucket  = "opsteam-planted"
  acl_typo = "private"
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.bucket_arn_typo
}

resource "aws_db_instance" "db" {
  engine = "postgres"
  vpc_security_group_ids = [aws_security_group.missing.id]
}
"""

GOOD_PLAY = """\
---
- name: Baseline web servers
  hosts: web
  become: true
  tasks:
    - name: Install nginx
      ansible.builtin.package:
        name: nginx
        state: present
"""

BAD_PLAY = """\
---
- name: Broken play
  hosts: web
  tasks:
    - name: Two actions in one task
      ansible.builtin.package:
        name: nginx
      ansible.builtin.service:
        name: nginx
"""

FILES: dict[str, tuple[str, str]] = {
    "terraform/good.tf": ("terraform", GOOD_TF),
    "terraform/bad.tf": ("terraform", BAD_TF),
    "kubernetes/base/good.yaml": ("kubernetes", GOOD_K8S),
    "kubernetes/base/bad.yaml": ("kubernetes", BAD_K8S),
    "terraform/schema/planted.tf": ("terraform", SCHEMA_BAD_TF),
    "kubernetes/base/kustomization.yaml": ("yaml", BASE_KUSTOMIZATION),
    "kubernetes/overlays/prod/kustomization.yaml": ("kubernetes", KUSTOMIZATION),
    "kubernetes/overlays/prod/replicas.yaml": ("kubernetes", PATCH),
    "kubernetes/overlays/broken/kustomization.yaml": ("yaml", BROKEN_OVERLAY),
    "monitoring/good.rules.yml": ("prometheus-rules", GOOD_RULES),
    "monitoring/bad.rules.yml": ("prometheus-rules", BAD_RULES),
    "monitoring/good.test.yml": ("prometheus-tests", GOOD_RULES_TEST),
    "monitoring/bad.test.yml": ("prometheus-tests", BAD_RULES_TEST),
    "ansible/site.yml": ("ansible", GOOD_PLAY),
    "ansible/broken.yml": ("ansible", BAD_PLAY),
}

Results = dict[tuple[str, str], ValidationResult]


def require(program: str) -> None:
    """Skip with a reason locally; fail in CI, where every validator must be installed."""
    if program == "hcl2":
        found = importlib.util.find_spec("hcl2") is not None
    elif program == "tf-schema":
        found = cache_path().is_file()
    else:
        found = SubprocessRunner().which(program) is not None
    if found:
        return
    reason = (
        f"{program} is not installed (run .ci/install-validators.sh / pip install -e .[validators])"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    bundle = tmp_path_factory.mktemp("bundle")
    artifacts = []
    for rel, (kind, text) in FILES.items():
        (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        (bundle / rel).write_text(text)
        artifacts.append(Artifact(path=rel, role="automation-engineer", kind=kind, content=text))
    return {(r.path, r.validator): r for r in validate_bundle(bundle, artifacts)}


def ids(result: ValidationResult) -> list[str]:
    return [line.split(":", 1)[0] for line in map(str, result.findings)]


def test_terraform_good_passes_and_unencrypted_bucket_fails(results: Results) -> None:
    require("hcl2")
    require("checkov")
    assert results[("terraform/good.tf", "hcl2")].status is PASSED
    good = results[("terraform/good.tf", "checkov")]
    assert good.status is PASSED, good.findings  # in-code skips were honoured
    bad = results[("terraform/bad.tf", "checkov")]
    assert bad.status is FAILED
    assert "CKV_AWS_145" in ids(bad)  # not encrypted with KMS
    assert all("aws_s3_bucket.plain" in line for line in map(str, bad.findings))


def test_kubernetes_unknown_field_fails_strict_schema(results: Results) -> None:
    require("kubernetes-validate")
    assert results[("kubernetes/base/good.yaml", "kubernetes-validate")].status is PASSED
    bad = results[("kubernetes/base/bad.yaml", "kubernetes-validate")]
    assert bad.status is FAILED
    assert any("replicaz" in line and "deployment/web" in line for line in map(str, bad.findings))


def test_kubernetes_hardened_deployment_passes_checkov(results: Results) -> None:
    require("checkov")
    good = results[("kubernetes/base/good.yaml", "checkov")]
    assert good.status is PASSED, good.findings


def test_kustomize_overlay_is_parsed_not_schema_checked(results: Results) -> None:
    for rel in ("kubernetes/overlays/prod/kustomization.yaml",
                "kubernetes/overlays/prod/replicas.yaml"):  # fmt: skip
        assert results[(rel, "yaml")].status is PASSED
        assert (rel, "kubernetes-validate") not in results
        assert (rel, "checkov") not in results


def test_kustomize_builds_every_overlay_and_names_what_breaks_one(results: Results) -> None:
    require("kubectl")
    assert results[("kubernetes/overlays/prod/kustomization.yaml", "kustomize")].status is PASSED
    assert ("kubernetes/base/kustomization.yaml", "kustomize") not in results  # via overlays
    broken = results[("kubernetes/overlays/broken/kustomization.yaml", "kustomize")]
    assert broken.status is FAILED
    [found] = broken.findings
    assert found.check_id == "kustomize-build" and "missing.yaml" in found.message
    assert "/tmp" not in found.message  # paths relative to the bundle


def test_provider_schema_passes_good_terraform_and_names_planted_defects(results: Results) -> None:
    require("hcl2")
    require("tf-schema")
    for rel in ("terraform/good.tf", "terraform/bad.tf"):
        good = results[(rel, "tf-schema")]
        assert good.status is PASSED, good.findings
    bad = results[("terraform/schema/planted.tf", "tf-schema")]
    assert bad.status is FAILED
    assert sorted((f.check_id, f.resource, f.line) for f in bad.findings) == [
        ("tf-missing-argument", "aws_db_instance.db", 10),  # instance_class
        ("tf-missing-argument", "aws_s3_bucket_versioning.logs", 6),  # versioning_configuration
        ("tf-undeclared", "aws_db_instance.db", 12),
        ("tf-unknown-argument", "aws_s3_bucket.logs", 3),
        ("tf-unknown-attribute", "aws_s3_bucket_versioning.logs", 7),
    ]


def test_promtool_test_proves_the_alert_fires_and_reports_a_wrong_expectation(
    results: Results,
) -> None:
    require("promtool")
    good = results[("monitoring/good.test.yml", "promtool-test")]
    assert good.status is PASSED, good.findings
    bad = results[("monitoring/bad.test.yml", "promtool-test")]
    assert bad.status is FAILED
    assert [str(f) for f in bad.findings] == [
        "alert-test: test 'errors page after five minutes': WebHighErrorRate at 12m: expected "
        '{severity="P0"}; got {severity="page"} (WebHighErrorRate)'
    ]


def test_promtool_rejects_invalid_promql(results: Results) -> None:
    require("promtool")
    assert results[("monitoring/good.rules.yml", "promtool")].status is PASSED
    bad = results[("monitoring/bad.rules.yml", "promtool")]
    assert bad.status is FAILED
    assert any("Broken" in line and "parse" in line for line in map(str, bad.findings))


def test_ansible_broken_play_fails_syntax_and_good_play_is_clean(results: Results) -> None:
    require("ansible-playbook")
    require("ansible-lint")
    assert results[("ansible/site.yml", "ansible-syntax")].status is PASSED
    good_lint = results[("ansible/site.yml", "ansible-lint")]
    assert good_lint.status is PASSED, good_lint.findings
    bad = results[("ansible/broken.yml", "ansible-syntax")]
    assert bad.status is FAILED
    assert any("conflicting action statements" in line for line in map(str, bad.findings))
    assert results[("ansible/broken.yml", "ansible-lint")].status is FAILED


def test_every_artifact_got_a_verdict_from_every_validator(results: Results) -> None:
    expected = {
        "terraform": {"hcl2", "tf-schema", "checkov"},
        "ansible": {"ansible-syntax", "ansible-lint"},
        "prometheus-rules": {"promtool"},
        "prometheus-tests": {"promtool-test"},
    }
    overlays = {"kubernetes/overlays/prod/kustomization.yaml",
                "kubernetes/overlays/broken/kustomization.yaml"}  # fmt: skip
    for rel, (kind, _) in FILES.items():
        got = {validator for path, validator in results if path == rel}
        if kind in expected:
            assert got == expected[kind], rel
        elif rel in overlays:
            assert got == {"yaml", "kustomize"}, rel
        else:
            assert got in ({"kubernetes-validate", "checkov"}, {"yaml"}), rel
