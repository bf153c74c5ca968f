"""Help text people can read: ``--json`` not ``--json <bool>``, ``THREAD`` not ``{thread}``.

Typer labels every parameter with its Python type and wraps required arguments in braces.
:func:`tidy` walks the built command tree once and gives each parameter the plain name the
help shows instead: flags show nothing, values an upper-case kind (``PATH``, ``TEXT``),
choices their values, and arguments their upper-case name (``[FILE]`` when optional).
"""

from __future__ import annotations

from typing import Any

import typer

_KINDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "file": "FILE"}


def _no_type(ctx: Any = None) -> None:
    """An argument's name says what it is: the type column stays empty."""
    del ctx


def _value_name(param: Any, ctx: Any) -> str:
    """``TEXT``, ``PATH``, ``INTEGER`` or ``a|b|c``: what to type after the option."""
    label = str(param.display_type(ctx)).strip("<>")
    if "|" in label:
        return label
    return _KINDS.get(label, label.upper())


def _tidy_param(param: Any, ctx: Any) -> None:
    if getattr(param, "param_type_name", "") == "argument":
        name = str(param.name).upper()
        param.metavar = name
        usage = name if param.required else f"[{name}]"
        param._usage_display_name = lambda: usage  # the usage line, per instance
        param.display_type_rich = _no_type
        return
    if getattr(param, "is_flag", False) or getattr(param, "is_bool_flag", False):
        param.metavar = ""
        return
    if param.metavar is None:
        param.metavar = _value_name(param, ctx)


def tidy(command: Any) -> Any:
    """Give every parameter of ``command`` and its subcommands a clean help label."""
    ctx = typer.Context(command)
    params = list(command.params)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        params.append(help_option)
    for param in params:
        _tidy_param(param, ctx)
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)
    return command
