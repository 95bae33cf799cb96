"""The small application object every command gets on `ctx.obj`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click

from rulewright.core.cli import exitcodes
from rulewright.core.hooks.host import PluginConflict, PluginHost, PluginLoadError, make_plugin_host
from rulewright.core.model.diagnostics import RulesetError


@dataclass
class App:
    _host: PluginHost | None = field(default=None, repr=False)
    strict: bool = False  # `rules --strict` / RULEWRIGHT_STRICT: a plugin problem is exit 2
    _checked: bool = field(default=False, repr=False)

    @property
    def host(self) -> PluginHost:
        """The plugin host, built on first use; load failures are reported once on stderr."""
        if self._host is None:
            try:
                self._host = make_plugin_host(strict=self.strict)
            except PluginConflict as exc:
                # Two plugins claim one name: refuse to guess which one a deployment meant.
                fail(f"plugin conflict: {exc}")
            except PluginLoadError as exc:
                fail(str(exc))
        if not self._checked:
            self._checked = True
            _refuse_shadowed_commands(self._host)
            # Outside strict mode a listed plugin that did not load is skipped: say what that costs.
            for failure in self._host.failures:
                warn(f"{failure.text()}; this run goes on without it (rules --strict stops instead)")
        return self._host

    def load(self, ref: str) -> Any:
        """Load a ruleset for a command; if it cannot be found or loaded, exit 2 with every
        diagnostic (the command did not run; `rules validate` reports an invalid one as a finding)."""
        from rulewright.core.model.loader import load_ruleset

        try:
            ruleset = load_ruleset(ref, operators=self.host.registry.items["operators"])
        except RulesetError as exc:
            for diag in exc.diagnostics:
                click.echo(diag.text(), err=True)
            if self.host.switched_off:  # an operator the ruleset names may be a switched-off one's
                warn(
                    f"built-in plugin(s) switched off by RULEWRIGHT_DISABLE_PLUGINS: {', '.join(self.host.switched_off)}"
                )
            raise click.exceptions.Exit(exitcodes.USAGE) from None
        for problem in self.host.unmet_needs(ruleset):
            if self.strict:
                fail(f"strict mode: {problem}")
            warn(problem)
        return ruleset


def _refuse_shadowed_commands(host: PluginHost) -> None:
    """A plugin command named like a built-in one would be listed but never run: refuse it."""
    from rulewright.core.cli import COMMANDS  # the group's module imports this one

    for name, owner in host.registry.owners["commands"].items():
        if name in COMMANDS:
            fail(
                f"plugin conflict: command {name!r} is registered by both rules (built-in command) "
                f"and {host.registry.label(owner)}; uninstall it or leave it out of RULEWRIGHT_PLUGINS"
            )


def warn(message: str) -> None:
    click.echo(f"rules: warning: {message}", err=True)


def fail(message: str, code: int = exitcodes.USAGE) -> NoReturn:
    click.echo(f"rules: error: {message}", err=True)
    raise click.exceptions.Exit(code)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
