"""pytest plugin (pytest11 entry point `rulewright-suites`): ruleset test suites as pytest items.

`pytest rulesets/` runs every case of every suite in a `tests/` folder with the same runner as
`rules test`, under stable ids `leg-pain::basic::burning_follows_path` (with `[1.0.0]` when a
suite runs on several versions). A YAML file is collected only if it sits in a `tests/` folder
and reads as a suite (`ruleset` and `cases` keys), so other projects' YAML is left alone.
Disable with `-p no:rulewright-suites`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rulewright.core.authoring.suites import (
    Case,
    CaseOutcome,
    EngineFactory,
    Suite,
    case_id,
    check_case,
    check_suite,
    engine_factory,
    identity,
    is_suite_data,
    load_suite,
    rulesets_for,
)
from rulewright.core.evaluate.engine import Engine
from rulewright.core.model.diagnostics import Diagnostic, RulesetError
from rulewright.core.model.files import read_bounded

_ENGINES = pytest.StashKey[dict[str, Engine | RulesetError]]()
_FACTORY = pytest.StashKey[EngineFactory]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ENGINES] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or file_path.parent.name != "tests":
        return None
    from ruamel.yaml import YAML

    try:
        head = YAML(typ="safe").load(read_bounded(file_path).decode("utf-8-sig"))
    except Exception:
        return None
    if not (is_suite_data(head) and "ruleset" in head):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


def _engine(config: pytest.Config, ruleset: Path) -> Engine:
    """One engine per ruleset file per session, over one plugin host with installed plugins."""
    cache = config.stash[_ENGINES]
    key = str(ruleset)
    if key not in cache:
        if _FACTORY not in config.stash:
            config.stash[_FACTORY] = engine_factory()
        try:
            cache[key] = config.stash[_FACTORY](key)
        except RulesetError as exc:
            cache[key] = exc
    found = cache[key]
    if isinstance(found, RulesetError):
        raise found
    return found


class SuiteProblem(Exception):
    """The suite or its ruleset is invalid; the item fails with the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(d.text() for d in diagnostics))
        self.diagnostics = diagnostics


class CaseFailed(Exception):
    def __init__(self, outcome: CaseOutcome) -> None:
        super().__init__("; ".join(outcome.failures))
        self.outcome = outcome


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            suite = load_suite(self.path)
        except RulesetError as exc:
            raise SuiteProblem(exc.diagnostics) from None
        targets = rulesets_for(suite, self.path.resolve().parent.parent)
        if not targets:
            yield ProblemItem.from_parent(
                self,
                name="suite-unmatched",
                problem=f"{self.path}: no ruleset {suite.ruleset} {' or '.join(suite.versions)} to run this suite on",
            )
            return
        for ruleset in targets:
            version = _identity_version(ruleset) if len(targets) > 1 else None
            for case in suite.cases:
                cid = case_id(suite, case, version)
                name = f"{case.name}[{version}]" if version else case.name
                yield SuiteCase.from_parent(
                    self, name=name, nodeid=cid, suite=suite, case=case, ruleset=ruleset
                )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SuiteProblem):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


def _identity_version(path: Path) -> str:
    return identity(path)[1]


class ProblemItem(pytest.Item):
    def __init__(self, *, problem: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.problem = problem

    def runtest(self) -> None:
        raise SuiteProblem([Diagnostic("suite-unmatched", self.problem, str(self.path))])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return self.problem

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name


class SuiteCase(pytest.Item):
    def __init__(self, *, suite: Suite, case: Case, ruleset: Path, **kw: Any) -> None:
        super().__init__(**kw)
        self.suite = suite
        self.case = case
        self.ruleset = ruleset

    def runtest(self) -> None:
        if self.case.skip or self.case.todo:
            pytest.skip(f"todo: {self.case.todo}" if self.case.todo else str(self.case.skip))
        try:
            engine = _engine(self.config, self.ruleset)
        except RulesetError as exc:
            raise SuiteProblem(exc.diagnostics) from None
        problems = [d for d in check_suite(self.suite, engine.ruleset) if d.severity == "error"]
        if problems:
            raise SuiteProblem(problems)
        outcome = check_case(engine, self.case)
        if not outcome.passed:
            raise CaseFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from rulewright.core.authoring.reports import failure_lines

        error = excinfo.value
        if isinstance(error, CaseFailed):
            ref = _engine(self.config, self.ruleset).ruleset.ref
            return "\n".join(failure_lines(error.outcome, self.nodeid, self.suite.file, ref))
        if isinstance(error, SuiteProblem):
            return str(error)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, self.nodeid
