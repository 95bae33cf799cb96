"""Ruleset test suites: named cases with answers and expectations, kept beside the ruleset.

```yaml
ruleset: leg-pain
versions: ["1.0.0"]          # the ruleset versions this suite applies to (`1.*` and `*` too)
cases:
  - name: burning_follows_path
    answers: {pain_quality: burning, pain_pattern: follows_path}
    expect: {outcome: nerve, urgency: routine}
```

Expectations (all optional, schemas/test-suite.schema.json): `status`, `outcome` (an id, or
null for none), `confidence`, `urgency`, `red_flags` (ids that must fire), `no_red_flags` (ids
that must not), `not_screened` (exact list), `scores` (id -> number, {value, within} for a tolerance, {min, max}
(optionally with `within`) for an interval, or null), `missing` (exact list),
`recommendations` (exact list), `recommendations_include`, `error` (code). A case may carry
`skip: reason` or `todo: reason`.

This one runner serves `rules test`, the pytest plugin and plugin authors: load a suite, check
it against its ruleset, run its cases on an `Engine`.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rulewright.core.evaluate.engine import Engine
from rulewright.core.evaluate.result import Result
from rulewright.core.hooks.host import PluginHost
from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import Diagnostic, JsonPath, RulesetError
from rulewright.core.model.files import read_bounded
from rulewright.core.model.yamlload import Document, load_yaml


@dataclass
class Case:
    name: str
    answers: dict[str, Any]
    expect: dict[str, Any]
    line: int
    skip: str | None = None
    todo: str | None = None
    column: int = 1
    description: str | None = None
    index: int = 0


@dataclass
class Suite:
    file: str
    ruleset: str
    versions: list[str]
    cases: list[Case] = field(default_factory=list)
    description: str = ""
    doc: Document | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return Path(self.file).stem

    def applies_to(self, version: str) -> bool:
        return any(fnmatch.fnmatchcase(version, pattern) for pattern in self.versions)

    def diagnostic(self, code: str, message: str, path: JsonPath, *, at_key: bool = False) -> Diagnostic:
        """A finding at `path`; `at_key` points at the mapping key rather than its value."""
        if self.doc is None:
            return Diagnostic(code, message, self.file, path=path)
        if at_key and path in self.doc.key_positions:
            line, col = self.doc.key_positions[path]
            return Diagnostic(code, message, self.file, line, col, path)
        return self.doc.diagnostic(code, message, path)


@dataclass(frozen=True)
class Mismatch:
    """One expectation a result did not meet."""

    what: str
    expected: Any
    actual: Any

    def text(self) -> str:
        return f"{self.what}: expected {shown(self.expected)}, got {shown(self.actual)}"


def shown(value: Any) -> str:
    """An expected or actual value as a failure line prints it: `22.22 ± 0.01` for a tolerance."""
    if isinstance(value, str) and value.startswith("one containing"):
        return value
    if isinstance(value, dict) and "within" in value:
        if "value" in value:
            return f"{shown(value['value'])} ± {shown(value['within'])}"
        ends = {"min": value["min"], "max": value["max"]}
        return f"{shown(ends)}, each end ± {shown(value['within'])}"
    return json.dumps(value, ensure_ascii=False)


CaseStatus = Literal["passed", "failed", "skipped"]


@dataclass
class CaseOutcome:
    case: Case
    result: Result | None
    failures: list[str]
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.skipped

    @property
    def skipped(self) -> bool:
        return self.result is None

    @property
    def status(self) -> CaseStatus:
        return "skipped" if self.skipped else "failed" if self.failures else "passed"

    @property
    def reason(self) -> str | None:
        if self.case.todo:
            return f"todo: {self.case.todo}"
        return self.case.skip


# --- loading ----------------------------------------------------------------------------------


def is_suite_data(data: Any) -> bool:
    """A YAML document is a test suite (not a ruleset) when it has `cases` and no `inputs`."""
    return isinstance(data, dict) and "cases" in data and "inputs" not in data


def suite_from_document(doc: Document) -> Suite:
    """Build a suite from a loaded document; raise `RulesetError` if it breaks the schema."""
    from rulewright.core.model.schemas import check

    problems = check(doc, "test-suite")
    if problems:
        raise RulesetError(problems)
    data = doc.data
    suite = Suite(
        doc.file,
        data["ruleset"],
        [str(v) for v in data["versions"]],
        description=data.get("description", ""),
        doc=doc,
    )
    seen: dict[str, int] = {}
    duplicates = []
    for i, c in enumerate(data["cases"]):
        line, col = doc.position(("cases", i))
        if c["name"] in seen:
            duplicates.append(
                doc.diagnostic(
                    "duplicate-case",
                    f"case name {c['name']!r} is already used at line {seen[c['name']]}",
                    ("cases", i, "name"),
                )
            )
        seen[c["name"]] = line
        suite.cases.append(
            Case(
                c["name"],
                dict(c["answers"]),
                dict(c.get("expect") or {}),
                line,
                c.get("skip"),
                c.get("todo"),
                column=col,
                description=c.get("description"),
                index=i,
            )
        )
    if duplicates:
        raise RulesetError(duplicates)
    return suite


def load_suite(path: str | Path) -> Suite:
    """Read and schema-check a suite file; raise `RulesetError` with positions if it is bad."""
    return suite_from_document(load_yaml(read_bounded(path, "suite"), str(path)))


def check_suite(suite: Suite, ruleset: m.Ruleset) -> list[Diagnostic]:
    """Names a suite uses that its ruleset does not declare: a typo would make a case vacuous."""
    inputs = {i.id for i in ruleset.inputs}
    outcomes = {o.id for o in ruleset.outcomes} | ({ruleset.default.id} if ruleset.default else set())
    flags = {f.id for f in ruleset.red_flags}
    escalations = {e.id for e in ruleset.escalations}
    scores = {s.id for s in ruleset.scores}
    out: list[Diagnostic] = []

    def unknown(kind: str, name: str, known: set[str], path: JsonPath) -> None:
        listing = ", ".join(sorted(known)) or "none"
        out.append(
            suite.diagnostic(
                f"unknown-{kind.replace(' ', '-')}",
                f"{ruleset.ref} has no {kind} {name!r} (known: {listing})",
                path,
                at_key=path[-2] in ("answers", "scores"),
            )
        )

    for case in suite.cases:
        base: JsonPath = ("cases", case.index)
        if case.expect.get("status") != "error":
            for key in case.answers:
                if key not in inputs:
                    unknown("input", key, inputs, base + ("answers", key))
        exp = case.expect
        if exp.get("outcome") is not None and exp["outcome"] not in outcomes:
            unknown("outcome", exp["outcome"], outcomes, base + ("expect", "outcome"))
        for key, known, kind in (
            ("red_flags", flags | escalations, "red flag"),
            ("no_red_flags", flags | escalations, "red flag"),
            ("not_screened", flags, "red flag"),
            ("missing", inputs, "input"),
        ):
            for i, name in enumerate(exp.get(key, ())):
                if name not in known:
                    unknown(kind, name, known, base + ("expect", key, i))
        for name in exp.get("scores", {}):
            if name not in scores:
                unknown("score", name, scores, base + ("expect", "scores", name))
    return out


# --- running ----------------------------------------------------------------------------------


def check_case(engine: Engine, case: Case, *, explain: bool = True) -> CaseOutcome:
    """Evaluate one case and compare the result with its expectations (skip/todo: not run)."""
    if case.skip or case.todo:
        return CaseOutcome(case, None, [])
    result = engine.evaluate(case.answers, explain=explain)
    mismatches = compare(case.expect, result.to_record())
    return CaseOutcome(case, result, [x.text() for x in mismatches], mismatches)


def compare(exp: dict[str, Any], rec: dict[str, Any]) -> list[Mismatch]:
    """Every expectation in `exp` that the result record `rec` does not meet."""
    out: list[Mismatch] = []

    def exact(key: str, actual: Any, *, unordered: bool = False) -> None:
        if key not in exp:
            return
        want = exp[key]
        if unordered:
            want, actual = sorted(want), sorted(actual)
        if want != actual:
            out.append(Mismatch(key, want, actual))

    exact("status", rec["status"])
    exact("outcome", rec["outcome"]["id"] if rec["outcome"] else None)
    exact("confidence", rec["outcome"]["confidence"] if rec["outcome"] else None)
    exact("urgency", rec["urgency"])
    fired = [f["id"] for f in rec["red_flags"]]
    for fid in exp.get("red_flags", ()):
        if fid not in fired:
            out.append(Mismatch(f"red flag {fid}", "fires", "does not fire"))
    for fid in exp.get("no_red_flags", ()):
        if fid in fired:
            out.append(Mismatch(f"red flag {fid}", "does not fire", "fires"))
    exact("not_screened", rec["not_screened"], unordered=True)
    for sid, value in (exp.get("scores") or {}).items():
        actual = rec["scores"].get(sid)
        if not _same_score(value, actual):
            out.append(Mismatch(f"score {sid}", value, actual))
    exact("missing", rec["missing"], unordered=True)
    exact("recommendations", rec["recommendations"])
    for text in exp.get("recommendations_include", ()):
        if not any(text in r for r in rec["recommendations"]):
            out.append(Mismatch("recommendations", f"one containing {text!r}", rec["recommendations"]))
    exact("error", rec["error"]["code"] if rec["error"] else None)
    return out


def _same_score(want: Any, actual: Any) -> bool:
    """A score meets its expectation: exactly, within `within`, or as the same interval."""
    tolerance = want.get("within", 0) if isinstance(want, dict) else 0
    if isinstance(want, dict) and "value" in want:
        return _near(want["value"], actual, tolerance)
    if isinstance(want, dict) and isinstance(actual, dict):
        return _near(want["min"], actual["min"], tolerance) and _near(want["max"], actual["max"], tolerance)
    return bool(want == actual and type(want) is not dict and type(actual) is not dict)


def _near(want: float, actual: Any, tolerance: float) -> bool:
    """`actual` is a number at most `tolerance` from `want` (a boundary written in decimals counts)."""
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    gap = abs(actual - want)
    return gap <= tolerance or math.isclose(gap, tolerance, rel_tol=1e-9, abs_tol=1e-12)


def case_id(suite: Suite, case: Case, version: str | None = None) -> str:
    """The stable id `ruleset::suite::case`, with `[version]` when a suite runs on several."""
    base = f"{suite.ruleset}::{suite.name}::{case.name}"
    return f"{base}[{version}]" if version else base


def matches(keyword: str | None, text: str) -> bool:
    """`-k`: a case-insensitive substring of the id, or a glob when it contains `*`/`?`."""
    if not keyword:
        return True
    if any(ch in keyword for ch in "*?["):
        return fnmatch.fnmatch(text.lower(), keyword.lower())
    return keyword.lower() in text.lower()


# --- finding suites and their rulesets --------------------------------------------------------


@dataclass
class Target:
    """One ruleset file (one version) and the suites that apply to it."""

    path: Path
    suites: list[Suite] = field(default_factory=list)


@dataclass
class Plan:
    targets: list[Target] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    multi_version: set[str] = field(default_factory=set)
    """Suite files that run on more than one ruleset version (their ids carry `[version]`)."""
    loaded: dict[str, Suite] = field(default_factory=dict, repr=False)
    broken: set[str] = field(default_factory=set, repr=False)


def _head(path: Path) -> dict[str, Any]:
    """The top-level keys we need to classify a YAML file (safe loader, no positions)."""
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe").load(read_bounded(path).decode("utf-8-sig"))
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def is_suite_path(path: Path) -> bool:
    """Suites live in a `tests/` folder; elsewhere a file is a suite if it reads like one."""
    return path.parent.name == "tests" or is_suite_file(path)


def is_suite_file(path: Path) -> bool:
    """The file's content reads as a suite (`cases`, no `inputs`), wherever it is."""
    return is_suite_data(_head(path))


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def identity(path: Path) -> tuple[str, str]:
    head = _head(path)
    return str(head.get("id", "")), str(head.get("version", ""))


