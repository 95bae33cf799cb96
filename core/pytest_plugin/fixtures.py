"""pytest fixtures for plugin authors (pytest11 entry point `rulewright`).

Installed with rulewright, so a plugin package's tests can simply ask for them:

    def test_my_format(rulewright_host_factory, rulewright_engine):
        host = rulewright_host_factory(("my-plugin", my_plugin))
        engine = rulewright_engine("leg-pain@1.0.0", host=host)
        assert engine.evaluate({...}).status == "ok"

Every fixture builds fresh objects (never a module-global plugin manager), so tests stay isolated.
Extend this module rather than adding a second fixtures plugin.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import pytest

from rulewright.core.cli.testing import RulesRunner
from rulewright.core.evaluate.engine import Engine
from rulewright.core.evaluate.result import Result
from rulewright.core.evaluate.writers import FormatOptions
from rulewright.core.hooks.host import DEFAULT_PLUGINS, PluginHost, make_plugin_host
from rulewright.core.model.ruleset import Ruleset
from rulewright.core.pytest_plugin.types import EngineFactory, HostFactory, RenderResults, RunSuites


@pytest.fixture
def rulewright_host_factory() -> HostFactory:
    """`factory(("name", plugin), ..., entrypoints=False)`: a fresh host with the built-ins and your plugins."""

    def build(
        *plugins: tuple[str, object], entrypoints: bool = False, builtins: Iterable[str] = DEFAULT_PLUGINS
    ) -> PluginHost:
        return make_plugin_host(builtins=builtins, entrypoints=entrypoints, extra=plugins)

    return build


@pytest.fixture
def rulewright_host(rulewright_host_factory: HostFactory) -> PluginHost:
    """A fresh plugin host with the built-in plugins only (installed entry points are not loaded)."""
    return rulewright_host_factory()


@pytest.fixture
def rulewright_engine(rulewright_host: PluginHost, tmp_path: Path) -> EngineFactory:
    """`factory(ruleset, host=None)`: an Engine for a bundled ref, a path, YAML text or a Ruleset."""
    from rulewright.core.model.loader import load_ruleset

    def build(ruleset: str | Path | Ruleset, host: PluginHost | None = None) -> Engine:
        chosen = host if host is not None else rulewright_host
        if isinstance(ruleset, str) and "\n" in ruleset:
            path = tmp_path / f"ruleset-{len(list(tmp_path.iterdir()))}.yaml"
            path.write_text(ruleset, encoding="utf-8")
            ruleset = path
        if not isinstance(ruleset, Ruleset):
            ruleset = load_ruleset(str(ruleset), operators=chosen.registry.items["operators"])
        return Engine(ruleset, host=chosen)

    return build


@pytest.fixture
def rulewright_cli() -> RulesRunner:
    """Invoke `rules` in-process: `rulewright_cli.invoke("evaluate", "leg-pain", "-a", "k=v")`.

    `rulewright_cli.with_plugins(("my-plugin", my_plugin)).invoke(...)` runs it with your plugin
    loaded without installing it (and without any installed entry-point plugins).
    """
    return RulesRunner()


@pytest.fixture
def rulewright_render(rulewright_host: PluginHost) -> RenderResults:
    """`render(fmt, results, host=None, ruleset=None, explain=False)`: the text an output format
    writes for these `Result`s, exactly as `rules evaluate --format fmt` would (write each, close)."""

    def render(
        fmt: str,
        results: Iterable[Result],
        host: PluginHost | None = None,
        *,
        ruleset: Ruleset | None = None,
        explain: bool = False,
    ) -> str:
        formats = (host if host is not None else rulewright_host).registry.items["formats"]
        stream = io.StringIO()
        writer = formats[fmt](stream, FormatOptions(explain=explain, ruleset=ruleset))
        for result in results:
            writer.write(result)
        writer.close()
        return stream.getvalue()

    return render


@pytest.fixture
def rulewright_run_suites(rulewright_host: PluginHost) -> RunSuites:
    """`run(*paths_or_refs, host=None)`: run YAML test suites as `rules test` does; returns the report.

    Handy for a plugin author to check that the bundled suites still pass with their plugin
    loaded: `report = rulewright_run_suites("leg-pain", host=my_host); assert not report.counts()["failed"]`.
    """
    from rulewright.core.authoring.reports import TestRunReport
    from rulewright.core.authoring.suites import engine_factory, plan, run_target

    def run(*args: str, host: PluginHost | None = None) -> TestRunReport:
        found = plan(args)
        engine_for = engine_factory(host if host is not None else rulewright_host)
        runs = [run_target(t, engine_for, multi_version=found.multi_version) for t in found.targets]
        return TestRunReport(runs, found.diagnostics)

    return run
