"""A partial file: written beside its target, renamed over it only once complete.

Readers of the target then see the whole old file or the whole new one, never half of either.
`tempfile.mkstemp` would make the file readable by its owner only (mode 0600), and the rename
would carry that over: a ruleset that `rules fmt` rewrote, or an `--output` the next step of a
pipeline reads as another user, would lose its permissions. A partial file has the mode of the
file it replaces, or, for a new file, the mode `open` would give it (0666 less the umask); for
`--output`, the owner and group of the file it replaces too, or it is not written at all.
"""

from __future__ import annotations

import errno
import os
import stat

_ATTEMPTS = 100


def open_partial(target: str | os.PathLike[str], prefix: str) -> tuple[int, str]:
    """A new file beside `target`, opened for writing: its descriptor and its path."""
    path = os.path.abspath(target)
    try:
        like: os.stat_result | None = os.stat(path)
    except OSError:
        like = None  # no such file yet: the umask decides, as for any new file
    return open_partial_at(None, path, prefix, like=like)


def open_partial_at(
    folder: int | None, name: str, prefix: str, *, like: os.stat_result | None = None, owner: bool = False
) -> tuple[int, str]:
    """A new file beside `name` in `folder` (an open descriptor, or None for a path), opened for
    writing: its descriptor and its name there. `like`, the file it will replace, gives it its
    mode and, with `owner`, its owner and group: if they cannot be kept (not root, another
    user's file), PermissionError, and nothing is left behind."""
    for _ in range(_ATTEMPTS):
        path = os.path.join(os.path.dirname(name), f"{prefix}{os.urandom(6).hex()}.partial")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666, dir_fd=folder)
        except FileExistsError:
            continue
        try:
            if like is not None:
                if owner:
                    _keep_owner(fd, like)
                os.fchmod(fd, stat.S_IMODE(like.st_mode))  # after chown, which clears set-id bits
        except BaseException:
            os.close(fd)
            os.unlink(path, dir_fd=folder)
            raise
        return fd, path
    raise FileExistsError(f"no free name for a partial file beside {name}")


def _keep_owner(fd: int, like: os.stat_result) -> None:
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) == (like.st_uid, like.st_gid):
        return
    try:
        os.fchown(fd, like.st_uid, like.st_gid)
    except PermissionError:
        raise PermissionError(
            errno.EPERM,
            f"cannot give the new file the owner and group of the one it replaces "
            f"(uid {like.st_uid}, gid {like.st_gid}); that file is left as it was",
        ) from None
