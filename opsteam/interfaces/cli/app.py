"""The ``opsteam`` command: assembles the command groups and runs them.

Exit codes: 0 completed, 3 waiting for approval, 2 bad input or usage, 1 failure.

Start-up stays light: the command modules import only Typer at their top, the roster and the
settings load when a command first asks for them (once per process), and ``--help`` and
``--version`` load neither.
"""

from __future__ import annotations

import copy
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from opsteam.interfaces.cli import evals, incidents, ops, people, prune, requests, show, tasks
from opsteam.interfaces.cli.logs import configure_logging
from opsteam.interfaces.startup import starting

if TYPE_CHECKING:
    from opsteam.interfaces.output import Output

app = typer.Typer(
    name="opsteam",
    help="An infrastructure & operations team: submit change requests, approve checkpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
requests.register(app)
incidents.register(app)
ops.register(app)
evals.register(app)
tasks.register(app)
people.register(app)
show.register(app)
prune.register(app)


def version() -> str:
    """The installed distribution's version (the package's own when run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("opsteam")
    except PackageNotFoundError:
        from opsteam import __version__

        return __version__


def _print_version(wanted: bool) -> None:
    if wanted:  # no roster to load: a version holds no role ID and no secret
        sys.stdout.write(f"opsteam {version()}\n")
        raise typer.Exit(0)


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Chat model as provider:model (overrides OPSTEAM_MODEL); unset: offline.",
            metavar="PROVIDER:MODEL",
        ),
    ] = None,
) -> None:
    del show_version  # handled, eagerly, by its callback
    if model is not None:
        use_model(model)


def use_model(spec: str) -> None:
    """``--model`` for this process: the same setting as ``OPSTEAM_MODEL``, checked first."""
    import os

    from opsteam.domain.errors import InputError
    from opsteam.tools.model import split_spec

    try:
        split_spec(spec)
    except InputError as exc:
        raise typer.BadParameter(exc.message, param_hint="--model") from None
    os.environ["OPSTEAM_MODEL"] = spec


def _exit() -> Output:
    """The exit for framework messages (usage errors): the packaged roster's names."""
    from opsteam.interfaces.cli.logs import packaged_redactor
    from opsteam.interfaces.output import Output

    return Output(packaged_redactor())


def main() -> None:
    starting()
    configure_logging()
    sys.exit(_run_app(sys.argv[1:]))


def _framework_error(name: str) -> type[Exception]:
    """Typer raises click's exceptions (vendored in newer Typer): find them by name."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_UsageError = _framework_error("UsageError")
_ClickException = _framework_error("ClickException")


# Options of the main command that take a value (the subcommand comes after it).
_VALUED = ("--model",)


def _needed(args: list[str]) -> typer.Typer:
    """The application with only the subcommand ``args`` names, when it names one.

    Building a command's parameters reads its signature, so building all of them costs more
    than running ``roster``; the help listing, a mistyped name and no name at all get all.
    """
    words = iter(args)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return _only(word)
    return app


def _only(name: str) -> typer.Typer:
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None
        and (c.name or typer.main.get_command_name(c.callback.__name__)) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app  # unknown: the full application names the choices
    chosen = copy.copy(app)
    chosen.registered_commands, chosen.registered_groups = commands, groups
    return chosen


def _run_app(args: list[str]) -> int:
    """Run the command; a usage mistake becomes one ``error:`` line and exit 2, like bad input."""
    try:
        from opsteam.interfaces.cli.helptext import tidy

        command = tidy(typer.main.get_command(_needed(args)))
        code = command.main(args=args, prog_name="opsteam", standalone_mode=False)
    except _UsageError as exc:
        message: str = exc.format_message()  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":
            _exit().help(message)
            return 2
        ctx = getattr(exc, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        _exit().error([message.replace("Value error, ", "") + hint])
        return 2
    except _ClickException as exc:
        _exit().error([exc.format_message()])  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", 1))
    except typer.Abort:
        _exit().error(["aborted"])
        return 1
    return code if isinstance(code, int) else 0
