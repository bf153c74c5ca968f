"""Run the real linters over a written bundle and report one result per (artifact, validator).

What runs for each artifact kind (validator names as reported):

* terraform: ``hcl2`` (python-hcl2 parse), ``tf-schema`` (the module against the AWS provider
  schema, in-process, see tools/tfschema) and ``checkov`` (terraform framework)
* tfvars (``terraform.tfvars.example``): ``hcl2`` (the example values parse)
* kubernetes: ``kubernetes-validate`` (--strict, schemas of Kubernetes 1.30) and ``checkov``
  (kubernetes framework); kustomization files and the patches they list are partial objects,
  so they get ``yaml``, and each root kustomization (an overlay) also ``kustomize`` (it builds)
* ansible: ``ansible-syntax`` (ansible-playbook --syntax-check) and ``ansible-lint`` (--offline)
* prometheus-rules: ``promtool`` (check rules)
* prometheus-tests: ``promtool-test`` (promtool test rules: the alerts fire as the tests say)
* prometheus-config: ``promtool-config`` (promtool check config: scrape jobs and rule files)
* alertmanager-config: ``amtool`` (amtool check-config: routes, receivers, inhibitions)
* grafana-dashboard / json: ``json`` (dashboards also need a title and panels with targets)
* svg (the plan's rendered diagram): ``svg`` (well-formed XML with an ``svg`` root)
* yaml: ``yaml``; markdown: nothing

External programs run through a CommandRunner: batched (one checkov run per framework, one
kubernetes-validate and one ansible-lint run per bundle) and in parallel. A missing program gives
``not-installed`` and a tool that cannot answer gives ``error``: neither is ever a pass.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from opsteam.domain.models import Artifact, Finding, ValidationResult, ValidationStatus
from opsteam.tools import formats, kustomize, promtests
from opsteam.tools.jobs import Key, jobs_for, run
from opsteam.tools.outcomes import NOT_INSTALLED, Outcome, error, failed, finding
from opsteam.tools.runner import CommandRunner, SubprocessRunner
from opsteam.tools.tfschema.store import CachedSchemaStore, SchemaStore

__all__ = ["CommandRunner", "SchemaStore", "SubprocessRunner", "validate_bundle"]

# External tools are CPU-bound (checkov ~3 s each): more workers than cores only adds contention.
MAX_PARALLEL = min(4, os.cpu_count() or 1)


@dataclass
class _Plan:
    """Which results are owed, those already known, and the paths each batch tool must scan."""

    bundle_dir: Path
    order: list[Key] = field(default_factory=list)
    known: dict[Key, Outcome] = field(default_factory=dict)
    batches: dict[str, list[str]] = field(default_factory=dict)
    terraform: dict[str, str] = field(default_factory=dict)  # path -> text, for tf-schema
    notes: dict[Key, list[Finding]] = field(default_factory=dict)  # found while planning
    kustomizations: dict[str, list[Any]] = field(default_factory=dict)  # path -> YAML docs

    def owe(self, path: str, validator: str, outcome: Outcome | None = None) -> None:
        key = (path, validator)
        if key in self.order:
            return
        self.order.append(key)
        if outcome is not None:
            self.known[key] = outcome

    def queue(self, batch: str, path: str, validator: str) -> None:
        if (path, validator) not in self.order:
            self.owe(path, validator)
            self.batches.setdefault(batch, []).append(path)


def validate_bundle(
    bundle_dir: Path,
    artifacts: Sequence[Artifact],
    *,
    runner: CommandRunner | None = None,
    schemas: SchemaStore | None = None,
) -> list[ValidationResult]:
    """Validate artifacts already written under ``bundle_dir`` at ``artifact.path``.

    ``runner`` runs the external programs, ``schemas`` gives the Terraform provider schema
    (default: the cache ``make validators`` builds); tests pass fakes of both.
    """
    runner = runner or SubprocessRunner()
    plan = _plan(bundle_dir, artifacts)
    outcomes = dict(plan.known)
    with tempfile.TemporaryDirectory(prefix="opsteam-validate-") as scratch:
        jobs = jobs_for(plan.batches, bundle_dir, Path(scratch))
        with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(jobs)))) as pool:
            running = pool.map(lambda job: run(job, runner, bundle_dir), jobs)
            outcomes.update(_tf_schema(plan.terraform, schemas or CachedSchemaStore()))
            for found in running:
                outcomes.update(found)
    for key, notes in plan.notes.items():
        outcomes[key] = _with_notes(outcomes.get(key), notes)
    missing = error("no verdict was produced for this file")
    return [
        ValidationResult(
            path=path,
            validator=validator,
            status=outcomes.get((path, validator), missing).status,
            findings=[
                f.model_copy(update={"validator": validator, "file": path})
                for f in outcomes.get((path, validator), missing).findings
            ],
        )
        for path, validator in plan.order
    ]


def _with_notes(outcome: Outcome | None, notes: list[Finding]) -> Outcome:
    """Planning-time findings join the tool's; an unverified file stays unverified."""
    if outcome is None:
        return error("no verdict was produced for this file")
    findings = [*outcome.findings, *notes]
    if outcome.status in (ValidationStatus.ERROR, ValidationStatus.NOT_INSTALLED):
        return Outcome(outcome.status, tuple(findings))
    if any(f.severity == "error" for f in findings):
        return failed(findings)
    return Outcome(outcome.status, tuple(findings))


