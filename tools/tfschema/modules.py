"""A bundle's Terraform files -> one verdict per file, module by module (a directory).

References resolve across the files of a directory, so a file that does not parse leaves its
whole module unchecked (``error``, never a pass); the ``hcl2`` validator says where it broke.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from opsteam.domain.models import ValidationStatus
from opsteam.tools.outcomes import PASSED, Outcome, error, failed
from opsteam.tools.tfschema.check import check_module
from opsteam.tools.tfschema.hcl import Block, HclError, parse_file
from opsteam.tools.tfschema.model import ProviderSchema


def check_files(schema: ProviderSchema, texts: Mapping[str, str]) -> dict[str, Outcome]:
    """Verdict per path; ``texts`` maps bundle paths of ``.tf`` files to their text."""
    modules: dict[str, dict[str, str]] = {}
    for path, text in texts.items():
        modules.setdefault(str(PurePosixPath(path).parent), {})[path] = text
    verdicts: dict[str, Outcome] = {}
    for files in modules.values():
        verdicts.update(_check_directory(schema, files))
    return verdicts


def _check_directory(schema: ProviderSchema, files: Mapping[str, str]) -> dict[str, Outcome]:
    blocks: list[Block] = []
    broken: list[str] = []
    for path, text in files.items():
        try:
            blocks.extend(parse_file(path, text))
        except HclError:
            broken.append(path)
    if broken:
        reason = f"module not checked: {', '.join(sorted(broken))} does not parse"
        return dict.fromkeys(files, error(reason))
    found = check_module(schema, blocks, files)
    verdicts: dict[str, Outcome] = {}
    for path in files:
        items = found.get(path, [])
        if any(item.severity == "error" for item in items):
            verdicts[path] = failed(items)
        else:
            verdicts[path] = Outcome(ValidationStatus.PASSED, tuple(items)) if items else PASSED
    return verdicts
