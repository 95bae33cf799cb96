"""The types of the pytest fixtures rulewright gives plugin authors, for annotating tests.

Re-exported from `rulewright.core` without importing pytest or click:

    from rulewright.core import EngineFactory, HostFactory

    def test_my_plugin(rulewright_host_factory: HostFactory, rulewright_engine: EngineFactory) -> None:
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only
    from rulewright.core.authoring.reports import TestRunReport
    from rulewright.core.evaluate.engine import Engine
    from rulewright.core.evaluate.result import Result
    from rulewright.core.hooks.host import PluginHost
    from rulewright.core.model.ruleset import Ruleset


class HostFactory(Protocol):
    """`rulewright_host_factory`: `factory(("name", plugin), ...)` builds a fresh plugin host with
    the built-ins and these plugins (installed entry points only with `entrypoints=True`)."""

    def __call__(
        self, *plugins: tuple[str, object], entrypoints: bool = ..., builtins: Iterable[str] = ...
    ) -> PluginHost: ...


class EngineFactory(Protocol):
    """`rulewright_engine`: `factory(ruleset, host=None)`, the ruleset a bundled ref, a path,
    YAML text or a `Ruleset`."""

    def __call__(self, ruleset: str | Path | Ruleset, host: PluginHost | None = None) -> Engine: ...


class RenderResults(Protocol):
    """`rulewright_render`: `render(fmt, results, host=None)`, the text a format writes."""

    def __call__(
        self,
        fmt: str,
        results: Iterable[Result],
        host: PluginHost | None = None,
        *,
        ruleset: Ruleset | None = None,
        explain: bool = False,
    ) -> str: ...


class RunSuites(Protocol):
    """`rulewright_run_suites`: `run(*paths_or_refs, host=None)` runs YAML test suites."""

    def __call__(self, *args: str, host: PluginHost | None = None) -> TestRunReport: ...


class CliResult(Protocol):
    """What `RulesCli.invoke` returns: the exit code and the two streams, kept apart."""

    @property
    def exit_code(self) -> int: ...

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...


class RulesCli(Protocol):
    """`rulewright_cli`: `invoke("evaluate", ...)` runs `rules` in-process; `with_plugins(...)`
    gives one that loads these (name, plugin) pairs uninstalled."""

    def with_plugins(self, *plugins: tuple[str, object]) -> RulesCli: ...

    def invoke(
        self, *args: str, input: str | bytes | None = None, env: Mapping[str, str] | None = None
    ) -> CliResult: ...
