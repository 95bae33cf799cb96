"""A partial file: written beside its target, renamed over it only once complete.

Readers of the target then see the whole old file or the whole new one, never half of either.
`tempfile.mkstemp` would make the file readable by its owner only (mode 0600), and the rename
would carry that over: a ruleset that `rules fmt` rewrote, or an `--output` the next step of a
pipeline reads as another user, would lose its permissions. A partial file has the mode of the
file it replaces, or, for a new file, the mode `open` would give it (0666 less the umask).
"""

from __future__ import annotations

import os
import stat

_ATTEMPTS = 100


def open_partial(target: str | os.PathLike[str], prefix: str) -> tuple[int, str]:
    """A new file beside `target`, opened for writing: its descriptor and its path."""
    folder = os.path.dirname(os.path.abspath(target))
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None  # no such file yet: the umask decides, as for any new file
    for _ in range(_ATTEMPTS):
        path = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}.partial")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        if mode is not None:
            try:
                os.fchmod(fd, mode)
            except BaseException:
                os.close(fd)
                os.unlink(path)
                raise
        return fd, path
    raise FileExistsError(f"no free name for a partial file in {folder}")
