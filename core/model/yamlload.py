"""Safe YAML loading that keeps positions.

ruamel's round-trip loader gives every mapping and sequence its line/column (`.lc`). We walk
the loaded tree once, turning it into plain dicts/lists/scalars and a side table of positions
keyed by JSON path, so schema and semantic checks can point at the offending node.

Safety (docs/architecture.md#safety): no tag may build an object (any explicit tag other than the core YAML
ones is refused), timestamps stay strings, and size, depth and node count are bounded so alias
expansion ("billion laughs") and deep nesting fail with a clear error instead of exhausting
memory.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

from rulewright.core.model.diagnostics import Diagnostic, JsonPath, RulesetError
from rulewright.core.model.files import MAX_BYTES

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_STRING = 10_000

_ALLOWED_TAGS = {
    None,
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass
class Document:
    """A loaded YAML document: plain data plus where each node stood in the file."""

    file: str
    data: Any
    positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: JsonPath) -> tuple[int, int]:
        """1-based (line, column) of the node at `path`, or of its nearest ancestor."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))

    def diagnostic(self, code: str, message: str, path: JsonPath, **kw: Any) -> Diagnostic:
        line, col = self.position(path)
        return Diagnostic(code, message, self.file, line, col, tuple(path), **kw)


def _fail(file: str, code: str, message: str, line: int = 1, col: int = 1) -> RulesetError:
    return RulesetError([Diagnostic(code, message, file, line, col)])


def decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_BYTES:
        raise _fail(file, "file-too-large", f"file is {len(raw)} bytes; the limit is {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")  # strips a UTF-8 byte-order mark if present
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(file, "encoding", f"file is not valid UTF-8 ({exc.reason})", line, col) from None
    return text


def load_yaml_text(text: str, file: str) -> Document:
    # ruamel only here: a start that takes a checked ruleset from the cache still checks its
    # semantics, which need `Document` but no YAML parser (about 15 ms of imports).
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        code = "duplicate-key" if "duplicate key" in problem else "yaml-syntax"
        if "could not determine a constructor" in problem:
            code = "forbidden-tag"
        raise _fail(file, code, problem.replace("\n", " "), line, col) from None
    except ReaderError as exc:
        # A character YAML forbids (NUL, BEL...): point at it rather than at the file.
        line, col = _line_col(text, exc.position)
        raise _fail(
            file, "yaml-syntax", f"character #x{exc.character:04x} is not allowed in YAML", line, col
        ) from None
    except YAMLError as exc:
        raise _fail(file, "yaml-syntax", str(exc).replace("\n", " ")) from None
    except ValueError as exc:
        # e.g. an integer longer than Python converts (int_max_str_digits): not a value we accept.
        digits = re.search(r"\d{1000,}", text)
        line, col = _line_col(text, digits.start()) if digits else (1, 1)
        raise _fail(file, "unsupported-value", f"cannot read a value: {exc}", line, col) from None
    except RecursionError:
        raise _fail(file, "too-deep", f"nesting deeper than the parser allows ({MAX_DEPTH})") from None
    doc = Document(file=file, data=None)
    doc.positions[()] = (1, 1)
    walker = _Walker(doc)
    doc.data = walker.plain(tree, (), 0)
    return doc


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def load_yaml(raw: bytes, file: str) -> Document:
    return load_yaml_text(decode(raw, file), file)


class _Walker:
    def __init__(self, doc: Document) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self.mapping, self.sequence = CommentedMap, CommentedSeq
        self.doc = doc
        self.nodes = 0

    def _error(self, code: str, message: str, path: JsonPath) -> RulesetError:
        return RulesetError([self.doc.diagnostic(code, message, path)])

    def _check_tag(self, node: Any, path: JsonPath) -> None:
        tag = getattr(node, "tag", None)
        value = getattr(tag, "value", None) if tag is not None else None
        if value is not None and value not in _ALLOWED_TAGS:
            raise self._error("forbidden-tag", f"YAML tag {value!r} is not allowed: rulesets are data", path)

    def plain(self, node: Any, path: JsonPath, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._error(
                "too-many-nodes",
                f"document expands to more than {MAX_NODES} nodes (alias expansion or a huge file)",
                path,
            )
        if depth > MAX_DEPTH:
            raise self._error("too-deep", f"nesting deeper than {MAX_DEPTH} levels", path)
        self._check_tag(node, path)
        if isinstance(node, self.mapping):
            out: dict[str, Any] = {}
            for key in node:
                # Keys pulled in by a merge key (`<<: *anchor`) or built by !!omap have no
                # position of their own: they take the mapping's.
                kline, kcol = _where(node.lc.key, key, node)
                vline, vcol = _where(node.lc.value, key, node)
                if not isinstance(key, str):
                    self.doc.positions[path + (str(key),)] = (kline + 1, kcol + 1)
                    raise self._error(
                        "key-not-string", f"mapping key {key!r} must be a string", path + (str(key),)
                    )
                child = path + (key,)
                self.doc.key_positions[child] = (kline + 1, kcol + 1)
                value = node[key]
                # Scalars take their position from the parent; collections carry their own,
                # but the parent's value position is where an author looks.
                self.doc.positions[child] = (vline + 1, vcol + 1)
                out[key] = self.plain(value, child, depth + 1)
            return out
        if isinstance(node, self.sequence):
            items: list[Any] = []
            for i, value in enumerate(node):
                line, col = node.lc.item(i)
                self.doc.positions[path + (i,)] = (line + 1, col + 1)
                items.append(self.plain(value, path + (i,), depth + 1))
            return items
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            if not math.isfinite(node):
                raise self._error(
                    "non-finite-number",
                    f"{node!r} is not a finite number (rulesets are JSON-compatible)",
                    path,
                )
            return float(node)
        if isinstance(node, str):
            if len(node) > MAX_STRING:
                raise self._error(
                    "string-too-long", f"string of {len(node)} characters; the limit is {MAX_STRING}", path
                )
            return str(node)
        if isinstance(node, (_dt.date, _dt.datetime)):
            # Keep timestamps as the strings the author wrote (ISO form).
            return node.isoformat()
        raise self._error("unsupported-value", f"value of type {type(node).__name__} is not allowed", path)


def _where(lookup: Any, key: Any, node: Any) -> tuple[int, int]:
    try:
        found = lookup(key)
    except (KeyError, IndexError, TypeError):
        found = None
    if not found:
        return (node.lc.line or 0, node.lc.col or 0)
    return (found[0], found[1])
