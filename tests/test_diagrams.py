"""The plan's architecture diagram: Mermaid in the markdown always, SVG when mmdc is there."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from opsteam.application.service import Opsteam
from opsteam.intake import parse_requests
from opsteam.tools.diagrams import MermaidCli
from opsteam.tools.formats import check_svg
from opsteam.tools.runner import CommandResult
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "web-service-k8s.yaml"
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>'


class FakeRenderer:
    def __init__(self) -> None:
        self.sources: list[str] = []

    def render_svg(self, source: str) -> str | None:
        self.sources.append(source)
        return SVG


class FakeMmdc:
    """Runs like ``mmdc``: reads ``-i``, writes ``-o`` in its working directory."""

    def __init__(self, installed: bool = True, exit_code: int = 0) -> None:
        self.installed, self.exit_code = installed, exit_code
        self.argv: list[str] = []

    def which(self, program: str) -> str | None:
        return f"/usr/bin/{program}" if self.installed else None

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        self.argv = list(argv)
        assert (cwd / argv[argv.index("-i") + 1]).read_text().startswith("flowchart TB")
        if self.exit_code == 0:
            (cwd / argv[argv.index("-o") + 1]).write_text(SVG)
        return CommandResult(self.exit_code, "", "" if self.exit_code == 0 else "Error: parse")


def test_the_plan_embeds_the_mermaid_the_renderer_draws(tmp_path: Path) -> None:
    renderer = FakeRenderer()
    team = Opsteam(home=tmp_path, verifier=ParseOnlyVerifier(), renderer=renderer)
    result = past_design_review(team, team.submit(parse_requests(EXAMPLE.read_bytes()))[0])
    files = {a.path: a for a in team.state(result.thread_id).all_artifacts()}
    [source] = renderer.sources
    assert f"```mermaid\n{source}```" in files["plan/infrastructure-plan.md"].content
    assert files["plan/architecture.svg"].content == SVG
    assert files["plan/architecture.svg"].kind == "svg"


def test_without_a_renderer_there_is_only_the_mermaid(tmp_path: Path) -> None:
    team = Opsteam(home=tmp_path, verifier=ParseOnlyVerifier())
    result = past_design_review(team, team.submit(parse_requests(EXAMPLE.read_bytes()))[0])
    paths = {a.path for a in team.state(result.thread_id).all_artifacts()}
    assert "plan/architecture.svg" not in paths


def test_the_cli_renders_with_the_system_chromium_or_gives_nothing() -> None:
    runner = FakeMmdc()
    assert MermaidCli(runner).render_svg("flowchart TB\n  a --> b\n") == SVG
    assert runner.argv[:4] == ["/usr/bin/mmdc", "-q", "-p", "puppeteer.json"]
    assert MermaidCli(FakeMmdc(installed=False)).render_svg("flowchart TB\n") is None
    assert MermaidCli(FakeMmdc(exit_code=1)).render_svg("flowchart TB\n") is None
    assert check_svg("<html/>").status.value == "failed"
    assert check_svg('<!DOCTYPE x [<!ENTITY a "b">]><svg/>').status.value == "failed"
    assert check_svg(SVG).status.value == "passed"


@pytest.mark.slow
def test_the_real_mermaid_cli_draws_every_example_diagram(tmp_path: Path) -> None:
    cli = MermaidCli()
    if not cli.available():
        reason = "mmdc or Chromium is not installed (make validators installs mmdc)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    team = Opsteam(home=tmp_path, verifier=ParseOnlyVerifier(), renderer=cli)
    result = past_design_review(team, team.submit(parse_requests(EXAMPLE.read_bytes()))[0])
    svg = next(a for a in team.state(result.thread_id).all_artifacts() if a.kind == "svg")
    assert check_svg(svg.content).status.value == "passed"
    assert "storefront-staging-alb" in svg.content