def plan(args: Iterable[str], default_root: Path | None = None) -> Plan:
    """Resolve `rules test` arguments into ruleset files and the suites that apply to each.

    An argument is a folder (every ruleset and suite under it), a ruleset file (with the suites
    in `tests/` beside it), a suite file (run on the rulesets beside its folder, else on the
    bundled ones), or a bundled ruleset (`leg-pain` = every bundled version, `leg-pain@1.0.0` =
    that one). No argument means `./rulesets` if it exists, else every bundled ruleset.
    Raises `LookupError` for an argument that names nothing.
    """
    from rulewright.core.model.loader import bundled_rulesets

    rulesets: list[Path] = []
    lone_suites: list[Path] = []  # suites to run on whatever ruleset they name
    args = list(args)
    if not args:
        root = default_root if default_root is not None else Path("rulesets")
        args = [str(root)] if root.is_dir() else [b.ref for b in bundled_rulesets()]
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            files = _yaml_files(path)
            rulesets += [f for f in files if not is_suite_path(f)]
            homes = {r.resolve().parent for r in rulesets}
            lone_suites += [f for f in files if is_suite_path(f) and f.resolve().parent.parent not in homes]
        elif path.is_file():
            (lone_suites if is_suite_path(path) else rulesets).append(path)
        else:
            rid, _, version = arg.partition("@")
            found = [b for b in bundled_rulesets() if b.id == rid and (not version or b.version == version)]
            if not found:
                raise LookupError(f"no ruleset file, folder or bundled ruleset {arg!r}")
            rulesets += [Path(str(b.resource)) for b in found]
    out = Plan()
    targets: dict[Path, Target] = {}
    for path in rulesets:
        target = targets.setdefault(path.resolve(), Target(Path(_display(path))))
        rid, version = identity(path)
        for f in _yaml_files(path.parent / "tests"):
            suite = _load(f, out)
            if suite and suite.ruleset == rid and suite.applies_to(version):
                target.suites.append(suite)
    for f in lone_suites:
        suite = _load(f, out)
        if suite is None:
            continue
        for path in rulesets_for(suite, f.resolve().parent.parent):
            target = targets.setdefault(path.resolve(), Target(Path(_display(path))))
            if all(s.file != suite.file for s in target.suites):
                target.suites.append(suite)
    used: dict[str, int] = {}
    for target in targets.values():
        for suite in target.suites:
            used[suite.file] = used.get(suite.file, 0) + 1
    out.multi_version = {name for name, n in used.items() if n > 1}
    for suite in out.loaded.values():
        if suite.file not in used and suite.file in {_display(f) for f in lone_suites}:
            out.diagnostics.append(
                suite.diagnostic(
                    "suite-unmatched",
                    f"no ruleset {suite.ruleset} {' or '.join(suite.versions)} to run this suite on",
                    ("versions",),
                )
            )
    out.targets = list(targets.values())
    return out


