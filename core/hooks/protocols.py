"""The types of what plugins register, and of the `register` callbacks the registration hooks get.

Re-exported from `rulewright.core`, so a plugin can be checked with `mypy --strict` or pyright:

    from rulewright.core import RegisterOperator, hookimpl

    @hookimpl
    def rulewright_register_operators(register: RegisterOperator) -> None:
        register("starts_with", lambda answer, value: str(answer).startswith(value))

Output formats and input adapters are typed by the Protocols beside the code that uses them:
`FormatFactory` and `FormatWriter` (`rulewright.core.evaluate.writers`), `InputAdapter`
(`rulewright.core.evaluate.records`), all exported from `rulewright.core`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: the hooks stage never imports these at run time
    import click

    from rulewright.core.evaluate.compiler import Compiler
    from rulewright.core.evaluate.records import InputAdapter
    from rulewright.core.evaluate.writers import FormatFactory
    from rulewright.core.model.ruleset import Ruleset


class Operator(Protocol):
    """A condition operator: `op(answer, value)`, used as `{fact: x, op: NAME, value: v}`.

    `answer` is a checked answer of the input's declared type (a `frozenset` for a set input),
    never a missing one (a missing answer makes the condition unknown without calling the
    operator); `value` is the condition's `value` as written in the ruleset. Return True or
    False; None when the operator cannot tell, which makes the condition unknown.
    """

    def __call__(self, answer: Any, value: Any, /) -> bool | None: ...


class ScoreFunction(Protocol):
    """`fn(env, contributions)`: set `env[score_id]` for every score of the ruleset (a number, a
    `(low, high)` interval, or None); under `--explain` `contributions` is a list to append one
    `{"score", "item", "matched", "points"}` dict per score item to, else None."""

    def __call__(self, env: dict[str, Any], contributions: list[dict[str, Any]] | None, /) -> None: ...


class Scorer(Protocol):
    """A scorer a ruleset selects with `scoring: NAME`; compiled once per Engine."""

    def compile(self, ruleset: Ruleset, compiler: Compiler, /) -> ScoreFunction: ...


class RegisterOperator(Protocol):
    """`register(name, operator)`; a name registered twice fails loudly, naming both plugins."""

    def __call__(self, name: str, operator: Operator, /) -> None: ...


class RegisterScorer(Protocol):
    """`register(name, scorer)`; a name registered twice fails loudly, naming both plugins."""

    def __call__(self, name: str, scorer: Scorer, /) -> None: ...


class RegisterFormat(Protocol):
    """`register(name, factory)`: `factory(stream, options) -> writer` (see the hook)."""

    def __call__(self, name: str, factory: FormatFactory, /) -> None: ...


class RegisterInputAdapter(Protocol):
    """`register(name, adapter)`: `adapter.extensions` (a tuple of suffixes) and `adapter.read`."""

    def __call__(self, name: str, adapter: InputAdapter, /) -> None: ...


class RegisterCommand(Protocol):
    """`register(name, command)`: a click command run as `rules NAME`; a built-in name fails."""

    def __call__(self, name: str, command: click.Command, /) -> None: ...


class ReportFinding(Protocol):
    """`report(code, message, path=(...), severity="warning")`: a lint finding of `rules validate`,
    printed at the file:line:col of the node `path` points to."""

    def __call__(
        self, code: str, message: str, path: tuple[str | int, ...] = (), severity: str = "warning"
    ) -> None: ...
