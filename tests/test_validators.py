"""Validator boundary with a fake runner: parsing, batching, not-installed and error handling."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from opsteam.domain.models import Artifact, ValidationResult, ValidationStatus
from opsteam.domain.settings import load_settings as S
from opsteam.tools import checkov, linters
from opsteam.tools.formats import check_hcl, check_json, kustomize_patches
from opsteam.tools.runner import CommandError, CommandResult, SubprocessRunner, locate
from opsteam.tools.validators import validate_bundle
from tests.fakes import fake_schema_store

Reply = CommandResult | Exception | Callable[[list[str]], CommandResult]
PASSED, FAILED = ValidationStatus.PASSED, ValidationStatus.FAILED
ERROR, NOT_INSTALLED = ValidationStatus.ERROR, ValidationStatus.NOT_INSTALLED
ALL_TOOLS = (
    "checkov", "kubernetes-validate", "ansible-playbook", "ansible-lint", "promtool", "kubectl"
)  # fmt: skip


class FakeRunner:
    """Answers by program name (checkov by ``checkov:<framework>``) and records every call."""

    def __init__(self, replies: Mapping[str, Reply], installed: Sequence[str] = ALL_TOOLS) -> None:
        self.replies = dict(replies)
        self.installed = set(installed)
        self.calls: list[tuple[list[str], Path, dict[str, str]]] = []
        self._lock = threading.Lock()

    def which(self, program: str) -> str | None:
        return f"/fake/bin/{program}" if program in self.installed else None

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        args = list(argv)
        with self._lock:
            self.calls.append((args, cwd, dict(env or {})))
        name = Path(args[0]).name
        if name == "checkov":
            name = f"checkov:{args[args.index('--framework') + 1]}"
        reply = self.replies[name]
        if isinstance(reply, Exception):
            raise reply
        return reply if isinstance(reply, CommandResult) else reply(args)

    def programs(self) -> list[str]:
        return sorted(Path(argv[0]).name for argv, _, _ in self.calls)


def ok(stdout: str = "", stderr: str = "", rc: int = 0) -> CommandResult:
    return CommandResult(rc, stdout, stderr)


def write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def art(path: str, kind: str) -> Artifact:
    return Artifact(path=path, role="automation-engineer", kind=kind, content="")


def by_key(results: Sequence[ValidationResult]) -> dict[tuple[str, str], ValidationResult]:
    return {(r.path, r.validator): r for r in results}


def check(check_id: str, root: Path, rel: str, resource: str, line: int = 1) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "check_name": f"Ensure {check_id} holds",
        "file_path": "/" + Path(rel).name,
        "file_abs_path": str(root / rel),
        "repo_file_path": "/" + rel,
        "resource": resource,
        "file_line_range": [line, line + 2],
        "severity": None,
    }


def report(framework: str, failed: list[dict[str, Any]], parsing: Sequence[str] = ()) -> str:
    return json.dumps({
        "check_type": framework,
        "results": {"passed_checks": [], "failed_checks": failed, "skipped_checks": [],
                    "parsing_errors": list(parsing)},
        "summary": {"passed": 3, "failed": len(failed), "parsing_errors": len(parsing)},
    })  # fmt: skip


SUMMARY_ONLY = json.dumps({"passed": 0, "failed": 0, "parsing_errors": 0, "resource_count": 0})

# ---------------------------------------------------------------- checkov parsing


def test_checkov_findings_go_to_the_file_that_holds_the_resource(tmp_path: Path) -> None:
    paths = ["terraform/main.tf", "terraform/vars.tf"]
    out = report("terraform", [check("CKV_AWS_18", tmp_path, paths[0], "aws_s3_bucket.logs", 4)])
    verdicts = checkov.parse(ok(out, rc=1), tmp_path, paths)
    assert verdicts["terraform/main.tf"].status is FAILED
    assert tuple(map(str, verdicts["terraform/main.tf"].findings)) == (
        "CKV_AWS_18: Ensure CKV_AWS_18 holds (aws_s3_bucket.logs, line 4)",
    )
    assert verdicts["terraform/vars.tf"].status is PASSED


def test_checkov_parse_error_is_never_a_pass(tmp_path: Path) -> None:
    paths = ["terraform/a.tf", "terraform/b.tf"]
    out = report("terraform", [], parsing=[str(tmp_path / "terraform/b.tf")])
    verdicts = checkov.parse(ok(out, rc=0), tmp_path, paths)
    assert verdicts["terraform/a.tf"].status is PASSED
    assert verdicts["terraform/b.tf"].status is ERROR
    assert "could not parse" in str(verdicts["terraform/b.tf"].findings[0])


def test_checkov_falls_back_to_the_repo_relative_path(tmp_path: Path) -> None:
    entry = check("CKV_K8S_9", tmp_path, "kubernetes/base/app.yaml", "Deployment.default.web")
    del entry["file_abs_path"]
    verdicts = checkov.parse(ok(report("kubernetes", [entry]), rc=1), tmp_path,
                             ["kubernetes/base/app.yaml"])  # fmt: skip
    assert verdicts["kubernetes/base/app.yaml"].status is FAILED


def test_checkov_list_report_and_summary_only_report(tmp_path: Path) -> None:
    listed = json.dumps([json.loads(report("terraform", [check("CKV_1", tmp_path, "a.tf", "r")]))])
    assert checkov.parse(ok(listed, rc=1), tmp_path, ["a.tf"])["a.tf"].status is FAILED
    assert checkov.parse(ok(SUMMARY_ONLY), tmp_path, ["a.tf"])["a.tf"].status is PASSED
    broken = json.dumps({"passed": 0, "failed": 0, "parsing_errors": 1})
    assert checkov.parse(ok(broken), tmp_path, ["a.tf"])["a.tf"].status is ERROR


@pytest.mark.parametrize(
    ("result", "needle"),
    [(ok("Traceback ...", "boom", rc=2), "exited 2"), (ok("not json", rc=1), "no JSON")],
)
def test_checkov_crash_or_garbage_is_an_error(
    tmp_path: Path, result: CommandResult, needle: str
) -> None:
    verdict = checkov.parse(result, tmp_path, ["a.tf"])["a.tf"]
    assert verdict.status is ERROR
    assert needle in str(verdict.findings[0])


def test_checkov_argv_scans_exact_files_offline_and_keeps_parse_errors() -> None:
    args = checkov.argv("/x/checkov", "terraform", ["terraform/a.tf", "terraform/b.tf"])
    assert args[:3] == ["/x/checkov", "--framework", "terraform"]
    assert "--skip-download" in args and "--quiet" not in args
    assert args[-4:] == ["-f", "terraform/a.tf", "-f", "terraform/b.tf"]


# ---------------------------------------------------------------- other parsers


def test_kubernetes_validate_lines_map_to_statuses() -> None:
    out = "\n".join([
        "INFO k/a.yaml passed for resource service/web against version 1.30",
        "ERROR k/b.yaml did not validate for resource deployment/web against version 1.30: "
        "spec.template: Additional properties are not allowed ('bogus' was unexpected)",
        "INFO k/c.yaml passed for resource deployment/api against version 1.30",
        "WARN k/c.yaml Couldn't find schema for kind ServiceMonitor with api version x/v1",
    ])  # fmt: skip
    paths = ["k/a.yaml", "k/b.yaml", "k/c.yaml", "k/d.yaml"]
    verdicts = linters.parse_kubernetes_validate(ok(out, rc=1), paths)
    assert verdicts["k/a.yaml"].status is PASSED
    assert verdicts["k/b.yaml"].status is FAILED
    assert str(verdicts["k/b.yaml"].findings[0]).startswith("k8s-schema: spec.template: Additional")
    assert str(verdicts["k/b.yaml"].findings[0]).endswith("(deployment/web)")
    assert verdicts["k/c.yaml"].status is ERROR  # one object could not be checked
    assert verdicts["k/d.yaml"].status is ERROR  # tool said nothing about it


def test_promtool_failure_lists_the_problem_with_its_line() -> None:
    stderr = '  FAILED:\nm/r.yml: 5:15: group "web", rule 1: could not parse expression\n'
    verdict = linters.parse_promtool(ok("Checking m/r.yml\n", stderr, rc=1), "m/r.yml")
    assert verdict.status is FAILED
    assert tuple(map(str, verdict.findings)) == (
        'promtool: group "web", rule 1: could not parse expression (line 5)',
    )
    assert linters.parse_promtool(ok(rc=0), "m/r.yml").status is PASSED
    assert linters.parse_promtool(ok(stderr="panic", rc=3), "m/r.yml").status is ERROR


def test_ansible_syntax_error_keeps_message_and_position() -> None:
    stderr = "[ERROR]: conflicting action statements: a, b\nOrigin: /tmp/x/ansible/site.yml:5:7\n"
    verdict = linters.parse_ansible_syntax(ok(stderr=stderr, rc=4))
    assert verdict.status is FAILED
    assert tuple(map(str, verdict.findings)) == (
        "syntax-check: conflicting action statements: a, b (line 5)",
    )


def test_ansible_lint_violations_fail_and_warnings_do_not() -> None:
    issues = [
        {"check_name": "name[play]", "description": "All plays should be named.",
         "severity": "major", "location": {"path": "ansible/a.yml",
                                           "positions": {"begin": {"line": 2, "column": 3}}}},
        {"check_name": "jinja[spacing]", "description": "Jinja spacing",
         "severity": "minor", "location": {"path": "ansible/b.yml", "lines": {"begin": 9}}},
    ]  # fmt: skip
    verdicts = linters.parse_ansible_lint(ok(json.dumps(issues), rc=2),
                                          ["ansible/a.yml", "ansible/b.yml"])  # fmt: skip
    assert verdicts["ansible/a.yml"].status is FAILED
    assert tuple(map(str, verdicts["ansible/a.yml"].findings)) == (
        "name[play]: All plays should be named. (line 2)",
    )
    assert verdicts["ansible/b.yml"].status is PASSED
    assert tuple(map(str, verdicts["ansible/b.yml"].findings)) == (
        "warning: jinja[spacing]: Jinja spacing (line 9)",
    )
    crashed = linters.parse_ansible_lint(ok(stderr="bad config", rc=1), ["ansible/a.yml"])
    assert crashed["ansible/a.yml"].status is ERROR


# ---------------------------------------------------------------- in-process checks


def test_dashboard_needs_title_and_targets_on_data_panels() -> None:
    good = {"title": "Web", "panels": [
        {"type": "row", "title": "R", "panels": [{"title": "p", "targets": [{"expr": "up"}]}]},
        {"type": "text", "title": "notes"},
        {"type": "timeseries", "title": "cpu", "targets": [{"expr": "rate(x[5m])"}]},
    ]}  # fmt: skip
    assert check_json(json.dumps({"dashboard": good}), dashboard=True).status is PASSED
    bad = {"panels": [{"type": "row", "panels": [{"title": "lat"}]}]}
    verdict = check_json(json.dumps(bad), dashboard=True)
    assert verdict.status is FAILED
    assert tuple(map(str, verdict.findings)) == (
        "dashboard-title: dashboard has no title",
        "panel-targets: panel has no targets (panel 1 > 1 'lat')",
    )
    assert check_json(json.dumps(bad), dashboard=False).status is PASSED
    assert str(check_json("{", dashboard=False).findings[0]).startswith("json-parse:")


def test_hcl_parse_failure_and_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_hcl('variable "region" {\n  type = string\n}\n').status is PASSED
    broken = check_hcl('resource "x" "y" {\n')
    assert broken.status is FAILED
    assert str(broken.findings[0]).startswith("hcl-parse:") and "line 2" in str(broken.findings[0])
    monkeypatch.setitem(sys.modules, "hcl2", None)  # import now raises ImportError
    assert check_hcl("").status is NOT_INSTALLED


def test_kustomize_patch_paths_are_resolved_relative_to_the_overlay() -> None:
    docs = [{"resources": ["../../base"], "patches": [{"path": "replicas.yaml"}],
             "patchesStrategicMerge": ["../common/limits.yaml"]}]  # fmt: skip
    found = kustomize_patches("kubernetes/overlays/prod/kustomization.yaml", docs)
    assert found == {"kubernetes/overlays/prod/replicas.yaml",
                     "kubernetes/overlays/common/limits.yaml"}  # fmt: skip


# ---------------------------------------------------------------- validate_bundle


DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n"


def test_one_checkov_run_per_framework_and_findings_per_file(tmp_path: Path) -> None:
    tf = ["terraform/main.tf", "terraform/s3.tf", "terraform/vars.tf"]
    k8s = ["kubernetes/base/deploy.yaml", "kubernetes/base/svc.yaml"]
    write(tmp_path, {**dict.fromkeys(tf, 'variable "a" {}\n'), **dict.fromkeys(k8s, DEPLOY)})
    runner = FakeRunner({
        "checkov:terraform": ok(report("terraform", [check("CKV_AWS_19", tmp_path, tf[1],
                                                           "aws_s3_bucket.b")]), rc=1),
        "checkov:kubernetes": ok(report("kubernetes", [])),
        "kubernetes-validate": ok("\n".join(f"INFO {p} passed for resource d/w" for p in k8s)),
    })  # fmt: skip
    artifacts = [art(p, "terraform") for p in tf] + [art(p, "kubernetes") for p in k8s]
    results = by_key(
        validate_bundle(tmp_path, artifacts, runner=runner, schemas=fake_schema_store())
    )
    assert runner.programs() == ["checkov", "checkov", "kubernetes-validate"]
    assert results[(tf[1], "checkov")].status is FAILED
    assert str(results[(tf[1], "checkov")].findings[0]).startswith("CKV_AWS_19:")
    assert {results[(p, "checkov")].status for p in (tf[0], tf[2], *k8s)} == {PASSED}
    assert {results[(p, "hcl2")].status for p in tf} == {PASSED}
    assert {results[(p, "kubernetes-validate")].status for p in k8s} == {PASSED}
    assert {results[(p, "tf-schema")].status for p in tf} == {PASSED}
    assert len(results) == 3 * 3 + 2 * 2


def test_missing_tool_is_not_installed_and_never_run(tmp_path: Path) -> None:
    write(tmp_path, {"terraform/main.tf": 'variable "a" {}\n', "monitoring/r.yml": "groups: []\n"})
    runner = FakeRunner({}, installed=())
    artifacts = [art("terraform/main.tf", "terraform"), art("monitoring/r.yml", "prometheus-rules")]
    results = validate_bundle(
        tmp_path, artifacts, runner=runner, schemas=fake_schema_store(installed=False)
    )
    keyed = by_key(results)
    assert runner.calls == []
    assert keyed[("terraform/main.tf", "tf-schema")].status is NOT_INSTALLED
    assert keyed[("terraform/main.tf", "checkov")].status is NOT_INSTALLED
    assert keyed[("terraform/main.tf", "checkov")].message == (
        "validator checkov not installed, artifact not verified"
    )
    assert keyed[("monitoring/r.yml", "promtool")].status is NOT_INSTALLED
    assert keyed[("terraform/main.tf", "hcl2")].status is PASSED  # in-process, really checked


def test_timeout_or_unstartable_tool_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"monitoring/r.yml": "groups: []\n"})
    runner = FakeRunner({"promtool": CommandError("promtool timed out after 120 s")})
    [result] = validate_bundle(tmp_path, [art("monitoring/r.yml", "prometheus-rules")],
                               runner=runner)  # fmt: skip
    assert result.status is ERROR
    assert [f.message for f in result.findings] == ["promtool timed out after 120 s"]


def test_a_parser_bug_is_reported_as_error_not_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(result: CommandResult, path: str) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(linters, "parse_promtool", explode)
    write(tmp_path, {"monitoring/r.yml": "groups: []\n"})
    [result] = validate_bundle(tmp_path, [art("monitoring/r.yml", "prometheus-rules")],
                               runner=FakeRunner({"promtool": ok()}))  # fmt: skip
    assert result.status is ERROR
    assert "internal error" in str(result.findings[0])


def test_kustomize_files_get_yaml_only_and_bad_yaml_is_not_scanned(tmp_path: Path) -> None:
    files = {
        "kubernetes/overlays/dev/kustomization.yaml": "resources: [../../base]\n"
        "patches:\n  - path: replicas.yaml\n",
        "kubernetes/overlays/dev/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
        "kubernetes/base/broken.yaml": "a: [\n",
        "kubernetes/base/nameless.yaml": "apiVersion: v1\nkind: ConfigMap\n",
    }
    write(tmp_path, files)
    runner = FakeRunner({"checkov:kubernetes": ok(report("kubernetes", []))})
    artifacts = [
        art(p, "yaml" if p.endswith("kustomization.yaml") else "kubernetes") for p in files
    ]
    runner.replies["kubectl"] = ok("apiVersion: v1\nkind: ConfigMap\n")
    results = by_key(validate_bundle(tmp_path, artifacts, runner=runner))
    assert sorted(results) == sorted([
        ("kubernetes/overlays/dev/kustomization.yaml", "yaml"),
        ("kubernetes/overlays/dev/kustomization.yaml", "kustomize"),
        ("kubernetes/overlays/dev/replicas.yaml", "yaml"),
        ("kubernetes/base/broken.yaml", "kubernetes-validate"),
        ("kubernetes/base/broken.yaml", "checkov"),
        ("kubernetes/base/nameless.yaml", "kubernetes-validate"),
        ("kubernetes/base/nameless.yaml", "checkov"),
    ])  # fmt: skip
    assert results[("kubernetes/overlays/dev/kustomization.yaml", "yaml")].status is PASSED
    assert results[("kubernetes/base/broken.yaml", "kubernetes-validate")].status is FAILED
    assert results[("kubernetes/base/broken.yaml", "checkov")].status is ERROR
    nameless = results[("kubernetes/base/nameless.yaml", "kubernetes-validate")]
    assert nameless.status is FAILED and "metadata.name" in str(nameless.findings[0])
    [argv] = [a for a, _, _ in runner.calls if a[0].endswith("checkov")]
    assert argv[argv.index("-f") :] == ["-f", "kubernetes/base/nameless.yaml"]  # parseable only


def test_ansible_runs_in_a_scratch_home(tmp_path: Path) -> None:
    write(tmp_path, {"ansible/site.yml": "- hosts: all\n  tasks: []\n"})
    runner = FakeRunner({"ansible-playbook": ok("playbook: ansible/site.yml"),
                         "ansible-lint": ok("[]")})  # fmt: skip
    results = by_key(validate_bundle(tmp_path, [art("ansible/site.yml", "ansible")],
                                     runner=runner))  # fmt: skip
    assert results[("ansible/site.yml", "ansible-syntax")].status is PASSED
    assert results[("ansible/site.yml", "ansible-lint")].status is PASSED
    for _, cwd, env in runner.calls:
        assert cwd == tmp_path
        home = Path(env["ANSIBLE_HOME"])
        assert home.parent == Path(env["ANSIBLE_LOCAL_TEMP"]).parent
        assert not home.is_relative_to(Path.home())
    lint_argv = next(a for a, _, _ in runner.calls if a[0].endswith("ansible-lint"))
    assert "--offline" in lint_argv and lint_argv[-1] == "ansible/site.yml"


def test_markdown_is_skipped_and_bad_paths_are_errors(tmp_path: Path) -> None:
    write(tmp_path, {"docs/runbook.md": "# hi\n", "cfg/a.yaml": "a: 1\n", "cfg/b.json": "[]"})
    artifacts = [art("docs/runbook.md", "markdown"), art("cfg/a.yaml", "yaml"),
                 art("cfg/b.json", "json"), art("../outside.yaml", "yaml"),
                 art("cfg/missing.yaml", "yaml")]  # fmt: skip
    results = validate_bundle(tmp_path, artifacts, runner=FakeRunner({}))
    assert [(r.path, r.status) for r in results] == [
        ("cfg/a.yaml", PASSED), ("cfg/b.json", PASSED),
        ("../outside.yaml", ERROR), ("cfg/missing.yaml", ERROR),
    ]  # fmt: skip


def test_messages_never_leak_internal_role_ids(tmp_path: Path) -> None:
    write(tmp_path, {"terraform/main.tf": 'resource "x" {\n', "cfg/a.yaml": "a: [\n"})
    results = validate_bundle(tmp_path, [art("terraform/main.tf", "terraform"),
                                         art("cfg/a.yaml", "yaml")],
                              runner=FakeRunner({}, installed=()),
                              schemas=fake_schema_store())  # fmt: skip
    found = [str(f) for r in results for f in r.findings]
    text = " ".join([r.message for r in results] + found)
    assert "INF-0" not in text
    assert {(r.validator, r.status) for r in results} == {
        ("hcl2", FAILED), ("tf-schema", ERROR), ("checkov", NOT_INSTALLED), ("yaml", FAILED)
    }  # fmt: skip


# ---------------------------------------------------------------- runner and discovery


def test_locate_prefers_explicit_checkov_then_tools_home_then_path(tmp_path: Path) -> None:
    def exe(rel: str) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return path

    on_path = exe("path/checkov")
    home_tool = exe("tools/checkov/bin/checkov")
    env = {"PATH": str(on_path.parent), "OPSTEAM_TOOLS": str(tmp_path / "tools")}
    assert locate("checkov", S(env), sys.prefix, env["PATH"]) == str(home_tool)
    assert locate("checkov", S({**env, "OPSTEAM_CHECKOV": str(on_path)}), "/x", env["PATH"]) == str(
        on_path
    )
    assert (
        locate("checkov", S({**env, "OPSTEAM_CHECKOV": str(tmp_path / "nope")}), "/x", env["PATH"])
        is None
    )
    assert locate(
        "checkov", S({"OPSTEAM_TOOLS": str(tmp_path / "no-tools")}), "/x", env["PATH"]
    ) == str(on_path)
    venv_tool = exe("venv/bin/promtool")
    assert locate("promtool", S({}), str(venv_tool.parent.parent), "") == str(venv_tool)
    assert locate("promtool", S({}), str(tmp_path / "none"), str(tmp_path / "empty")) is None


def test_subprocess_runner_merges_env_and_raises_on_timeout_or_missing(tmp_path: Path) -> None:
    runner = SubprocessRunner()
    code = "import os, sys; print(os.environ['OPSTEAM_X']); sys.exit(3)"
    result = runner.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30,
                        env={"OPSTEAM_X": "hello"})  # fmt: skip
    assert (result.returncode, result.stdout.strip()) == (3, "hello")
    with pytest.raises(CommandError, match="timed out"):
        runner.run([sys.executable, "-c", "import time; time.sleep(30)"], cwd=tmp_path,
                   timeout=0.5)  # fmt: skip
    with pytest.raises(CommandError, match="could not start"):
        runner.run([str(tmp_path / "no-such-tool")], cwd=tmp_path, timeout=5)
