"""A cache of checked rulesets, so `rules evaluate` starts without YAML or JSON Schema work.

A ruleset that loaded without errors is stored as its plain data tree (JSON), under a key made
of the rulewright version, the operator names available, the ruleset file's exact bytes and a
stamp of the schema and check code that decide validity (so editing the checks in a checkout,
without a version bump, also misses); a changed file, upgrade or plugin set simply misses.
Entries are data, never code, and the directory is safe to delete at any time. Location:
`$RULEWRIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/rulewright`, else `~/.cache/rulewright`;
`RULEWRIGHT_CACHE_DIR=off` turns it off. Any failure to read or write the cache is ignored: it
only ever saves time.

Verified before trusted: the folder must be a real folder (not a link) owned by the user with
mode 0700 — one we create is; one of ours that only others could read is narrowed to 0700 —
and otherwise the run goes on without the cache, saying so once on stderr. Each entry starts
with a line naming its key and the sha256 of the data after it; an entry whose digest does not
match (edited, truncated) or whose data cannot be parsed is a miss, and is rebuilt from the YAML;
so is one whose model fails the loader's cheap re-check (known levels, semantic checks), since
a digest only says the entry is whole, not that its content was ever checked.
The fingerprint of a cached ruleset is computed from the data that runs, never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rulewright.core.version import __version__

ENV = "RULEWRIGHT_CACHE_DIR"
FORMAT = 2  # 2: a header line with the key and the data's digest

_checked: dict[Path, str | None] = {}  # folder -> why it may not be used (None: it may), per process
_warned = False


def cache_dir() -> Path | None:
    """The folder of the cache when it may be used (see the module's docstring), else None."""
    configured = os.environ.get(ENV)
    if configured is not None:
        if configured.lower() in ("", "0", "off", "none"):
            return None
        folder = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base) / "rulewright"
    if folder not in _checked:
        _checked[folder] = _private(folder)
        if _checked[folder] is not None and not _warned:
            _warn(folder, _checked[folder] or "")
    return folder if _checked[folder] is None else None


def _private(folder: Path) -> str | None:
    """Why `folder` may not hold the cache, or None once it is a folder only this user can use."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        return f"cannot create it ({exc.strerror})"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder (a symbolic link?)"
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # no owners and modes to check (Windows): the user's profile guards it
        return None
    if info.st_uid != getuid():
        return "it is owned by another user"
    if info.st_mode & 0o022:
        return f"others may write to it (mode {stat.S_IMODE(info.st_mode):04o}; it must be 0700)"
    if info.st_mode & 0o077:
        try:  # ours, and others may only read it (made before 0700 was required): narrow it
            os.chmod(folder, 0o700)
        except OSError as exc:
            return f"cannot narrow its mode to 0700 ({exc.strerror})"
    return None


def _warn(folder: Path, why: str) -> None:
    global _warned
    _warned = True
    sys.stderr.write(
        f"rules: warning: not using the ruleset cache {folder}: {why}; set {ENV} to a folder of "
        f"your own (mode 0700), or to off\n"
    )


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
    """The checked data tree stored under `entry`, or None (absent, or failing its digest)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{entry}.json", "rb") as stored:
            header = json.loads(stored.readline())
            body = stored.read()
        if header != {"key": entry, "sha256": hashlib.sha256(body).hexdigest()}:
            return None
        data = json.loads(body)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def put(entry: str, data: dict[str, Any]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        header = json.dumps({"key": entry, "sha256": hashlib.sha256(body).hexdigest()}).encode()
        import tempfile  # only on a miss: every start that hits needs nothing of it

        fd, tmp = tempfile.mkstemp(prefix=".ruleset-", suffix=".partial", dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(header + b"\n" + body)
        os.replace(tmp, folder / f"{entry}.json")  # readers see a whole entry or none
    except (OSError, TypeError, ValueError):
        return
