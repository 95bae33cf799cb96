"""Stage 7, cli: the `rules` command line. One module per command; plugins may add commands.

The only stage that imports click. May import every stage below it; commands import what they
need lazily, so `rules evaluate` never loads the analysis or authoring stages.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from typing import Any

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
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            # A failing plugin command is named and exits 2; a built-in one is an internal error.
            name = ctx.invoked_subcommand
            if name is None or name in COMMANDS:
                raise
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

    Results go to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 findings (invalid
    ruleset, error records, ...), 2 usage or internal error, 3 `--fail-on` level reached.
    """
    ctx.ensure_object(App).strict = strict


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: handles a closed stdout (`rules ... | head`) quietly."""
    # SIGTERM unwinds like Ctrl-C does, so `--output` removes its unfinished temporary file.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(args=argv, prog_name="rules", standalone_mode=True)
    except BrokenPipeError:
        # Python docs, "Note on SIGPIPE": point stdout at devnull so the final flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(exitcodes.FINDINGS)
    finally:
        # The process ends here. Frozen, what it built (modules, the ruleset, the engine, a
        # batch's decisions) is freed without the collector walking it all once more at
        # shutdown: exit is about 10 ms faster (measured).
        gc.freeze()
