"""A cache of checked rulesets, so `rules evaluate` starts without YAML or JSON Schema work.

A ruleset that loaded without errors is stored as its plain data tree (JSON), under a key made
of the rulewright version, the operator names available, the ruleset file's exact bytes and a
stamp of the schema and check code that decide validity (so editing the checks in a checkout,
without a version bump, also misses); a changed file, upgrade or plugin set simply misses. Entries are data, never code, and the
directory is safe to delete at any time. Location: `$RULEWRIGHT_CACHE_DIR`, else
`$XDG_CACHE_HOME/rulewright`, else `~/.cache/rulewright`; `RULEWRIGHT_CACHE_DIR=off` turns it off.
Any failure to read or write the cache is ignored: it only ever saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rulewright.core.version import __version__

ENV = "RULEWRIGHT_CACHE_DIR"
FORMAT = 1


def cache_dir() -> Path | None:
    configured = os.environ.get(ENV)
    if configured is not None:
        return None if configured.lower() in ("", "0", "off", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rulewright"


# The files that decide whether a ruleset is valid, relative to the `rulewright` package folder.
_CHECKERS = (
    "schemas/ruleset.schema.json",
    "core/model/files.py",
    "core/model/yamlload.py",
    "core/model/schemas.py",
    "core/model/parse.py",
    "core/model/ruleset.py",
    "core/model/semantics.py",
    "core/model/loader.py",
)
_stamp: str | None = None


def _checker_stamp() -> str:
    """Size and modification time of the checking code (a few stat calls, once per process)."""
    global _stamp
    if _stamp is None:
        here = Path(__file__).resolve().parent.parent  # core/
        roots = {"core": here, "schemas": _schemas_dir(here)}
        parts = []
        for name in _CHECKERS:
            folder, _, file = name.partition("/")
            try:
                st = os.stat(roots[folder] / file)
                parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{name}:?")
        _stamp = ";".join(parts)
    return _stamp


def _schemas_dir(core: Path) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("rulewright.schemas")
    locations = list(spec.submodule_search_locations or ()) if spec else []
    return Path(locations[0]) if locations else core.parent / "schemas"


def key(raw: bytes, operators: Iterable[str] | None) -> str:
    digest = hashlib.sha256()
    digest.update(f"rulewright {__version__} format {FORMAT}\0{_checker_stamp()}\0".encode())
    digest.update(("\0".join(sorted(operators or ())) + "\0").encode())
    digest.update(raw)
    return digest.hexdigest()


def get(entry: str) -> dict[str, Any] | None:
    """The checked data tree stored under `entry`, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        stored = json.loads((folder / f"{entry}.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != entry or not isinstance(stored.get("data"), dict):
        return None
    data: dict[str, Any] = stored["data"]
    return data


def put(entry: str, data: dict[str, Any]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        text = json.dumps({"key": entry, "data": data}, ensure_ascii=False, allow_nan=False)
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile  # only on a miss: every start that hits needs nothing of it

        fd, tmp = tempfile.mkstemp(prefix=".ruleset-", suffix=".partial", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, folder / f"{entry}.json")  # readers see a whole entry or none
    except (OSError, TypeError, ValueError):
        return
