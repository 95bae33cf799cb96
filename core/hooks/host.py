"""Build the plugin manager and collect what plugins register.

One manager per Engine or CLI run (never a module global): built-ins are imported by module
name from `DEFAULT_PLUGINS`, third-party plugins come from the `rulewright` entry-point group.
A plugin that fails to load is recorded with its distribution and version and skipped, so one
broken package cannot take the CLI down. `check_pending()` makes a misspelt hook fail at once.

Integrators pin what may load: `RULEWRIGHT_PLUGINS=name,name==1.2.0` is an allow-list of
entry-point plugins (set but empty: built-ins only), so installing a package cannot change a
deployment's behaviour; `RULEWRIGHT_DISABLE_PLUGINS=name,...` (or `all`) switches plugins off.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from rulewright.core.hooks import specs as hookspecs

hookimpl = pluggy.HookimplMarker("rulewright")

ENTRY_POINT_GROUP = "rulewright"
DISABLE_ENV = "RULEWRIGHT_DISABLE_PLUGINS"
ALLOW_ENV = "RULEWRIGHT_PLUGINS"

DEFAULT_PLUGINS = (
    "rulewright.plugins.operators",
    "rulewright.plugins.scoring",
    "rulewright.plugins.escalation",
    "rulewright.plugins.formats",
    "rulewright.plugins.markdown",
    "rulewright.plugins.fhir",
    "rulewright.plugins.cds_hooks",
    "rulewright.plugins.adapters",
    "rulewright.plugins.fhir_questionnaire",
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
    labels: dict[str, str] = field(default_factory=dict)  # plugin name -> "name (dist version)"

    def register(self, kind: str, owner: str) -> Callable[[str, Any], None]:
        def register(name: str, thing: Any) -> None:
            if name in self.items[kind]:
                first = self.owners[kind][name]
                raise PluginConflict(
                    f"{kind[:-1].replace('_', ' ')} {name!r} is registered by both "
                    f"{self.labels.get(first, repr(first))} and {self.labels.get(owner, repr(owner))}; "
                    f"uninstall one or leave it out of {ALLOW_ENV}"
                )
            self.items[kind][name] = thing
            self.owners[kind][name] = owner

        return register

    def drop(self, owner: str) -> None:
        """Forget every contribution of one plugin (it failed part-way through registering)."""
        for kind in KINDS:
            for name in [n for n, o in self.owners[kind].items() if o == owner]:
                del self.items[kind][name], self.owners[kind][name]


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


def _names(raw: str) -> set[str]:
    return {part.strip() for part in raw.split(",") if part.strip()}


def _allowed() -> dict[str, str | None] | None:
    """The allow-list as {plugin name: pinned version or None}; None when it is not set."""
    raw = os.environ.get(ALLOW_ENV)
    if raw is None:
        return None
    allowed: dict[str, str | None] = {}
    for part in _names(raw):
        name, _, version = part.partition("==")
        allowed[name.strip()] = version.strip() or None
    return allowed


def _entry_points() -> Iterable[Any]:
    """The installed entry points of the `rulewright` group. importlib.metadata is imported only
    when some distribution may declare one: importing it (and the email package it brings) took
    a fifth of the CLI's start-up, measured, for nothing in the usual case of no plugins."""
    if not _declared_on_path():
        return ()
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


