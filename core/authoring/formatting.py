"""`rules fmt`: canonical key order and layout for rulesets and test suites, comments kept.

A ruamel round trip keeps comments, quoting, flow style (`{fact: x, eq: y}`) and folded text;
we only reorder mapping keys into the order the format reference uses and lay the file out
with 2-space mappings and `- ` items indented under their key. Values never change, so the
fingerprint (computed over the canonical data, not the bytes) never changes either.

Reordering moves each key with the comments ruamel attaches to it. ruamel stores a comment line
that stands between two keys as the *trailing* comment of the first, so such a comment travels
with the key above it. Files already in canonical order are only re-indented.
"""

from __future__ import annotations

import io
import re
from typing import Any

from rulewright.core.authoring.suites import is_suite_data
from rulewright.core.model.diagnostics import Diagnostic, RulesetError
from rulewright.core.model.yamlload import decode, load_yaml_text

Path = tuple[str, ...]

_RULESET: dict[Path, tuple[str, ...]] = {
    (): (
        "rulewright",
        "id",
        "version",
        "title",
        "status",
        "description",
        "provenance",
        "inputs",
        "scoring",
        "scores",
        "red_flags",
        "hit_policy",
        "outcomes",
        "default",
        "escalations",
        "invariants",
        "fhir",
    ),
    ("provenance",): ("authors", "reviewers", "approved", "references", "changes"),
    ("provenance", "references", "*"): ("id", "citation", "doi", "url", "note"),
    ("provenance", "changes", "*"): ("version", "date", "note"),
    ("inputs", "*"): (
        "id",
        "type",
        "question",
        "help",
        "values",
        "labels",
        "minimum",
        "maximum",
        "unit",
        "missing",
    ),
    ("scores", "*"): (
        "id",
        "label",
        "description",
        "missing",
        "references",
        "rationale",
        "items",
        "compute",
        "bands",
    ),
    ("scores", "*", "items", "*"): ("id", "label", "when", "weight", "value"),
    ("scores", "*", "bands", "*"): ("id", "label", "minimum", "maximum"),
    ("red_flags", "*"): ("id", "level", "when", "message", "action", "references", "rationale"),
    ("outcomes", "*"): (
        "id",
        "label",
        "when",
        "confidence",
        "confidence_when",
        "urgency",
        "references",
        "rationale",
        "recommendations",
    ),
    ("default",): (
        "id",
        "label",
        "confidence",
        "confidence_when",
        "urgency",
        "references",
        "rationale",
        "recommendations",
    ),
    ("escalations", "*"): ("id", "level", "when", "message", "action"),
    ("invariants", "*"): ("id", "description", "when", "expect"),
}
_SUITE: dict[Path, tuple[str, ...]] = {
    (): ("ruleset", "versions", "description", "cases"),
    ("cases", "*"): ("name", "description", "answers", "expect", "skip", "todo"),
    ("cases", "*", "expect"): (
        "status",
        "outcome",
        "confidence",
        "urgency",
        "red_flags",
        "no_red_flags",
        "not_screened",
        "scores",
        "missing",
        "recommendations",
        "recommendations_include",
        "error",
    ),
}
# Inside conditions and expressions, the subject comes first: `{fact: x, ge: 3}`, `{at_least: 2, of: [...]}`.
_LEADING = ("fact", "score", "answered", "at_least", "op", "round", "digits")


def _order(keys: list[str], canonical: tuple[str, ...]) -> list[str]:
    """Known keys in canonical order, in the places known keys held; other keys stay where they are.

    Keeping unknown keys (a plugin's block, a key newer than this table) in place means the
    formatter never moves what it does not understand.
    """
    rank = {k: i for i, k in enumerate(canonical)}
    known = iter(sorted((k for k in keys if k in rank), key=rank.__getitem__))
    return [next(known) if k in rank else k for k in keys]


def _reorder(node: Any, path: Path, table: dict[Path, tuple[str, ...]]) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        keys = [str(k) for k in node]
        canonical = table.get(path)
        if canonical is not None:
            wanted = _order(keys, canonical)
        else:  # a condition or expression: its subject first, the rest as written
            wanted = [k for k in _LEADING if k in keys] + [k for k in keys if k not in _LEADING]
        if wanted != keys:
            for key in wanted:
                node.move_to_end(key)
        for key in list(node):
            _reorder(node[key], path + (str(key),), table)
    elif isinstance(node, CommentedSeq):
        for item in node:
            _reorder(item, path + ("*",), table)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an author's lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # keep `[{answered: x}]` as written
    # Write null as `null`, as authors do, not as an empty value.
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


NOT_OURS = "not-a-ruleset"
# What makes a YAML mapping ours to rewrite, from the schemas' required keys: one shared key
# is not enough (a GitHub `action.yaml` has `inputs`). A ruleset has `id` and `version` and
# `inputs` or `outcomes` (a half-written one may lack the rest); a test suite has `ruleset`
# and `cases`. Anything else is some other YAML, left alone.
_RULESET_KEYS = ("id", "version")
_RULESET_BODY = ("inputs", "outcomes")
_SUITE_KEYS = ("ruleset", "cases")


def _kind(data: object) -> str | None:
    """The kind of a loaded document: `suite`, `ruleset`, or None for YAML that is neither."""
    if not isinstance(data, dict):
        return None
    if all(k in data for k in _SUITE_KEYS) and is_suite_data(data):
        return "suite"
    if all(k in data for k in _RULESET_KEYS) and any(k in data for k in _RULESET_BODY):
        return "ruleset"
    return None


def format_text(text: str, file: str = "<text>") -> str:
    """The canonical form of a ruleset or test-suite document; raises `RulesetError` if unreadable,
    or (code `NOT_OURS`) if it is neither (`_kind`): any other YAML is not ours to rewrite."""
    doc = load_yaml_text(text, file)  # the guarded loader: bounds, tags, positions for errors
    kind = _kind(doc.data)
    if kind is not None:
        table = _SUITE if kind == "suite" else _RULESET
    else:
        raise RulesetError(
            [
                Diagnostic(
                    NOT_OURS,
                    "neither a ruleset (`id`, `version` and `inputs` or `outcomes`) nor a test suite "
                    "(`ruleset` and `cases`)",
                    file,
                    1,
                    1,
                )
            ]
        )
    yaml = _yaml()
    tree = yaml.load(text)
    _reorder(tree, (), table)
    out = io.StringIO()
    yaml.dump(tree, out)
    lines = _indent_comments([line.rstrip() for line in out.getvalue().splitlines()])
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


_BLOCK_START = re.compile(r"(:|^\s*-)\s+[|>][-+0-9]*\s*(#.*)?$")


def _indent_comments(lines: list[str]) -> list[str]:
    """Indent each full-line comment like the line it stands above (ruamel keeps old columns).

    Lines inside block scalars (`>-`, `|`) are text, not comments, and are left alone.
    """
    kinds: list[str] = []
    block: int | None = None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if block is not None and (not line.strip() or indent > block):
            kinds.append("text")
            continue
        block = None
        if not line.strip():
            kinds.append("blank")
        elif line.lstrip().startswith("#"):
            kinds.append("comment")
        else:
            kinds.append("node")
            if _BLOCK_START.search(line):
                block = indent
    out = list(lines)
    below = 0
    for i in range(len(lines) - 1, -1, -1):
        if kinds[i] == "node":
            below = len(lines[i]) - len(lines[i].lstrip())
        elif kinds[i] == "comment":
            out[i] = " " * below + lines[i].strip()
    return out


def format_bytes(raw: bytes, file: str) -> str:
    return format_text(decode(raw, file), file)