def _tf_schema(texts: Mapping[str, str], schemas: SchemaStore) -> dict[Key, Outcome]:
    """The provider-schema check of every module; no cache = not installed, never a pass."""
    if not texts:
        return {}
    from opsteam.tools.tfschema.modules import check_files

    try:
        schema = schemas.load()
        verdicts = check_files(schema, texts) if schema is not None else None
    except ImportError:
        verdicts = None  # python-hcl2 is missing: the hcl2 validator says so too
    except (OSError, ValueError) as exc:
        reason = f"provider-schema cache unreadable ({exc}); rebuild it with make validators"
        verdicts = dict.fromkeys(texts, error(reason))
    if verdicts is None:
        return {(path, "tf-schema"): NOT_INSTALLED for path in texts}
    return {(path, "tf-schema"): verdict for path, verdict in verdicts.items()}


def _plan(bundle_dir: Path, artifacts: Sequence[Artifact]) -> _Plan:
    plan = _Plan(bundle_dir)
    texts = {a.path: _read(bundle_dir, a.path) for a in artifacts if a.kind != "markdown"}
    patches = _patch_paths(artifacts, texts)
    for artifact in artifacts:
        if artifact.kind == "markdown":
            continue
        text = texts[artifact.path]
        if isinstance(text, Outcome):
            for validator in _validators_for(artifact, patches):
                plan.owe(artifact.path, validator, text)
            continue
        _PLANNERS[artifact.kind](plan, artifact.path, text, patches)
    for root in kustomize.roots(plan.kustomizations):
        plan.queue("kustomize", root, "kustomize")
    return plan


def _read(bundle_dir: Path, path: str) -> str | Outcome:
    root = bundle_dir.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        return error("artifact path points outside the bundle")
    try:
        return target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return error("artifact file is missing from the bundle")
    except (OSError, UnicodeDecodeError) as exc:
        return error(f"artifact file is unreadable: {exc}")


def _patch_paths(artifacts: Sequence[Artifact], texts: Mapping[str, str | Outcome]) -> set[str]:
    patches: set[str] = set()
    for artifact in artifacts:
        text = texts.get(artifact.path)
        if artifact.kind in ("kubernetes", "yaml") and formats.is_kustomization(artifact.path):
            docs, _ = formats.load_yaml(text) if isinstance(text, str) else (None, None)
            patches |= formats.kustomize_patches(artifact.path, docs or [])
    return patches


def _validators_for(artifact: Artifact, patches: set[str]) -> tuple[str, ...]:
    """For a file that could not be read: every validator that would have run on it."""
    if formats.is_kustomization(artifact.path) and artifact.kind in ("kubernetes", "yaml"):
        return ("yaml", "kustomize")
    if artifact.kind == "kubernetes":
        return ("yaml",) if artifact.path in patches else ("kubernetes-validate", "checkov")
    return _VALIDATORS[artifact.kind]


_VALIDATORS: dict[str, tuple[str, ...]] = {
    "terraform": ("hcl2", "tf-schema", "checkov"),
    "tfvars": ("hcl2",),
    "ansible": ("ansible-syntax", "ansible-lint"),
    "prometheus-rules": ("promtool",),
    "prometheus-tests": ("promtool-test",),
    "prometheus-config": ("promtool-config",),
    "alertmanager-config": ("amtool",),
    "grafana-dashboard": ("json",),
    "svg": ("svg",),
    "json": ("json",),
    "yaml": ("yaml",),
}


