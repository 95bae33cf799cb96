"""Run `rules` in-process from tests (the `rulewright_cli` fixture uses this)."""

from __future__ import annotations

from collections.abc import Mapping

from click.testing import CliRunner, Result

from rulewright.core.cli import cli
from rulewright.core.cli.app import App
from rulewright.core.hooks.host import PluginHost, make_plugin_host


class RulesRunner:
    """`runner.invoke("validate", "my.yaml")`: exit code, stdout and stderr kept apart."""

    def __init__(self, host: PluginHost | None = None) -> None:
        self.runner = CliRunner()
        self.host = host

    def with_plugins(self, *plugins: tuple[str, object]) -> RulesRunner:
        """A runner whose `rules` sees the built-ins plus these (name, plugin) pairs, uninstalled."""
        return RulesRunner(make_plugin_host(entrypoints=False, extra=plugins))

    def invoke(
        self, *args: str, input: str | bytes | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        obj = App(_host=self.host) if self.host is not None else None
        return self.runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False, obj=obj)
