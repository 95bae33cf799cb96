"""Reading ruleset and test-suite files safely: size-checked before read, never out of a folder.

A file is opened without blocking (a named pipe must not hang the run), checked with `fstat`
to be a regular file no bigger than `MAX_BYTES`, and read with a bounded read, so a symbolic
link to `/dev/zero` or a 1 GB sparse file is refused without reading it. A folder is walked
for YAML files without following a symbolic link out of it. No ruamel here: `rules evaluate`
reads its ruleset through this module before it knows whether it needs YAML at all.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rulewright.core.model.diagnostics import Diagnostic, RulesetError

MAX_BYTES = 2 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")


def _fail(file: str, code: str, message: str) -> RulesetError:
    return RulesetError([Diagnostic(code, message, file, 1, 1)])


def read_bounded(path: str | Path, what: str = "file") -> bytes:
    """The bytes of the regular file at `path`; `RulesetError` (`not-found`, `not-a-file`,
    `file-too-large`) when it cannot be read, is not a regular file or is over `MAX_BYTES`."""
    file = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _fail(file, "not-found", f"cannot read {what}: {exc.strerror}") from None
    with os.fdopen(fd, "rb", buffering=0) as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _fail(
                file, "not-a-file", f"cannot read {what}: not a regular file (a device, pipe or folder)"
            )
        if info.st_size > MAX_BYTES:
            raise _fail(file, "file-too-large", f"file is {info.st_size} bytes; the limit is {MAX_BYTES}")
        chunks = []
        left = MAX_BYTES + 1  # one byte more tells a file that grew past the limit while read
        while left > 0 and (chunk := stream.read(left)):
            chunks.append(chunk)
            left -= len(chunk)
    raw = b"".join(chunks)
    if len(raw) > MAX_BYTES:
        raise _fail(file, "file-too-large", f"file is over {MAX_BYTES} bytes, the limit")
    return raw


def yaml_files(folder: str | Path) -> tuple[list[Path], list[Path]]:
    """The YAML files under `folder`, sorted, and apart from them the symbolic links among them
    that lead out of it: those are never read or written through."""
    root = Path(folder).resolve()
    inside: list[Path] = []
    outside: list[Path] = []
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix not in YAML_SUFFIXES:
            continue
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a loop of links
            outside.append(path)
            continue
        if not real.is_relative_to(root):
            outside.append(path)
        elif not real.is_dir():
            inside.append(path)  # a device or pipe inside is refused when read, with its reason
    return inside, outside


def outside_error(path: Path, folder: str | Path) -> RulesetError:
    return _fail(
        str(path),
        "outside-folder",
        f"not followed: a symbolic link that leads out of {folder} (to {os.path.realpath(path)})",
    )