def _plan_terraform(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.owe(path, "hcl2", formats.check_hcl(text))
    plan.owe(path, "tf-schema")
    plan.terraform[path] = text
    plan.queue("checkov-terraform", path, "checkov")


def _plan_kubernetes(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    docs, parsed = formats.load_yaml(text)
    if formats.is_kustomization(path):
        _plan_kustomization(plan, path, docs, parsed)
        return
    if path in patches:
        plan.owe(path, "yaml", parsed)
        return
    if docs is None:
        plan.owe(path, "kubernetes-validate", parsed)
        plan.owe(path, "checkov", error("not scanned: the file is not valid YAML"))
        return
    problems = formats.object_problems(docs)
    if problems:
        plan.owe(path, "kubernetes-validate", failed(problems))
    else:
        plan.queue("kubernetes-validate", path, "kubernetes-validate")
    plan.queue("checkov-kubernetes", path, "checkov")


def _plan_ansible(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.queue("ansible-syntax", path, "ansible-syntax")
    plan.queue("ansible-lint", path, "ansible-lint")


def _plan_kustomization(plan: _Plan, path: str, docs: list[Any] | None, parsed: Outcome) -> None:
    """YAML parse now; ``kustomize`` later, once every kustomization is known (roots only)."""
    plan.owe(path, "yaml", parsed)
    plan.kustomizations[path] = docs or []


def _plan_promtool(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.queue("promtool", path, "promtool")


def _plan_promtool_config(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.queue("promtool-config", path, "promtool-config")


def _plan_amtool(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.queue("amtool", path, "amtool")


def _plan_promtool_test(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    """A test file that does not parse or holds no tests proves nothing: failed, not run."""
    docs, parsed = formats.load_yaml(text)
    if docs is None:
        plan.owe(path, "promtool-test", parsed)
        return
    test_doc = docs[0] if len(docs) == 1 and isinstance(docs[0], dict) else {}
    tests = test_doc.get("tests")
    if not isinstance(tests, list) or not tests:
        plan.owe(path, "promtool-test", failed([finding("test-file", "the file holds no tests")]))
        return
    plan.queue("promtool-test", path, "promtool-test")
    rules = {name: _rule_docs(plan.bundle_dir, path, name) for name in _rule_files(test_doc)}
    plan.notes[(path, "promtool-test")] = promtests.coverage(test_doc, rules)


def _rule_files(test_doc: Mapping[str, Any]) -> list[str]:
    names = test_doc.get("rule_files") or []
    return [n for n in names if isinstance(n, str) and not any(c in n for c in "*?[")]


def _rule_docs(bundle_dir: Path, test_path: str, name: str) -> list[Any] | None:
    """A rule file named by a test (relative to the test file), parsed; None if unusable."""
    text = _read(bundle_dir, str(PurePosixPath(test_path).parent / name))
    return formats.load_yaml(text)[0] if isinstance(text, str) else None


def _plan_tfvars(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    """Example values of a module's inputs: HCL that must parse (there is nothing to plan)."""
    plan.owe(path, "hcl2", formats.check_hcl(text))


def _plan_dashboard(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.owe(path, "json", formats.check_json(text, dashboard=True))


def _plan_svg(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.owe(path, "svg", formats.check_svg(text))


def _plan_json(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    plan.owe(path, "json", formats.check_json(text, dashboard=False))


def _plan_yaml(plan: _Plan, path: str, text: str, patches: set[str]) -> None:
    docs, parsed = formats.load_yaml(text)
    if formats.is_kustomization(path):
        _plan_kustomization(plan, path, docs, parsed)
        return
    plan.owe(path, "yaml", parsed)


_PLANNERS: dict[str, Callable[[_Plan, str, str, set[str]], None]] = {
    "terraform": _plan_terraform,
    "tfvars": _plan_tfvars,
    "kubernetes": _plan_kubernetes,
    "ansible": _plan_ansible,
    "prometheus-rules": _plan_promtool,
    "prometheus-tests": _plan_promtool_test,
    "prometheus-config": _plan_promtool_config,
    "alertmanager-config": _plan_amtool,
    "grafana-dashboard": _plan_dashboard,
    "svg": _plan_svg,
    "json": _plan_json,
    "yaml": _plan_yaml,
}
