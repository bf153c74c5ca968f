"""Logging for the command line: every record leaves through the exit, at the configured level.

Configured cheaply at start-up: the handler is installed before any command runs, but the
roster its redactor needs is loaded only when a record is first written, and the level
(``OPSTEAM_LOG`` or the settings file) is applied when a command loads its settings, so
``--help`` and ``--version`` read neither.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsteam.domain.redaction import Redactor
    from opsteam.domain.settings import Settings

FORMAT = "%(levelname)s %(name)s: %(message)s"
_handler: logging.Handler | None = None


def packaged_redactor() -> Redactor:
    """The packaged roster's names, secrets masked; a broken install still masks secrets."""
    from opsteam.domain.redaction import Redactor

    try:
        from opsteam.domain.registry import default_registry

        return Redactor.for_registry(default_registry())
    except Exception:  # a broken install must still print its errors, secrets masked
        return Redactor({})


class _LazyRedactingFormatter(logging.Formatter):
    """Formats a record, then sends it through the packaged roster's redactor (built once)."""

    def __init__(self) -> None:
        super().__init__(FORMAT)
        self._redactor: Redactor | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._redactor is None:
            self._redactor = packaged_redactor()
        return self._redactor.text(super().format(record))


def configure_logging() -> None:
    """Install the redacting handler on the root logger, at WARNING until settings load."""
    global _handler
    _handler = logging.StreamHandler()
    _handler.setFormatter(_LazyRedactingFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[_handler], force=True)


def apply_settings(settings: Settings) -> None:
    """The configured level, once a command has its settings (only when the CLI set logging up)."""
    if _handler is None:
        return
    try:
        logging.getLogger().setLevel(settings.log.upper())
    except ValueError:  # an unknown level name: keep the default
        logging.getLogger().setLevel(logging.WARNING)
