"""Run `rules` in-process from tests (the `rulewright_cli` fixture uses this)."""

from __future__ import annotations

from collections.abc import Mapping

from click.testing import CliRunner, Result

from rulewright.core.cli import cli


class RulesRunner:
    """`runner.invoke("validate", "my.yaml")`: exit code, stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def invoke(
        self, *args: str, input: str | bytes | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        return self.runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
