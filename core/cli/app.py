"""The small application object every command gets on `ctx.obj`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click

from rulewright.core.cli import exitcodes
from rulewright.core.hooks.host import PluginConflict, PluginHost, make_plugin_host
from rulewright.core.model.diagnostics import RulesetError


@dataclass
class App:
    _host: PluginHost | None = field(default=None, repr=False)

    @property
    def host(self) -> PluginHost:
        """The plugin host, built on first use; load failures are reported once on stderr."""
        if self._host is None:
            try:
                self._host = make_plugin_host()
            except PluginConflict as exc:
                # Two plugins claim one name: refuse to guess which one a deployment meant.
                fail(f"plugin conflict: {exc}")
            for failure in self._host.failures:
                warn(failure.text())
        return self._host

    def load(self, ref: str) -> Any:
        """Load a ruleset for a command; if it cannot be found or loaded, exit 2 with every
        diagnostic (the command did not run; `rules validate` reports an invalid one as a finding)."""
        from rulewright.core.model.loader import load_ruleset

        try:
            return load_ruleset(ref, operators=self.host.registry.items["operators"])
        except RulesetError as exc:
            for diag in exc.diagnostics:
                click.echo(diag.text(), err=True)
            raise click.exceptions.Exit(exitcodes.USAGE) from None


def warn(message: str) -> None:
    click.echo(f"rules: warning: {message}", err=True)


def fail(message: str, code: int = exitcodes.USAGE) -> NoReturn:
    click.echo(f"rules: error: {message}", err=True)
    raise click.exceptions.Exit(code)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
