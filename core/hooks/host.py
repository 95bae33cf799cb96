"""Build the plugin manager and collect what plugins register.

One manager per Engine or CLI run (never a module global): built-ins are imported by module
name from `DEFAULT_PLUGINS`, third-party plugins come from the `rulewright` entry-point group.
A plugin that fails to load is recorded with its distribution and version and skipped, so one
broken package cannot take the CLI down. `check_pending()` makes a misspelt hook fail at once.

Integrators pin what may load: `RULEWRIGHT_PLUGINS=name,name==1.2.0,name@dist==1.2.0` is an
allow-list of entry-point plugins (set but empty: built-ins only), so installing a package cannot
change a deployment's behaviour; `RULEWRIGHT_DISABLE_PLUGINS=name,...` switches plugins off (a
built-in by its module name; `all` = every entry-point plugin). Strict mode
(`RULEWRIGHT_STRICT=1`, `rules --strict`) turns every load failure into an error and requires
every allow-list entry to pin entry point, distribution and version. Conflicts always fail:
two distributions with one entry-point name, one name or input suffix registered twice.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from rulewright.core.hooks import specs as hookspecs
from rulewright.core.hooks.contract import wrapper_problems
from rulewright.core.model.ruleset import Ruleset

hookimpl = pluggy.HookimplMarker("rulewright")

ENTRY_POINT_GROUP = "rulewright"
DISABLE_ENV = "RULEWRIGHT_DISABLE_PLUGINS"
ALLOW_ENV = "RULEWRIGHT_PLUGINS"
STRICT_ENV = "RULEWRIGHT_STRICT"

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
    """Two plugins claim one thing: an entry-point name, a contribution's name, an input suffix."""


class PluginLoadError(Exception):
    """Strict mode: the allow-list is incomplete, or a plugin it pins did not load as pinned."""


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
    """Named contributions, by kind, with the plugin that provided each, and the input-file
    suffixes the input adapters claim (suffix -> adapter name)."""

    items: dict[str, dict[str, Any]] = field(default_factory=lambda: {k: {} for k in KINDS})
    owners: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})
    labels: dict[str, str] = field(default_factory=dict)  # plugin name -> "name (dist version)"
    suffixes: dict[str, str] = field(default_factory=dict)

    def label(self, owner: str) -> str:
        return self.labels.get(owner, repr(owner))

    def register(self, kind: str, owner: str) -> Callable[[str, Any], None]:
        def register(name: str, thing: Any) -> None:
            if name in self.items[kind]:
                self._conflict(f"{kind[:-1].replace('_', ' ')} {name!r}", self.owners[kind][name], owner)
            claimed = _suffixes(name, thing) if kind == "input_adapters" else ()
            for suffix in claimed:
                if suffix in self.suffixes:
                    other = self.suffixes[suffix]
                    first = self.owners[kind][other]
                    self._conflict(f"input suffix {suffix!r} (adapters {other!r} and {name!r})", first, owner)
            self.items[kind][name] = thing
            self.owners[kind][name] = owner
            self.suffixes.update(dict.fromkeys(claimed, name))

        return register

    def _conflict(self, what: str, first: str, second: str) -> None:
        # Refuse to guess which one a deployment meant, and say how to choose.
        raise PluginConflict(
            f"{what} is registered by both {self.label(first)} and {self.label(second)}; "
            f"uninstall one or leave it out of {ALLOW_ENV}"
        )

    def drop(self, owner: str) -> None:
        """Forget every contribution of one plugin (it failed part-way through registering)."""
        for kind in KINDS:
            for name in [n for n, o in self.owners[kind].items() if o == owner]:
                del self.items[kind][name], self.owners[kind][name]
        owned = self.owners["input_adapters"]
        self.suffixes = {s: name for s, name in self.suffixes.items() if name in owned}

    def claims(self, owner: str) -> dict[str, list[str]]:
        """What one plugin registered, by kind, plus the input suffixes its adapters claim."""
        found = {kind: sorted(n for n, o in self.owners[kind].items() if o == owner) for kind in KINDS}
        mine = set(found["input_adapters"])
        found["suffixes"] = sorted(s for s, name in self.suffixes.items() if name in mine)
        return {kind: names for kind, names in found.items() if names}


