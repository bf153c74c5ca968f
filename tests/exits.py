"""The packaged roster's exit, as the CLI builds it, for tests that print or redact."""

from __future__ import annotations

from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import default_registry
from opsteam.interfaces.output import Output

REDACTOR = Redactor.for_registry(default_registry())
EXIT = Output(REDACTOR)
redact = REDACTOR.value
redact_text = REDACTOR.text
emit = EXIT.emit
emit_error = EXIT.error
to_json = EXIT.to_json
