"""Built-in plugin operators for set-valued answers: `contains_any`, `contains_all`.

Used as `{fact: symptoms, op: contains_any, value: [numbness, tingling]}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rulewright.core import hookimpl


def contains_any(answer: Any, value: Any) -> bool:
    return any(v in answer for v in value)


def contains_all(answer: Any, value: Any) -> bool:
    return all(v in answer for v in value)


@hookimpl
def rulewright_register_operators(register: Callable[[str, Any], None]) -> None:
    register("contains_any", contains_any)
    register("contains_all", contains_all)