def _suffixes(name: str, adapter: Any) -> tuple[str, ...]:
    """The file suffixes an input adapter claims, lower-cased; a malformed declaration fails
    (a bare string would be searched by substring: `".json" in ".jsonl"`)."""
    claimed = getattr(adapter, "extensions", ())
    if isinstance(claimed, str) or not all(isinstance(s, str) and s.startswith(".") for s in claimed):
        raise TypeError(f"input adapter {name!r}: extensions must be a tuple like ('.csv',), not {claimed!r}")
    return tuple(dict.fromkeys(s.lower() for s in claimed))


@dataclass
class PluginHost:
    """A plugin manager plus what its plugins registered and what failed to load."""

    pm: pluggy.PluginManager
    registry: Registry
    failures: list[LoadFailure]
    distributions: dict[str, tuple[str, str]]  # plugin name -> (distribution, version)
    switched_off: tuple[str, ...] = ()  # built-ins left out by RULEWRIGHT_DISABLE_PLUGINS

    def unmet_needs(self, ruleset: Ruleset) -> list[str]:
        """What `ruleset` relies on from a built-in plugin that is switched off, one sentence each
        (its declared escalations would silently never fire; its scorer would be missing)."""
        needs = {
            "rulewright.plugins.escalation": (
                f"its {len(ruleset.escalations)} escalation(s)" if ruleset.escalations else None
            ),
            "rulewright.plugins.scoring": (
                f"its scorer {ruleset.scorer!r}"
                if ruleset.scorer == "weighted-sum" and ruleset.scorer not in self.registry.items["scorers"]
                else None
            ),
        }
        return [
            f"ruleset {ruleset.ref} relies on built-in plugin {name!r} for {what}, "
            f"which {DISABLE_ENV} switches off"
            for name, what in needs.items()
            if what is not None and name in self.switched_off
        ]

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
            dist, version = self.distributions.get(name, ("rulewright", _own_version()))
            rows.append(
                {
                    "name": name,
                    "builtin": name in DEFAULT_PLUGINS,
                    "distribution": dist,
                    "version": version,
                    "hooks": hooks,
                    "provides": self.registry.claims(name),
                }
            )
        return rows


def _own_version() -> str:
    from rulewright.core.version import __version__

    return __version__


def _names(raw: str) -> set[str]:
    return {part.strip() for part in raw.split(",") if part.strip()}


