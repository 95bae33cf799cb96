"""Build the plugin manager and collect what plugins register.

One manager per Engine or CLI run (never a module global): built-ins are imported by module
name from `DEFAULT_PLUGINS`, third-party plugins come from the `rulewright` entry-point group.
A plugin that fails to load is recorded with its distribution and version and skipped, so one
broken package cannot take the CLI down. `check_pending()` makes a misspelt hook fail at once.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from rulewright.core import hookspecs

hookimpl = pluggy.HookimplMarker("rulewright")

ENTRY_POINT_GROUP = "rulewright"
DISABLE_ENV = "RULEWRIGHT_DISABLE_PLUGINS"

DEFAULT_PLUGINS = (
    "rulewright.plugins.operators",
    "rulewright.plugins.scoring",
    "rulewright.plugins.escalation",
    "rulewright.plugins.formats",
    "rulewright.plugins.adapters",
)

KINDS = ("operators", "scorers", "formats", "input_adapters", "commands")


class PluginConflict(Exception):
    """Two plugins registered the same name for the same kind of contribution."""


@dataclass(frozen=True)
class LoadFailure:
    name: str
    distribution: str
    version: str
    error: str

    def text(self) -> str:
        return f"plugin {self.name!r} from {self.distribution} {self.version} failed to load: {self.error}"


@dataclass
class Registry:
    """Named contributions, by kind, with the plugin that provided each."""

    items: dict[str, dict[str, Any]] = field(default_factory=lambda: {k: {} for k in KINDS})
    owners: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def register(self, kind: str, owner: str) -> Callable[[str, Any], None]:
        def register(name: str, thing: Any) -> None:
            if name in self.items[kind]:
                first = self.owners[kind][name]
                raise PluginConflict(
                    f"{kind[:-1].replace('_', ' ')} {name!r} is registered by both {first!r} and {owner!r}"
                )
            self.items[kind][name] = thing
            self.owners[kind][name] = owner

        return register


@dataclass
class PluginHost:
    """A plugin manager plus what its plugins registered and what failed to load."""

    pm: pluggy.PluginManager
    registry: Registry
    failures: list[LoadFailure]
    distributions: dict[str, tuple[str, str]]  # plugin name -> (distribution, version)

    def impls(self, hook: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, function) for every implementation of a per-evaluation hook, in call order."""
        caller = getattr(self.pm.hook, hook)
        # pluggy keeps implementations in reverse call order.
        return [(i.plugin_name, i.function) for i in reversed(caller.get_hookimpls())]

    def describe(self) -> list[dict[str, Any]]:
        """What `rules plugins` prints: each plugin, its origin and what it provides."""
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or ())
            provides = {
                kind: sorted(n for n, owner in self.registry.owners[kind].items() if owner == name)
                for kind in KINDS
            }
            dist, version = self.distributions.get(name, ("rulewright", _own_version()))
            rows.append(
                {
                    "name": name,
                    "builtin": name in DEFAULT_PLUGINS,
                    "distribution": dist,
                    "version": version,
                    "hooks": hooks,
                    "provides": {k: v for k, v in provides.items() if v},
                }
            )
        return rows


def _own_version() -> str:
    from rulewright.core.version import __version__

    return __version__


def _disabled() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def make_plugin_host(
    *,
    builtins: Iterable[str] = DEFAULT_PLUGINS,
    entrypoints: bool = True,
    extra: Iterable[tuple[str, object]] = (),
) -> PluginHost:
    """Build a fresh plugin manager: built-ins, then entry points, then `extra` (name, plugin)."""
    pm = pluggy.PluginManager("rulewright")
    pm.add_hookspecs(hookspecs)
    failures: list[LoadFailure] = []
    distributions: dict[str, tuple[str, str]] = {}
    for module in builtins:
        pm.register(importlib.import_module(module), name=module)
    disabled = _disabled()
    if entrypoints and "all" not in disabled:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or pm.has_plugin(ep.name):
                continue
            dist = ep.dist.name if ep.dist else "unknown distribution"
            version = ep.dist.version if ep.dist else "?"
            try:
                pm.register(ep.load(), name=ep.name)
                distributions[ep.name] = (dist, version)
            except Exception as exc:  # a broken plugin must not take the CLI down
                failures.append(LoadFailure(ep.name, dist, version, f"{type(exc).__name__}: {exc}"))
    for name, plugin in extra:
        pm.register(plugin, name=name)
        distributions[name] = ("(registered in code)", "")
    pm.check_pending()
    registry = Registry()
    for kind in KINDS:
        caller = getattr(pm.hook, f"rulewright_register_{kind}")
        for impl in reversed(caller.get_hookimpls()):
            impl.function(register=registry.register(kind, impl.plugin_name))
    return PluginHost(pm, registry, failures, distributions)