def _declared_on_path() -> bool:
    """Whether any distribution on sys.path may declare an entry point of the `rulewright`
    group: a look at the `entry_points.txt` of every `*.dist-info` and `*.egg-info` folder,
    where importlib.metadata finds them. Whatever this look cannot see into (a zip archive on
    the path, a finder of distributions other than the standard one) counts as a yes."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return True
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as folder:
                names = [item.path for item in folder if item.name.endswith((".dist-info", ".egg-info"))]
        except NotADirectoryError:  # a zip archive
            return True
        except OSError:  # not there, or not readable: importlib.metadata skips it too
            continue
        for name in names:
            try:
                with open(os.path.join(name, "entry_points.txt"), encoding="utf-8", errors="replace") as text:
                    if any(
                        line.strip().strip("[]").strip() == ENTRY_POINT_GROUP for line in text if "[" in line
                    ):
                        return True
            except OSError:  # no entry points (or an egg-info that is a file)
                continue
    return False


def _load_entry_points(
    pm: pluggy.PluginManager, failures: list[LoadFailure], distributions: dict[str, tuple[str, str]]
) -> None:
    disabled = _names(os.environ.get(DISABLE_ENV, ""))
    if "all" in disabled:
        return
    allowed = _allowed()
    found: set[str] = set()
    for ep in _entry_points():
        if ep.name in disabled or pm.has_plugin(ep.name):
            continue
        dist = ep.dist.name if ep.dist else "unknown distribution"
        version = ep.dist.version if ep.dist else "?"
        if allowed is not None:
            if ep.name not in allowed:
                continue  # not on the allow-list: installed, but never loaded
            found.add(ep.name)
            pinned = allowed[ep.name]
            if pinned is not None and pinned != version:
                failures.append(
                    LoadFailure(ep.name, dist, version, f"{ALLOW_ENV} pins version {pinned}; not loaded")
                )
                continue
        try:
            pm.register(ep.load(), name=ep.name)
            # A misspelt hook in a third-party plugin skips that plugin rather than the whole CLI.
            pm.check_pending()
        except Exception as exc:  # a broken plugin must not take the CLI down
            if pm.has_plugin(ep.name):
                pm.unregister(name=ep.name)
            failures.append(LoadFailure(ep.name, dist, version, f"{type(exc).__name__}: {exc}"))
            continue
        distributions[ep.name] = (dist, version)
    for name in sorted(set(allowed or ()) - found - disabled):
        failures.append(LoadFailure(name, "not installed", "", f"listed in {ALLOW_ENV} but not installed"))


def make_plugin_host(
    *,
    builtins: Iterable[str] = DEFAULT_PLUGINS,
    entrypoints: bool = True,
    extra: Iterable[tuple[str, object]] = (),
) -> PluginHost:
    """Build a fresh plugin manager: built-ins, then entry points, then `extra` (name, plugin)."""
    builtins = tuple(builtins)
    pm = pluggy.PluginManager("rulewright")
    pm.add_hookspecs(hookspecs)
    failures: list[LoadFailure] = []
    distributions: dict[str, tuple[str, str]] = {}
    for module in builtins:
        pm.register(importlib.import_module(module), name=module)
    pm.check_pending()
    if entrypoints:
        _load_entry_points(pm, failures, distributions)
    for name, plugin in extra:
        pm.register(plugin, name=name)
        distributions[name] = ("(registered in code)", "")
    pm.check_pending()
    registry = Registry()
    for name, (dist, version) in distributions.items():
        registry.labels[name] = f"{name!r} ({dist} {version})".replace(" )", ")")
    for name in builtins:
        registry.labels[name] = f"{name!r} (built-in)"
    for kind in KINDS:
        caller = getattr(pm.hook, f"rulewright_register_{kind}")
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(register=registry.register(kind, impl.plugin_name))
            except PluginConflict:
                raise
            except Exception as exc:
                if impl.plugin_name not in distributions or distributions[impl.plugin_name][0].startswith(
                    "("
                ):
                    raise  # built-ins and plugins registered in code fail loudly
                # An entry-point plugin whose registration raises is skipped as a whole.
                registry.drop(impl.plugin_name)
                pm.unregister(name=impl.plugin_name)
                dist, version = distributions.pop(impl.plugin_name)
                failures.append(LoadFailure(impl.plugin_name, dist, version, f"{type(exc).__name__}: {exc}"))
    return PluginHost(pm, registry, failures, distributions)