def strict_from_env() -> bool:
    """Whether `RULEWRIGHT_STRICT` asks for strict mode; a value that is neither yes nor no is an
    error rather than a guess (a deployment that misspells it must not run lax)."""
    value = os.environ.get(STRICT_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise PluginLoadError(f"{STRICT_ENV}={value!r}: use 1 (strict) or 0")


@dataclass(frozen=True)
class Pin:
    """One allow-list entry: `name`, `name==version`, `name@distribution==version`."""

    name: str
    distribution: str | None
    version: str | None

    def text(self) -> str:
        dist = f"@{self.distribution}" if self.distribution else ""
        return f"{self.name}{dist}{'==' + self.version if self.version else ''}"


def _normal(dist: str) -> str:
    """A distribution name compared as pip does (PEP 503): case and `-_.` runs do not matter."""
    return re.sub(r"[-_.]+", "-", dist).lower()


def _allowed(strict: bool) -> dict[str, Pin] | None:
    """The allow-list by entry-point name; None when it is not set. Strict mode requires it, with
    every entry pinned to a distribution and a version."""
    raw = os.environ.get(ALLOW_ENV)
    if raw is None:
        if strict:
            raise PluginLoadError(
                f"strict mode needs {ALLOW_ENV}: list each plugin as name@distribution==version "
                "(set it empty to run with the built-ins only)"
            )
        return None
    allowed: dict[str, Pin] = {}
    for part in _names(raw):
        rest, _, version = part.partition("==")
        name, _, dist = rest.partition("@")
        pin = Pin(name.strip(), dist.strip() or None, version.strip() or None)
        if strict and (pin.distribution is None or pin.version is None):
            raise PluginLoadError(
                f"strict mode: {ALLOW_ENV} entry {part!r} must pin entry point, distribution and "
                f"version, as {pin.name}@DISTRIBUTION==VERSION"
            )
        allowed[pin.name] = pin
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
    pm: pluggy.PluginManager,
    failures: list[LoadFailure],
    distributions: dict[str, tuple[str, str]],
    disabled: set[str],
    allowed: dict[str, Pin] | None,
) -> None:
    # A plugin the allow-list pins is one the deployment relies on: switching it off is a load
    # failure (exit 2 in strict mode, a warning otherwise), never a silent skip.
    for pinned in sorted((allowed or {}).values(), key=lambda p: p.name):
        if pinned.name in disabled or "all" in disabled:
            failures.append(
                LoadFailure(
                    pinned.name,
                    pinned.distribution or "",
                    pinned.version or "",
                    f"{ALLOW_ENV} lists {pinned.text()}, but {DISABLE_ENV} switches it off",
                )
            )
    if "all" in disabled:
        return
    candidates: dict[str, list[Any]] = {}
    for ep in _entry_points():
        if ep.name in disabled:
            continue
        pin = allowed.get(ep.name) if allowed is not None else None
        if allowed is not None and pin is None:
            continue  # not on the allow-list: installed, but never loaded
        dist = ep.dist.name if ep.dist else ""
        if pin is not None and pin.distribution is not None and _normal(pin.distribution) != _normal(dist):
            continue  # the allow-list names another distribution for this entry point
        candidates.setdefault(ep.name, []).append(ep)
    for name, eps in candidates.items():
        origins = [_origin(ep) for ep in eps]
        if len(eps) > 1:
            raise PluginConflict(
                f"entry point {name!r} is declared by both {' and '.join(' '.join(o) for o in origins)}; "
                f"uninstall one, or pin one in {ALLOW_ENV} as {name}@DISTRIBUTION==VERSION"
            )
        if pm.has_plugin(name):
            raise PluginConflict(
                f"entry point {name!r} of {' '.join(origins[0])} has the name of a built-in plugin"
            )
        [ep], [(dist, version)] = eps, origins
        pin = allowed.get(name) if allowed is not None else None
        if pin is not None and pin.version is not None and pin.version != version:
            failures.append(
                LoadFailure(name, dist, version, f"{ALLOW_ENV} pins version {pin.version}; not loaded")
            )
            continue
        try:
            pm.register(ep.load(), name=name)
            # A misspelt hook in a third-party plugin skips that plugin rather than the whole CLI.
            pm.check_pending()
            # A hook wrapper would never be called as the author meant: refuse it at load time.
            wrappers = [p for p in wrapper_problems(pm) if p.startswith(f"plugin {name!r} ")]
            if wrappers:
                raise TypeError("; ".join(wrappers))
        except Exception as exc:  # a broken plugin must not take the CLI down
            if pm.has_plugin(name):
                pm.unregister(name=name)
            failures.append(LoadFailure(name, dist, version, f"{type(exc).__name__}: {exc}"))
            continue
        distributions[name] = (dist, version)
    for pin in sorted((allowed or {}).values(), key=lambda p: p.name):
        if pin.name not in candidates and pin.name not in disabled:
            failures.append(
                LoadFailure(
                    pin.name, "not installed", "", f"{ALLOW_ENV} lists {pin.text()}, which is not installed"
                )
            )


def _origin(ep: Any) -> tuple[str, str]:
    """(distribution, version) of an entry point."""
    return (ep.dist.name, ep.dist.version) if ep.dist else ("unknown distribution", "?")


def make_plugin_host(
    *,
    builtins: Iterable[str] = DEFAULT_PLUGINS,
    entrypoints: bool = True,
    extra: Iterable[tuple[str, object]] = (),
    strict: bool | None = None,
) -> PluginHost:
    """Build a fresh plugin manager: built-ins, then entry points, then `extra` (name, plugin).

    `strict` (default: `RULEWRIGHT_STRICT`) raises `PluginLoadError` instead of skipping a plugin
    that fails to load, and requires a fully pinned allow-list when entry points are loaded.
    """
    strict = strict_from_env() if strict is None else strict
    disabled = _names(os.environ.get(DISABLE_ENV, ""))
    switched_off = tuple(m for m in builtins if m in disabled)
    builtins = tuple(m for m in builtins if m not in disabled)
    pm = pluggy.PluginManager("rulewright")
    pm.add_hookspecs(hookspecs)
    failures: list[LoadFailure] = []
    distributions: dict[str, tuple[str, str]] = {}
    for module in builtins:
        pm.register(importlib.import_module(module), name=module)
    pm.check_pending()
    if entrypoints:
        _load_entry_points(pm, failures, distributions, disabled, _allowed(strict))
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
    if strict and failures:
        raise PluginLoadError("strict mode: " + "; ".join(f.text() for f in failures))
    return PluginHost(pm, registry, failures, distributions, switched_off)
