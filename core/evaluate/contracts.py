"""What the engine hands plugins and takes back from them: read-only views, checked returns.

Every value a plugin returns is checked against its hook's or contribution's contract here, and
a broken contract is a `PluginError` naming the plugin, which the engine turns into the one
shape of a plugin failure (`result.plugin_failed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from rulewright.core.evaluate.result import Escalation, freeze
from rulewright.core.model.ruleset import LEVEL_RANK


class PluginError(Exception):
    """A plugin broke its contract: raised, returned the wrong thing, or changed what it may not."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r} {message}")
        self.plugin = plugin


NESTED = (list, dict, set)


class Raised:
    """What a plugin call raised, passed on as a value (see `call`)."""

    __slots__ = ("exc",)

    def __init__(self, exc: Exception) -> None:
        self.exc = exc


Resume = tuple[int, Any]
"""(index of an implementation, what calling it gave): a step resumed from there."""


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, or `Raised` with what it raised."""
    try:
        return fn(*args)
    except Exception as exc:
        return Raised(exc)


def nothing(added: Any) -> bool:
    """An escalation plugin's "nothing to add": None or an empty list or tuple."""
    return added is None or (type(added) in (list, tuple) and not added)


def read_only(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only view of a record, for plugins: nothing they do to it reaches the caller's.
    A flat dict (the usual record) is viewed as it is; otherwise a copy, with lists as tuples."""
    if type(record) is dict:
        for value in record.values():
            if type(value) in NESTED:
                break
        else:
            return MappingProxyType(record)
    return MappingProxyType({key: freeze(value) for key, value in record.items()})


def failure(plugin: str, hook: str, exc: Exception) -> PluginError:
    return PluginError(plugin, f"failed in {hook}: {type(exc).__name__}: {exc}")


def checked_score(score_id: str, value: Any) -> Any:
    """A scorer must give a finite number, a (low, high) interval or None for each score."""
    if value is None or (type(value) in (int, float) and math.isfinite(value)):
        return value
    if (
        type(value) is tuple
        and len(value) == 2
        and all(type(v) in (int, float) and not math.isnan(v) for v in value)
        and value[0] <= value[1]
    ):
        return value
    raise TypeError(
        f"score {score_id!r} is {value!r}; expected a finite number, a (low, high) interval or None"
    )


def as_escalation(plugin: str, item: Any) -> Escalation:
    if isinstance(item, Mapping):
        try:
            item = Escalation(item["id"], item["level"], item["message"], item.get("action", ""))
        except KeyError as exc:
            raise PluginError(plugin, f"returned an escalation without {exc.args[0]!r}") from None
    if not isinstance(item, Escalation):
        raise PluginError(
            plugin, f"returned {json_type(item)} as an escalation, expected Escalation or a mapping"
        )
    for name in ("id", "level", "message", "action"):
        value = getattr(item, name)
        if type(value) is not str:
            raise PluginError(
                plugin, f"returned an escalation whose {name} is {json_type(value)}, not a string"
            )
    if not item.id.strip() or not item.message.strip():
        raise PluginError(plugin, "returned an escalation with an empty id or message")
    if item.level not in LEVEL_RANK or item.level == "routine":
        raise PluginError(
            plugin, f"returned escalation level {item.level!r}; use one of review, urgent, emergency"
        )
    return item


def json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), f"a {type(value).__name__}")
