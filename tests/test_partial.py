"""Files written through a partial file keep the permissions a user expects.

`rules evaluate -o` and `rules fmt` write beside their target and rename over it. The new file
must have the mode of the file it replaces, or, when there was none, what the umask gives any
new file: not the owner-only 0600 of a temporary file. A symbolic link stays a link, a pipe or
a device is written to as it is, and a place that cannot be written is a clear error.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rulewright.core.cli import sink
from rulewright.core.cli.partial import open_partial
from tests.conftest import MINIMAL

Invoke = Callable[..., Any]
CASES = b'{"pain_quality": "burning", "bladder_bowel_control": false}\n{"pain_pattern": "follows_path"}\n'


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    before = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_what_the_umask_gives(tmp_path: Path, umask: Callable[[int], None]) -> None:
    umask(0o027)
    fd, name = open_partial(tmp_path / "out.jsonl", ".x-")
    os.close(fd)
    partial = Path(name)
    assert partial.parent == tmp_path and partial.name.startswith(".x-") and partial.suffix == ".partial"
    assert mode(partial) == 0o640


def test_a_replacement_gets_the_mode_of_the_file_it_replaces(
    tmp_path: Path, umask: Callable[[int], None]
) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old")
    target.chmod(0o604)
    names = set()
    for _ in range(3):
        fd, name = open_partial(target, ".x-")
        os.close(fd)
        assert mode(Path(name)) == 0o604
        names.add(name)
    assert len(names) == 3  # each call makes a new file


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_evaluate_output_keeps_the_mode_it_replaces(
    invoke: Invoke, tmp_path: Path, umask: Callable[[int], None], jobs: str
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(CASES)
    new, old = tmp_path / "new.jsonl", tmp_path / "old.jsonl"
    old.write_text("previous run\n")
    old.chmod(0o640)
    for out in (new, old):
        result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--jobs", jobs, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_bytes().count(b"\n") == 2
    assert mode(new) == 0o644
    assert mode(old) == 0o640
    assert not list(tmp_path.glob(".rules-*"))


def test_fmt_keeps_the_mode_of_the_file_it_rewrites(
    invoke: Invoke, tmp_path: Path, umask: Callable[[int], None]
) -> None:
    path = tmp_path / "ruleset.yaml"
    path.write_text(MINIMAL.replace("title: ", "title:    "), encoding="utf-8")
    path.chmod(0o664)
    before = path.read_text(encoding="utf-8")
    result = invoke("fmt", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") != before  # rewritten, not left alone
    assert mode(path) == 0o664
    assert not list(tmp_path.glob(".rules-fmt-*"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_evaluate_writes_straight_to_a_pipe_named_as_output(
    invoke: Invoke, tmp_path: Path, jobs: str
) -> None:
    # A device or a FIFO (`-o /dev/stdout`) has nothing to replace: a file renamed over it would
    # take its place (as root, even over /dev/null).
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(CASES)
    fifo = tmp_path / "results"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--jobs", jobs, "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the pipe
    assert [json.loads(line)["input"]["line"] for line in received[0].splitlines()] == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl", "results"]


def test_evaluate_output_through_a_symbolic_link_replaces_its_target(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(CASES)
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "latest.jsonl"
    target.write_text("previous run\n")
    target.chmod(0o640)
    link = tmp_path / "results.jsonl"
    link.symlink_to(target)
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target.resolve()  # the link stays a link
    assert target.read_bytes().count(b"\n") == 2 and mode(target) == 0o640
    assert not list(tmp_path.rglob(".rules-*"))


def test_evaluate_output_that_cannot_be_written_is_a_clear_error(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(CASES)
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-o", str(tmp_path / "missing" / "out.jsonl"))
    assert result.exit_code == 2
    assert (
        f"cannot write --output {tmp_path / 'missing' / 'out.jsonl'}: No such file or directory"
        in result.stderr
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_file(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(CASES)

    class Full(io.FileIO):
        def write(self, data: Any, /) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    fake = types.SimpleNamespace(
        FileIO=Full, BufferedWriter=io.BufferedWriter, TextIOWrapper=io.TextIOWrapper
    )
    monkeypatch.setattr(sink, "io", fake)

    def full(*args: Any) -> int:  # how the --jobs workers write
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwritev", full)
    out = tmp_path / "out.jsonl"
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--jobs", jobs, "-o", str(out))
    assert result.exit_code == 2
    assert "rules: error: No space left on device; stopping, the output is incomplete" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl"]  # no output, no partial file
    if os.path.exists("/dev/full"):  # the same through a device that is always full
        result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "-q", "--jobs", jobs, "-o", "/dev/full")
        assert result.exit_code == 2 and "No space left on device" in result.stderr


def test_fmt_through_a_symbolic_link_rewrites_its_target(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    target = tmp_path / "rules" / "ruleset.yaml"
    target.write_text(MINIMAL.replace("title: ", "title:    "), encoding="utf-8")
    link = tmp_path / "current.yaml"
    link.symlink_to(target)
    before = target.read_text(encoding="utf-8")
    result = invoke("fmt", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text(encoding="utf-8") != before
