"""Where a path to write leads: its symbolic links followed one by one, safely.

`--output` replaces a file by renaming a new one over it, so it must find the file a symbolic
link points to itself (a rename replaces the link, it does not follow it). Followed blindly, a
link that another user planted in a world-writable folder such as /tmp would send a root job's
output onto any file root can write. So every link on the way is checked against the rule the
Linux kernel applies with `fs.protected_symlinks = 1` (often off in containers): a link in a
world-writable sticky folder is followed only if it belongs to the user following it or to the
folder's owner. A link that fails the rule is refused with `Planted`, never followed. The file
the path ends at obeys the same rule (the kernel's `protected_regular` and `protected_fifos`):
written over, a file another user planted there would hand that user the output (it keeps its
owner), free to change before the next step of a pipeline reads it.

The walk holds each folder open, and `Place` keeps the last one: the caller creates, renames
and removes relative to that descriptor, so a folder on the way swapped for a link after the
check changes nothing. Where the platform has no descriptor-relative calls (Windows), the path
is resolved with `os.path.realpath` (such platforms have no sticky folders).
"""

from __future__ import annotations

import errno
import os
import stat

MAX_LINKS = 40
"""Links followed before giving up, as the kernel does (ELOOP)."""

_FOLDER = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC
_HOLDS = os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd  # os.replace too


class Planted(OSError):
    """A link or a file in a world-writable sticky folder that neither this user nor the
    folder's owner owns: never followed, never written over."""


class Place:
    """The folder (an open descriptor; None without descriptor-relative calls) and the name in
    it that a path leads to. `through_kernel`: the last link is one only the kernel can follow
    (a pipe or a socket under /proc): open `name` in `folder` as it is, never create or rename."""

    def __init__(self, folder: int | None, name: str, *, through_kernel: bool = False) -> None:
        self.folder, self.name, self.through_kernel = folder, name, through_kernel

    def close(self) -> None:
        if self.folder is not None:
            os.close(self.folder)
            self.folder = None


def trusted(folder: os.stat_result, entry: os.stat_result) -> bool:
    """The kernel's rule for an entry of a world-writable sticky folder (fs/namei.c,
    may_follow_link, may_create_in_sticky): it belongs to this user or to the folder's owner."""
    sticky_and_open = folder.st_mode & (stat.S_ISVTX | stat.S_IWOTH) == stat.S_ISVTX | stat.S_IWOTH
    return not sticky_and_open or entry.st_uid in (os.geteuid(), folder.st_uid)


def locate(path: str) -> Place:
    """Follow `path` to the folder and name it leads to; raises Planted or another OSError."""
    if not _HOLDS:
        return Place(None, os.path.realpath(path))
    parts, is_folder = _parts(path)
    if is_folder:
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    folder = os.open("/" if path.startswith("/") else ".", _FOLDER)
    links = 0
    try:
        while True:
            part = parts.pop(0)
            if part == "..":  # the parent of the folder reached, as the kernel takes it
                folder = _enter(folder, part)
                continue
            try:
                info = os.stat(part, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                if parts:
                    raise
                return Place(folder, part)  # a new file
            link = stat.S_ISLNK(info.st_mode)
            if (link or not parts) and not trusted(os.fstat(folder), info):
                what = "follow a symbolic link" if link else "write over a file"
                raise Planted(
                    errno.EACCES,
                    f"refusing to {what} owned by uid {info.st_uid} in a world-writable sticky "
                    "folder (the kernel's protected_symlinks and protected_regular rules)",
                    path,
                )
            if not link:
                if not parts:
                    return Place(folder, part)
                folder = _enter(folder, part)
                continue
            links += 1
            if links > MAX_LINKS:
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
            text = os.readlink(part, dir_fd=folder)
            if not parts and _kernel_object(text) and not _exists(text, folder):
                return Place(folder, part, through_kernel=True)
            more, is_folder = _parts(text)
            if is_folder and not parts:
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
            if text.startswith("/"):
                folder = _enter(folder, "/")
            parts[:0] = more
    except BaseException:
        os.close(folder)
        raise


def _parts(path: str) -> tuple[list[str], bool]:
    """The names in `path`, and whether it can only name a folder (`/`, `.`, `a/`, `a/..`)."""
    names = [p for p in path.split("/") if p not in ("", ".")]
    last = path.rstrip("/").rpartition("/")[2]
    return names, not names or path.endswith("/") or last in (".", "..")


def _enter(folder: int, name: str) -> int:
    """Open the folder `name` in `folder` (never through a link: those are followed by hand),
    closing `folder`."""
    try:
        return os.open(name, _FOLDER | os.O_NOFOLLOW, dir_fd=folder)
    finally:
        os.close(folder)


def _exists(name: str, folder: int) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        return False
    return True


def _kernel_object(text: str) -> bool:
    """What /proc/self/fd/N reads as for a pipe or a socket (`pipe:[1234]`, behind
    `-o /dev/stdout`): not a path; only the kernel can follow it."""
    kind, sep, rest = text.partition(":[")
    return bool(sep) and kind.isidentifier() and rest.endswith("]") and "/" not in rest
