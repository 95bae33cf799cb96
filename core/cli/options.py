"""Option decorators shared by commands, so a flag means the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def format_option(
    choices: list[str], default: str | None = None, help: str = "Output format."
) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=default is not None,
        help=help,
    )


def explain_option(f: F) -> F:
    return click.option(
        "--explain", is_flag=True, help="Add the trace of conditions that decided each result."
    )(f)


def id_field_option(f: F) -> F:
    return click.option(
        "--id-field",
        default="id",
        show_default=True,
        metavar="NAME",
        help="Record key carried into the result as input.id (never read as an answer).",
    )(f)
