"""Stage 7, cli: the `rules` command line. One module per command; plugins may add commands.

The only stage that imports click. May import every stage below it; commands import what they
need lazily, so `rules evaluate` never loads the analysis or authoring stages.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from typing import Any, NoReturn

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail, warn
from rulewright.core.hooks.host import STRICT_ENV
from rulewright.core.version import __version__

# Built-in commands: name -> "module:attribute", imported only when that command runs.
COMMANDS = {
    "evaluate": "rulewright.core.cli.evaluate:evaluate",
    "validate": "rulewright.core.cli.validate:validate",
    "diff": "rulewright.core.cli.diff:diff",
    "list": "rulewright.core.cli.listing:list_rulesets",
    "plugins": "rulewright.core.cli.plugins:plugins",
    "schema": "rulewright.core.cli.schema:schema",
    "export": "rulewright.core.cli.export:export",
    "test": "rulewright.core.cli.test:test",
    "fmt": "rulewright.core.cli.fmt:fmt",
    "new": "rulewright.core.cli.new:new",
    "docs": "rulewright.core.cli.docs:docs",
    "replay": "rulewright.core.cli.replay:replay",
}


_WARNED: set[str] = set()  # plugin command names already warned about in this process


class RulesGroup(click.Group):
    """Loads built-in commands lazily (fast start-up) and adds commands plugins register."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, Any]:
        """Commands plugins registered; anything that is not a click command is left out, named."""
        app = ctx.ensure_object(App)
        registry = app.host.registry
        usable = {}
        for name, command in registry.items["commands"].items():
            if isinstance(command, click.Command):
                usable[name] = command
            elif name not in _WARNED:
                _WARNED.add(name)
                owner = registry.owners["commands"].get(name, "?")
                warn(
                    f"plugin {owner!r} registered command {name!r} as {type(command).__name__}, not a click command; skipped"
                )
        return usable

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # Here, before click's own handler, which would make a closed stdout exit 1.
            _closed_pipe()
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            # A failing plugin command is named and exits 2; a built-in one is an internal error.
            name = ctx.invoked_subcommand
            if name is None or name in COMMANDS:
                _internal_error(exc)
            owner = ctx.ensure_object(App).host.registry.owners["commands"].get(name, "?")
            fail(f"command {name!r} from plugin {owner!r} failed: {type(exc).__name__}: {exc}")

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self._plugin_commands(ctx)))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            import importlib

            module, attr = COMMANDS[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return self._plugin_commands(ctx).get(name)


@click.group(cls=RulesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rules")
@click.option(
    "--strict",
    is_flag=True,
    envvar=STRICT_ENV,
    help=f"Deployment mode (or {STRICT_ENV}=1): the plugin allow-list must pin each plugin as "
    "name@distribution==version, and a plugin that fails to load or a switched-off built-in "
    "a ruleset relies on is exit 2 before any record is read.",
)
@click.pass_context
def cli(ctx: click.Context, strict: bool) -> None:
    """rulewright: check, test, compare and evaluate clinical decision rulesets.

    Results go to stdout, diagnostics to stderr. Exit codes: 0 ok; 1 findings of a complete
    run (error records, failing tests, an invalid ruleset, ...); 2 not run or not complete
    (usage, a ruleset that cannot be loaded, an unsafe --output, an internal error); 3
    `--fail-on` level reached; 130 SIGINT; 141 stdout closed; 143 SIGTERM.
    """
    ctx.ensure_object(App).strict = strict


_STOPPED_BY: dict[int, int] = {signal.SIGINT: exitcodes.INTERRUPTED, signal.SIGTERM: exitcodes.TERMINATED}


def _stop(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM unwind the run like an exception (an `--output` removes its partial
    file, `--jobs` workers are stopped) and end it with 128 + the signal's number, as a shell
    reports a command a signal ended, not the 1 of a complete run with findings."""
    message = f"rules: stopped by {signal.Signals(signum).name}; the output is incomplete\n"
    with contextlib.suppress(OSError):
        # Straight to the descriptor: the handler may run inside a write to sys.stderr.
        os.write(2, message.encode())
    raise SystemExit(_STOPPED_BY[signum])


DEBUG_ENV = "RULEWRIGHT_DEBUG"


def _internal_error(exc: Exception) -> NoReturn:
    """A crash in a built-in command is exit 2 (the run did not complete), never click's 1,
    which a pipeline reads as the findings of a complete run. One line names it; the traceback
    follows only with RULEWRIGHT_DEBUG=1, so a log holds no record content a frame might show."""
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    hint = "" if debug else f" ({DEBUG_ENV}=1 shows the traceback)"
    click.echo(f"rules: internal error: {type(exc).__name__}: {exc}{hint}", err=True)
    if debug:
        import traceback

        click.echo("".join(traceback.format_exception(exc)).rstrip("\n"), err=True)
    raise click.exceptions.Exit(exitcodes.USAGE)


def _closed_pipe() -> NoReturn:
    """Stdout's reader went away (`rules ... | head`): end quietly with 141, what a shell reports
    for a tool a closed pipe ended, so `set -o pipefail` sees an incomplete output, not success."""
    # Python docs, "Note on SIGPIPE": point stdout at devnull so the final flush cannot fail.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real descriptor (a test runner's stand-in)
        pass
    raise SystemExit(exitcodes.CLOSED_PIPE)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: signals and a closed stdout end with their own exit codes."""
    for signum in _STOPPED_BY:
        signal.signal(signum, _stop)
    try:
        cli.main(args=argv, prog_name="rules", standalone_mode=True)
    except BrokenPipeError:
        _closed_pipe()
    finally:
        # The process ends here. Frozen, what it built (modules, the ruleset, the engine, a
        # batch's decisions) is freed without the collector walking it all once more at
        # shutdown: exit is about 10 ms faster (measured).
        gc.freeze()
