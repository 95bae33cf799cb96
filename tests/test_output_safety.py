"""`rules evaluate -o FILE` is safe to point anywhere a pipeline might (docs/security.md).

- A symbolic link that another user planted in a world-writable sticky folder (/tmp) is never
  followed, whether it names the file or a folder on the way, and a file planted there is not
  written over: the kernel's protected_symlinks and protected_regular rules, applied by the
  tool itself (they are often off: containers, some distributions).
- A file it replaces keeps its owner, group and mode; when they cannot be kept, it is left as it
  was.
- The output is never the input, whatever path, link or hard link names it.

Real files, modes and owners through the console script in a subprocess. Changing a file's or a
link's owner needs root: those tests are skipped for other users.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX owners, modes and links")
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changes owners")

COMMAND = [sys.executable, "-c", "from rulewright.core.cli import main; main()"]
CASES = b'{"id": "a", "bladder_bowel_control": true}\n{"id": "b", "pain_quality": "dull"}\n'
OTHER_UID, OTHER_GID = 54321, 54322  # nobody on this machine


def rules(cwd: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [*COMMAND, "evaluate", "leg-pain@1.0.0", *args, "-q"],
        cwd=cwd,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
        **kwargs,
    )


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(CASES)
    return path


def partials(tmp_path: Path) -> list[Path]:
    return list(tmp_path.rglob(".rules-*"))


def results(path: Path) -> list[str]:
    return [json.loads(line)["input"]["id"] for line in path.read_bytes().splitlines()]


@as_root
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_link_or_file_another_user_planted_in_a_sticky_folder_is_refused(
    tmp_path: Path, cases: Path, jobs: str
) -> None:
    public = tmp_path / "public"  # like /tmp
    public.mkdir()
    public.chmod(0o1777)
    secret = tmp_path / "secret"
    secret.write_text("root only\n")
    secret.chmod(0o600)
    (tmp_path / "private").mkdir()
    planted = {"out.jsonl": "../secret", "folder": "../private"}
    for name, target in planted.items():
        (public / name).symlink_to(target)
        os.lchown(public / name, OTHER_UID, -1)
    # A file planted there would keep its owner: that user could change the output.
    (public / "theirs.jsonl").write_text("theirs\n")
    os.chown(public / "theirs.jsonl", OTHER_UID, -1)
    refusals = {
        "public/out.jsonl": "follow a symbolic link",
        "public/folder/out.jsonl": "follow a symbolic link",
        "public/theirs.jsonl": "write over a file",
    }
    for out, what in refusals.items():
        done = rules(tmp_path, str(cases), "-o", out, "--jobs", jobs)
        assert done.returncode == 2, done.stderr
        refusal = f"cannot write --output {out}: refusing to {what} owned by uid {OTHER_UID}"
        assert refusal in done.stderr.decode()
    assert secret.read_text() == "root only\n" and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (public / "theirs.jsonl").read_text() == "theirs\n"
    assert list((tmp_path / "private").iterdir()) == [] and partials(tmp_path) == []
    # The kernel's rule follows a link of the user running it, or of the folder's owner.
    os.lchown(public / "out.jsonl", os.geteuid(), -1)
    os.chown(public, OTHER_UID, -1)
    for out in ("public/out.jsonl", "public/folder/out.jsonl"):
        assert rules(tmp_path, str(cases), "-o", out, "--jobs", jobs).returncode == 0
    assert results(secret) == results(tmp_path / "private" / "out.jsonl") == ["a", "b"]
    assert (public / "out.jsonl").is_symlink() and partials(tmp_path) == []


def test_the_sticky_folder_rule() -> None:
    from rulewright.core.cli import follow

    def stat_of(mode: int, uid: int) -> os.stat_result:
        return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))

    me, other, owner = os.geteuid(), OTHER_UID, OTHER_UID + 1
    sticky_open, folder = stat.S_IFDIR | 0o1777, stat.S_IFDIR
    for kind in (stat.S_IFLNK, stat.S_IFREG):
        assert not follow.trusted(stat_of(sticky_open, owner), stat_of(kind, other))
        assert follow.trusted(stat_of(sticky_open, owner), stat_of(kind, me))
        assert follow.trusted(stat_of(sticky_open, owner), stat_of(kind, owner))
        for mode in (0o777, 0o1775, 0o755):  # not sticky, or not writable by all: anyone's
            assert follow.trusted(stat_of(folder | mode, owner), stat_of(kind, other))


@as_root
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_replaced_file_keeps_its_owner_group_and_mode(tmp_path: Path, cases: Path, jobs: str) -> None:
    out = tmp_path / "shared.jsonl"
    out.write_text("yesterday\n")
    os.chown(out, OTHER_UID, OTHER_GID)
    out.chmod(0o2640)  # set-group-id too: changing the owner clears it, so it is set again after
    link = tmp_path / "latest.jsonl"
    link.symlink_to(out.name)
    for name in (out.name, link.name):
        done = rules(tmp_path, str(cases), "-o", name, "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        info = out.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (OTHER_UID, OTHER_GID, 0o2640)
        assert results(out) == ["a", "b"]
        out.write_text("yesterday\n")
    assert link.is_symlink() and partials(tmp_path) == []


@as_root
def test_an_owner_that_cannot_be_kept_leaves_the_file_as_it_was(
    invoke: Any, tmp_path: Path, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "theirs.jsonl"
    out.write_text("yesterday\n")
    os.chown(out, OTHER_UID, OTHER_GID)

    def refused(fd: int, uid: int, gid: int) -> None:  # what a user who is not root meets
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refused)
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-o", str(out))
    assert result.exit_code == 2
    assert "cannot give the new file the owner and group of the one it replaces" in result.stderr
    assert out.read_text() == "yesterday\n" and out.stat().st_uid == OTHER_UID
    assert partials(tmp_path) == []


def test_the_output_is_never_the_input(tmp_path: Path, cases: Path) -> None:
    (tmp_path / "link.jsonl").symlink_to(cases.name)
    os.link(cases, tmp_path / "hard.jsonl")
    for out in ("cases.jsonl", "./cases.jsonl", "link.jsonl", "hard.jsonl", str(cases)):
        done = rules(tmp_path, "cases.jsonl", "-o", out)
        assert done.returncode == 2
        assert done.stderr.decode().startswith(
            f"rules: error: --output {out} is the input (cases.jsonl); refusing to write over"
        )
    with cases.open("rb") as stdin:
        done = rules(tmp_path, "-", "-o", "hard.jsonl", stdin=stdin)
    assert done.returncode == 2 and b"is the input (standard input)" in done.stderr
    with cases.open("ab") as stdout:  # `rules evaluate cases.jsonl >> cases.jsonl`, as cat refuses
        done = rules(tmp_path, "cases.jsonl", stdout=stdout)
    assert done.returncode == 2 and b"standard output is the input (cases.jsonl)" in done.stderr
    assert cases.read_bytes() == CASES and partials(tmp_path) == []
    (tmp_path / "copy.jsonl").write_bytes(CASES)  # the same content in another file is fine
    assert rules(tmp_path, "cases.jsonl", "-o", "copy.jsonl").returncode == 0


def test_standard_output_named_as_output_is_written_to(tmp_path: Path, cases: Path) -> None:
    # /dev/stdout -> /proc/self/fd/1 -> "pipe:[N]": a link only the kernel can follow.
    done = rules(tmp_path, str(cases), "-o", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["input"]["id"] for line in done.stdout.splitlines()] == ["a", "b"]
    assert rules(tmp_path, str(cases), "-o", "/dev/null").returncode == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