def _load(path: Path, plan: Plan) -> Suite | None:
    """Load a suite once per plan; a broken suite becomes diagnostics, not an exception."""
    name = _display(path)
    if name in plan.loaded:
        return plan.loaded[name]
    if name in plan.broken:
        return None
    try:
        suite = load_suite(name)
    except RulesetError as exc:
        plan.broken.add(name)
        plan.diagnostics.extend(exc.diagnostics)
        return None
    plan.loaded[name] = suite
    return suite


def rulesets_for(suite: Suite, home: Path) -> list[Path]:
    """The rulesets a lone suite runs on: those in the folder above its own, else bundled ones."""
    from rulewright.core.model.loader import bundled_rulesets

    near = [
        p
        for p in sorted(home.glob("*.y*ml"))
        if (key := identity(p))[0] == suite.ruleset and suite.applies_to(key[1])
    ]
    if near:
        return near
    return [
        Path(str(b.resource))
        for b in bundled_rulesets()
        if b.id == suite.ruleset and suite.applies_to(b.version)
    ]


def _display(path: Path) -> str:
    """A path relative to the working directory when it is below it (what editors link)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- a whole run ------------------------------------------------------------------------------


@dataclass
class SuiteRun:
    suite: Suite
    outcomes: list[CaseOutcome] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


@dataclass
class RulesetRun:
    """The results of every suite that applies to one ruleset file."""

    file: str
    ruleset: m.Ruleset | None
    suites: list[SuiteRun] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    engine: Engine | None = field(default=None, repr=False)

    def executed_answers(self) -> list[dict[str, Any]]:
        """The answers of every case that ran (for coverage)."""
        return [o.case.answers for _, o in self.outcomes() if not o.skipped]

    def outcomes(self) -> Iterator[tuple[str, CaseOutcome]]:
        for s in self.suites:
            yield from zip(s.ids, s.outcomes, strict=True)


EngineFactory = Callable[[str], Engine]


def engine_factory(host: PluginHost | None = None) -> EngineFactory:
    """`factory(path) -> Engine` over one plugin host; an unusable ruleset raises `RulesetError`."""
    from rulewright.core.evaluate.engine import EngineError
    from rulewright.core.hooks.host import make_plugin_host
    from rulewright.core.model.loader import load_ruleset

    shared = host if host is not None else make_plugin_host()

    def build(ref: str) -> Engine:
        ruleset = load_ruleset(ref, operators=shared.registry.items["operators"])
        try:
            return Engine(ruleset, host=shared)
        except EngineError as exc:
            raise RulesetError([Diagnostic("engine", str(exc), ref)]) from None

    return build


def run_target(
    target: Target,
    engine_for: EngineFactory,
    *,
    keyword: str | None = None,
    explain: bool = True,
    multi_version: set[str] | None = None,
) -> RulesetRun:
    """Load the target's ruleset, check its suites against it and run their (selected) cases.

    `engine_for(path) -> Engine` builds the engine (raising `RulesetError` for an invalid
    ruleset), so the caller chooses the plugin host.
    """
    run = RulesetRun(str(target.path), None)
    try:
        engine: Engine = engine_for(str(target.path))
    except RulesetError as exc:
        run.diagnostics.extend(exc.diagnostics)
        return run
    run.ruleset = engine.ruleset
    run.engine = engine
    for suite in target.suites:
        problems = check_suite(suite, engine.ruleset)
        run.diagnostics.extend(problems)
        if any(d.severity == "error" for d in problems):
            continue
        srun = SuiteRun(suite)
        version = engine.ruleset.version if suite.file in (multi_version or set()) else None
        for case in suite.cases:
            cid = case_id(suite, case, version)
            if not matches(keyword, cid):
                continue
            srun.outcomes.append(check_case(engine, case, explain=explain))
            srun.ids.append(cid)
        run.suites.append(srun)
    return run


def validate_suite_file(
    path: str, operators: Iterable[str] | None = None
) -> tuple[m.Ruleset | None, list[Diagnostic]]:
    """`rules validate` on a suite file: its schema, and every name checked against each ruleset it runs on."""
    from rulewright.core.model.loader import load_ruleset

    try:
        suite = load_suite(path)
    except RulesetError as exc:
        return None, exc.diagnostics
    targets = rulesets_for(suite, Path(path).resolve().parent.parent)
    if not targets:
        message = f"no ruleset {suite.ruleset} {' or '.join(suite.versions)} to run this suite on"
        return None, [suite.diagnostic("suite-unmatched", message, ("versions",))]
    found: list[Diagnostic] = []
    first: m.Ruleset | None = None
    for target in targets:
        try:
            ruleset = load_ruleset(str(target), operators=operators)
        except RulesetError as exc:
            found.extend(exc.diagnostics)
            continue
        first = first or ruleset
        found.extend(d for d in check_suite(suite, ruleset) if d not in found)
    return first, found
