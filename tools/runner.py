"""The only place validators touch subprocesses, behind a small protocol so tests can fake it.

Finding a tool (``which``) belongs here too: whether a program is installed is a fact about the
outside world, and a fake must be able to say "not installed" without touching ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from opsteam.domain.settings import Settings, load_settings, tools_home

CHECKOV = "checkov"
MMDC = "mmdc"
AMTOOL = "amtool"


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left behind (the part of CompletedProcess validators read)."""

    returncode: int
    stdout: str
    stderr: str


class CommandError(Exception):
    """The command could not run to completion (would not start, or timed out)."""


class CommandRunner(Protocol):
    """Runs external programs; implementations must be safe to call from several threads."""

    def which(self, program: str) -> str | None:
        """Absolute path of ``program``, or None when it is not installed."""

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        """Run ``argv``; ``env`` is added on top of the current environment.

        Raises CommandError when the program cannot start or exceeds ``timeout`` seconds.
        """


def locate(program: str, settings: Settings, prefix: str, path: str | None = None) -> str | None:
    """Resolve a tool the way CI installs it; None means not installed.

    checkov lives in its own venv (its pins clash with ours): ``$OPSTEAM_CHECKOV``, then the
    tools home, then PATH; the Mermaid CLI and amtool: the tools home, then PATH. Everything
    else: this venv's bin dir first (the pinned extras), then PATH.
    """
    candidates: list[Path] = []
    if program == CHECKOV:
        explicit = settings.checkov
        if explicit is not None:
            return str(explicit) if _executable(explicit) else None
        candidates.append(tools_home(settings) / "checkov" / "bin" / "checkov")
    elif program == MMDC:  # the Mermaid CLI, installed from npm into the tools home
        candidates.append(tools_home(settings) / "mermaid" / "node_modules" / ".bin" / MMDC)
    elif program == AMTOOL:  # unpacked from Debian's prometheus-alertmanager (no daemon)
        candidates.append(tools_home(settings) / "alertmanager" / "usr" / "bin" / AMTOOL)
    else:
        candidates.append(Path(prefix) / "bin" / program)
    for candidate in candidates:
        if _executable(candidate):
            return str(candidate)
    return shutil.which(program, path=os.defpath if path is None else path)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


class SubprocessRunner:
    """The real runner: no shell, captured text output, hard timeout."""

    def which(self, program: str) -> str | None:
        return locate(program, load_settings(), sys.prefix, os.environ.get("PATH", os.defpath))

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        full_env = {**os.environ, **(env or {})}
        try:
            done = subprocess.run(
                list(argv),
                cwd=cwd,
                env=full_env,
                timeout=timeout,
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandError(f"{Path(argv[0]).name} timed out after {timeout:g} s") from exc
        except OSError as exc:
            raise CommandError(f"{Path(argv[0]).name} could not start: {exc.strerror}") from exc
        return CommandResult(done.returncode, done.stdout, done.stderr)
