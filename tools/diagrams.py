"""Architecture diagrams as SVG: the official Mermaid CLI (``mmdc``) driving a local Chromium.

Optional by design: when either program is missing, or the render fails, there is no SVG and
the plan keeps its Mermaid source (which renders wherever markdown shows Mermaid). Nothing
here downloads a browser: ``.ci/install-validators.sh`` installs the CLI from npm with
Puppeteer's download skipped and points it at the system's Chromium.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Protocol

from opsteam.domain.settings import Settings
from opsteam.tools.runner import MMDC, CommandError, CommandRunner, SubprocessRunner

TIMEOUT_S = 90.0
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Chromium flags for a headless, network-less render (see ENVIRONMENT-NOTES).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class DiagramRenderer(Protocol):
    def render_svg(self, source: str) -> str | None:
        """The diagram as SVG text, or None when it cannot be rendered here."""


class MermaidCli:
    """``mmdc -i diagram.mmd -o diagram.svg`` with the first Chromium found on PATH."""

    def __init__(self, runner: CommandRunner | None = None) -> None:
        self.runner = runner or SubprocessRunner()

    def available(self) -> bool:
        return self.runner.which(MMDC) is not None and self._browser() is not None

    def _browser(self) -> str | None:
        return next((b for b in map(self.runner.which, BROWSERS) if b), None)

    def render_svg(self, source: str) -> str | None:
        program, browser = self.runner.which(MMDC), self._browser()
        if program is None or browser is None:
            return None
        with tempfile.TemporaryDirectory(prefix="opsteam-diagram-") as scratch:
            root = Path(scratch)
            (root / "diagram.mmd").write_text(source, encoding="utf-8")
            config = {"executablePath": browser, "args": CHROMIUM_ARGS}
            (root / "puppeteer.json").write_text(json.dumps(config), encoding="utf-8")
            argv = [program, "-q", "-p", "puppeteer.json", "-i", "diagram.mmd", "-o", "out.svg"]
            try:
                result = self.runner.run(argv, cwd=root, timeout=TIMEOUT_S)
            except CommandError:
                return None
            svg = root / "out.svg"
            if result.returncode != 0 or not svg.is_file():
                return None
            return svg.read_text(encoding="utf-8")


def default_renderer(settings: Settings) -> DiagramRenderer | None:
    """The Mermaid CLI when diagrams are on (``OPSTEAM_DIAGRAMS``) and its tools are
    installed; otherwise none (the plan keeps its Mermaid source)."""
    cli = MermaidCli()
    return cli if settings.diagrams and cli.available() else None
