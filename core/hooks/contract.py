"""How the engine calls each implementation of a per-case hook, keeping pluggy's own rules.

The engine calls every implementation on its own (not through `pm.hook`), so that a failure is
charged to the plugin that failed and the core's findings survive it. These functions keep what
pluggy promises a plugin author when it calls hooks itself: an implementation may take fewer
arguments than the spec, and `tryfirst` / `trylast` set the order. Wrappers (`wrapper=True`,
`hookwrapper=True`) wrap a whole hook call, which the engine never makes: they are refused with
a message saying so (`wrapper_problems`), rather than called as if they were implementations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PER_CASE_HOOKS = ("rulewright_prepare_facts", "rulewright_escalate", "rulewright_evaluation_finished")


def wrapper_problems(pm: pluggy.PluginManager) -> list[str]:
    """One message per hook wrapper a plugin registered: rulewright does not support them."""
    problems = []
    for name in sorted(n for n in dir(pm.hook) if n.startswith("rulewright_")):
        for impl in getattr(pm.hook, name).get_hookimpls():
            if impl.hookwrapper or impl.wrapper:
                kind = "wrapper=True" if impl.wrapper else "hookwrapper=True"
                problems.append(
                    f"plugin {impl.plugin_name!r} implements {name} as a hook wrapper ({kind}); rulewright "
                    "calls each implementation on its own and does not support wrappers: drop the marker "
                    "and implement the hook itself"
                )
    return problems


def implementations(pm: pluggy.PluginManager, hook: str) -> list[tuple[str, Callable[..., Any]]]:
    """(plugin name, function) for each implementation of `hook`, in pluggy's call order
    (`tryfirst` ones first, `trylast` ones last, otherwise the plugin registered last first),
    each called with the spec's arguments, positionally and in the spec's order (as pluggy
    calls them, and cheaper than keywords), even when it takes fewer."""
    caller = getattr(pm.hook, hook)
    spec = tuple(caller.spec.argnames) if caller.spec else ()
    found = []
    # pluggy keeps implementations in reverse call order.
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue  # refused when the engine is built (`wrapper_problems`)
        fn = impl.function
        if tuple(impl.argnames) != spec:
            fn = _taking(fn, [spec.index(name) for name in impl.argnames])
        found.append((impl.plugin_name, fn))
    return found


def _taking(fn: Callable[..., Any], places: list[int]) -> Callable[..., Any]:
    """`fn` called with only the arguments it declares (at `places` in the spec), as pluggy calls it."""

    def call(*args: Any) -> Any:
        return fn(*[args[place] for place in places])

    return call
