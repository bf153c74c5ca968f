"""Data safety in the bundles the team produces (review 2026-12-01, items 2, 4, 5 and 9): a
restore point the rollback keeps, a database rollback the on-call can follow, alerts for a
filling disk and failed backups, and a VPN page that no data cannot trigger."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from opsteam.agents.architect.plan import PLAN_PATH, assemble, render_plan
from opsteam.agents.architect.prices import load_prices
from opsteam.agents.automation import role as automation
from opsteam.agents.dba import role as dba
from opsteam.agents.sre import role as sre
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.intake import parse_requests
from tests.team import decide_all

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 1)


def example(name: str, index: int = 0) -> ChangeRequest:
    return parse_requests((EXAMPLES / name).read_bytes())[index]


def bundle(request: ChangeRequest, registry: Registry) -> dict[str, str]:
    """The files the graph writes for ``request``: specialists, automation, SRE, the plan."""
    ctx = decide_all(request, registry=registry)
    assert ctx.automation is not None
    files = automation.render(ctx.automation, request, ctx)
    files += sre.render(sre.decide(request, ctx), request, ctx)
    if ctx.database is not None:
        files += dba.render(dba.decide(request, ctx), request, ctx)
    plan = assemble(request, ctx, load_prices(), TODAY)
    files += render_plan(plan, request, ctx.design)
    return {a.path: a.content for a in files}


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end > 0 else None]


def test_the_pre_change_snapshot_survives_a_destroy(registry: Registry) -> None:
    files = bundle(example("schema-migration.yaml"), registry)
    change = files["terraform/change.tf"]
    block = change[change.index('resource "aws_db_snapshot" "pre_change"') :]
    block = block[: block.index("\n}\n")]
    assert "prevent_destroy = true" in block


def test_the_schema_rollback_is_the_databases_not_a_terraform_reapply(
    registry: Registry,
) -> None:
    files = bundle(example("schema-migration.yaml"), registry)
    plan = _section(files[PLAN_PATH], "### Rollback Plan")
    runbook = _section(files["docs/runbook.md"], "## Rollback")
    database = _section(files["database/database-plan.md"], "Rollback")
    for text in (plan, runbook):
        assert "previous Terraform revision" not in text
        assert "previous infrastructure code revision" not in text
        assert "down-migration" in text and "pre-change snapshot" in text
        assert "point in time" in text
    assert "down-migration" in database
    # Application first, then the down-migration, then the restore: the DBA's order.
    for text in (plan, runbook):
        assert text.index("previous release") < text.index("down-migration")
        assert text.index("down-migration") < text.index("point in time")


def test_a_stateless_modify_keeps_the_generic_reapply(registry: Registry) -> None:
    files = bundle(example("dns-lb-change.yaml"), registry)
    assert "previous Terraform revision" in _section(files[PLAN_PATH], "### Rollback Plan")
    assert "previous infrastructure code revision" in _section(
        files["docs/runbook.md"], "## Rollback"
    )


def _rules(files: dict[str, str]) -> dict[str, dict[str, object]]:
    groups = yaml.safe_load(files["monitoring/alerts.rules.yml"])["groups"]
    return {r["alert"]: r for g in groups for r in g["rules"]}


def _promtool_test(files: dict[str, str], root: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    for path, content in files.items():
        if path.startswith("monitoring/"):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(content, encoding="utf-8")
    result = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=root / "monitoring",
    )
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_the_prod_database_warns_of_a_full_disk_and_failed_backups(
    registry: Registry, tmp_path: Path
) -> None:
    files = bundle(example("prod-postgres-ha.yaml"), registry)
    rules = _rules(files)
    storage, backups = rules["DatabaseStorageLow"], rules["DatabaseBackupFailed"]
    assert "aws_rds_free_storage_space_minimum" in str(storage["expr"])
    assert storage["labels"]["severity"] == "P1"  # type: ignore[index]
    assert "aws_backup_number_of_backup_jobs_failed_sum" in str(backups["expr"])
    assert "aws_backup_number_of_copy_jobs_failed_sum" in str(backups["expr"])
    blind = rules["CloudWatchDatabaseStorageMissing"]  # no data: the exporter, not the disk
    assert str(blind["expr"]).startswith("absent(aws_rds_free_storage_space_minimum")
    assert blind["labels"]["severity"] == "P2"  # type: ignore[index]
    exporter = yaml.safe_load(files["monitoring/cloudwatch-exporter.yml"])
    read = {(m["aws_namespace"], m["aws_metric_name"]) for m in exporter["metrics"]}
    assert ("AWS/RDS", "FreeStorageSpace") in read
    assert ("AWS/Backup", "NumberOfBackupJobsFailed") in read
    runbook = files["docs/runbook.md"]
    for name in ("DatabaseStorageLow", "DatabaseBackupFailed"):
        entry = runbook[runbook.index(f"### {name}") :]
        assert "First responder" in entry[: entry.index("\n#", 4)]
    assert "modify-db-instance" in runbook and "list-backup-jobs" in runbook
    tests = files["monitoring/alerts.test.yml"]
    assert "DatabaseStorageLow" in tests and "DatabaseBackupFailed" in tests
    _promtool_test(files, tmp_path)


def test_no_vpn_data_is_its_own_lower_alert_not_the_p0_page(
    registry: Registry, tmp_path: Path
) -> None:
    files = bundle(example("vpn-firewall.yaml"), registry)
    rules = _rules(files)
    down, missing = rules["VpnConnectionDown"], rules["CloudWatchVpnStateMissing"]
    assert down["labels"]["severity"] == "P0"  # type: ignore[index]
    assert "absent(" not in str(down["expr"])
    assert str(missing["expr"]).startswith("absent(aws_vpn_tunnel_state_minimum")
    assert missing["labels"]["severity"] not in ("P0", "P1")  # type: ignore[index]
    assert "### CloudWatchVpnStateMissing" in files["docs/runbook.md"]
    _promtool_test(files, tmp_path)


def test_the_cloudwatch_exporter_runs_as_a_read_only_role_the_terraform_creates(
    registry: Registry,
) -> None:
    """IRSA end to end: the role trusts exactly the exporter's ServiceAccount, reads only,
    and its ARN reaches that ServiceAccount's annotation through the kustomization."""
    files = bundle(example("vpn-firewall.yaml"), registry)
    tf = files["terraform/monitoring.tf"]
    exporter = list(yaml.safe_load_all(files["monitoring/exporters/cloudwatch-exporter.yaml"]))
    [account] = [d for d in exporter if d["kind"] == "ServiceAccount"]
    name = account["metadata"]["name"]
    assert f'"system:serviceaccount:monitoring:{name}"' in tf
    assert "sts:AssumeRoleWithWebIdentity" in tf and "var.monitoring_oidc_provider_arn" in tf
    assert '"cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources"' in tf
    assert "cloudwatch:Put" not in tf
    assert 'output "cloudwatch_exporter_role_arn"' in tf
    assert 'variable "monitoring_oidc_provider_arn"' in files["terraform/variables.tf"]
    assert "monitoring_oidc_provider_arn" in files["terraform/terraform.tfvars.example"]
    kustomization = yaml.safe_load(files["monitoring/kustomization.yaml"])
    role_file = "exporters/cloudwatch-exporter-role.yaml"
    assert role_file in kustomization["resources"]
    [replacement] = kustomization["replacements"]
    [target] = replacement["targets"]
    assert target["select"] == {"kind": "ServiceAccount", "name": name}
    assert target["fieldPaths"] == ["metadata.annotations.[eks.amazonaws.com/role-arn]"]
    config = yaml.safe_load(files[f"monitoring/{role_file}"])
    assert replacement["source"]["name"] == config["metadata"]["name"]
    assert config["data"]["role-arn"].endswith(f":role/{name}")
    assert "output -raw cloudwatch_exporter_role_arn" in files[f"monitoring/{role_file}"]


def test_every_bundle_read_through_cloudwatch_creates_its_role(registry: Registry) -> None:
    for name in ("prod-postgres-ha.yaml", "s3-backup-bucket.yaml", "schema-migration.yaml"):
        files = bundle(example(name), registry)
        assert "monitoring/cloudwatch-exporter.yml" in files, name
        assert (
            'resource "aws_iam_role" "cloudwatch_exporter"' in files["terraform/monitoring.tf"]
        ), name
        assert "monitoring/exporters/cloudwatch-exporter-role.yaml" in files, name
    stateless = bundle(example("dns-lb-change.yaml"), registry)
    assert "terraform/monitoring.tf" not in stateless
