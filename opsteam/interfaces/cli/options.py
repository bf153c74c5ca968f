"""Option types every command group shares, so ``--home`` means the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="OPSTEAM_HOME",
        help="Data directory (default: the user data dir).",
        show_default=False,
    ),
]
RegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        envvar="OPSTEAM_REGISTRY",
        help="Use your own registry.yaml.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Write the artifact bundle and manifest here.", show_default=False),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        "--now",
        help="When this happens, ISO 8601 (no zone = UTC; default now).",
        show_default=False,
    ),
]
