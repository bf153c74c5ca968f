"""External commands for a planned bundle: one job per batch, run through a CommandRunner.

Slow batched tools first (one checkov run per framework, one ansible-lint and one
kubernetes-validate run per bundle), then the per-file ones (ansible-playbook stops at the first
broken playbook; promtool and kubectl kustomize take one file or directory each).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from opsteam.tools import checkov, kustomize, linters, promtests
from opsteam.tools.outcomes import NOT_INSTALLED, Outcome, error
from opsteam.tools.runner import CommandError, CommandResult, CommandRunner

Key = tuple[str, str]  # (artifact path, validator name)


@dataclass(frozen=True)
class Job:
    """One external command covering one or more files for one validator."""

    validator: str
    program: str
    paths: tuple[str, ...]
    argv: Callable[[str], list[str]]
    parse: Callable[[CommandResult], dict[str, Outcome]]
    timeout: float
    env: Mapping[str, str] = field(default_factory=dict)


def run(job: Job, runner: CommandRunner, bundle_dir: Path) -> dict[Key, Outcome]:
    """A verdict for every path of the job: missing program, crash or parser bug never pass."""
    program = runner.which(job.program)
    verdicts: dict[str, Outcome]
    if program is None:
        verdicts = dict.fromkeys(job.paths, NOT_INSTALLED)
    else:
        try:
            result = runner.run(job.argv(program), cwd=bundle_dir, timeout=job.timeout, env=job.env)
            verdicts = job.parse(result)
        except CommandError as exc:
            verdicts = dict.fromkeys(job.paths, error(str(exc)))
        except Exception as exc:  # a parser bug must surface as "not verified", never a pass
            verdicts = dict.fromkeys(job.paths, error(f"{job.validator} internal error: {exc!r}"))
    unanswered = error(f"{job.validator} gave no verdict for this file")
    return {(path, job.validator): verdicts.get(path, unanswered) for path in job.paths}


def jobs_for(planned: Mapping[str, Sequence[str]], root: Path, scratch: Path) -> list[Job]:
    """Turn the batches (name -> bundle paths) into commands; slow ones first."""
    batches = {name: tuple(paths) for name, paths in planned.items()}
    env = linters.ansible_env(scratch)
    jobs: list[Job] = []
    for framework in checkov.FRAMEWORKS:
        if paths := batches.get(f"checkov-{framework}", ()):
            jobs.append(Job(
                "checkov", "checkov", paths,
                partial(checkov.argv, framework=framework, paths=paths),
                partial(checkov.parse, bundle_dir=root, paths=paths),
                checkov.TIMEOUT_S,
            ))  # fmt: skip
    if paths := batches.get("ansible-lint", ()):
        jobs.append(Job(
            "ansible-lint", "ansible-lint", paths,
            partial(linters.ansible_lint_argv, project_dir=root, paths=paths),
            partial(linters.parse_ansible_lint, paths=paths),
            linters.LINT_TIMEOUT_S, env,
        ))  # fmt: skip
    if paths := batches.get("kubernetes-validate", ()):
        jobs.append(Job(
            "kubernetes-validate", "kubernetes-validate", paths,
            partial(linters.kubernetes_validate_argv, paths=paths),
            partial(linters.parse_kubernetes_validate, paths=paths),
            linters.TIMEOUT_S,
        ))  # fmt: skip
    return jobs + _per_file_jobs(batches, env) + _kustomize_jobs(batches.get("kustomize", ()), root)


def _per_file_jobs(batches: Mapping[str, tuple[str, ...]], env: Mapping[str, str]) -> list[Job]:
    """One command per file."""
    jobs = [
        Job(
            "ansible-syntax", "ansible-playbook", (path,),
            partial(linters.ansible_syntax_argv, path=path),
            partial(_single, linters.parse_ansible_syntax, path),
            linters.TIMEOUT_S, env,
        )
        for path in batches.get("ansible-syntax", ())
    ]  # fmt: skip
    jobs += [
        Job(
            "promtool", "promtool", (path,),
            partial(linters.promtool_argv, path=path),
            partial(_single, partial(linters.parse_promtool, path=path), path),
            linters.TIMEOUT_S,
        )
        for path in batches.get("promtool", ())
    ]  # fmt: skip
    # Checkers of one whole file: (validator, program, argv, parse).
    whole_file = (
        ("promtool-config", "promtool", linters.promtool_config_argv,
         linters.parse_promtool_config),
        ("amtool", "amtool", linters.amtool_argv, linters.parse_amtool),
    )  # fmt: skip
    jobs += [
        Job(
            name, program, (path,),
            partial(argv, path=path), partial(_single, parse, path), linters.TIMEOUT_S,
        )
        for name, program, argv, parse in whole_file
        for path in batches.get(name, ())
    ]  # fmt: skip
    jobs += [
        Job(
            "promtool-test", promtests.PROGRAM, (path,),
            partial(promtests.argv, path=path),
            partial(_single, promtests.parse, path),
            promtests.TIMEOUT_S,
        )
        for path in batches.get("promtool-test", ())
    ]  # fmt: skip
    return jobs


def _kustomize_jobs(paths: Sequence[str], root: Path) -> list[Job]:
    """One build per overlay (kubectl kustomize builds one directory)."""
    return [
        Job(
            "kustomize", kustomize.PROGRAM, (path,),
            partial(kustomize.argv, path=path),
            partial(_single, partial(kustomize.parse, bundle_dir=str(root.resolve())), path),
            kustomize.TIMEOUT_S,
        )
        for path in paths
    ]  # fmt: skip


def _single(
    parse: Callable[[CommandResult], Outcome], path: str, result: CommandResult
) -> dict[str, Outcome]:
    return {path: parse(result)}
