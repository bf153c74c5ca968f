"""What one command invocation works with: its roster, its exit, its data home, its team.

Built from the shared options; everything heavy (the graph, the history store) is imported
only when a command asks for it, so ``--help`` and ``roster`` start fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from opsteam.domain.errors import InputError
from opsteam.interfaces.cli.logs import apply_settings
from opsteam.interfaces.startup import settled

if TYPE_CHECKING:
    from opsteam.application.service import Opsteam
    from opsteam.domain.registry import Registry
    from opsteam.domain.settings import Settings
    from opsteam.interfaces.output import Output


def _settings() -> Settings:
    from opsteam.domain.settings import load_settings

    return load_settings()


@dataclass
class Invocation:
    home_option: Path | None = None
    registry_option: Path | None = None
    settings: Settings = field(default_factory=_settings)

    def __post_init__(self) -> None:
        apply_settings(self.settings)

    @cached_property
    def registry(self) -> Registry:
        from opsteam.domain.registry import load_registry

        return load_registry(self.registry_option, settings=self.settings)

    @cached_property
    def output(self) -> Output:
        """The exit for this command: the loaded roster's IDs, else the packaged roster's."""
        from opsteam.domain.redaction import Redactor
        from opsteam.domain.registry import default_registry
        from opsteam.interfaces.output import Output

        try:
            registry = self.registry
        except InputError:  # a broken --registry: its own IDs are unknown, use the packaged
            registry = default_registry()
        return Output(Redactor.for_registry(registry))

    @cached_property
    def home(self) -> Path:
        """The data home, refused with one line when it cannot be a directory."""
        from opsteam.domain.settings import data_home

        try:
            return data_home(self.home_option, self.settings)
        except OSError as exc:
            why = "not a directory" if isinstance(exc, FileExistsError) else exc.strerror
            where = self.home_option or "$OPSTEAM_HOME"
            raise InputError(f"home: cannot use {where} as the data directory ({why})") from None

    def team(self) -> Opsteam:
        """The request team, with step progress when a person watches the terminal."""
        from opsteam.application.service import Opsteam

        settled()  # the heaviest import of any command is done
        return Opsteam(
            self.home,
            self.registry,
            progress=self.output.progress(enabled=not self.settings.quiet),
        )
