"""Intake: what people send (a form, or plain words) becomes typed, validated input.

Everything is validated before anything runs or is stored, so bad input changes nothing.
"""

from opsteam.intake.forms import MAX_INPUT_BYTES, load_document, parse_requests
from opsteam.intake.scope import scope_redirect

__all__ = ["MAX_INPUT_BYTES", "load_document", "parse_requests", "scope_redirect"]
