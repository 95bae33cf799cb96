"""Interrupting a batch (SIGINT, SIGTERM, a closed stdout) never leaves a partial `--output`.

The console script runs in a real subprocess reading stdin from a pipe the test keeps open, so
the batch is genuinely mid-way when the signal arrives. The test waits for the temporary file
`--output` writes into (it exists only while a run is in progress), never for a time. With
`--jobs`, that is about when the workers are forked: a SIGTERM that reached a worker before it
dropped the CLI's handler was swallowed by Python's after-fork hooks, and the run waited for
that worker forever (about one run in three).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

CASE = json.dumps({"pain_quality": "sharp", "bladder_bowel_control": True}).encode() + b"\n"
COMMAND = [sys.executable, "-c", "from rulewright.core.cli import main; main()"]


def start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*COMMAND, "evaluate", "leg-pain@1.0.0", "-", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )


def wait_for_partial(tmp_path: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until the run has opened its temporary output (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".rules-*.partial")):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run never opened its output"
        time.sleep(0.05)


# One process; --jobs workers that write the output (CSV); a process pool whose results the
# main process writes (a JSON array).
RUNS = {
    "one": (),
    "jobs-csv": ("--jobs", "2", "--format", "csv"),
    "jobs-json": ("--jobs", "2", "--format", "json"),
}


@pytest.mark.parametrize("run", sorted(RUNS))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_batch_leaves_no_output_file(sig: signal.Signals, run: str, tmp_path: Path) -> None:
    with start(tmp_path, "--output", "out.jsonl", *RUNS[run]) as proc:
        assert proc.stdin is not None
        proc.stdin.write(CASE * 3000)
        proc.stdin.flush()
        wait_for_partial(tmp_path, proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig  # 130 or 143, even while the workers are being forked
    assert b"Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()
    assert not list(tmp_path.glob(".rules-*"))  # the partial file is removed too


def test_a_batch_that_ends_writes_a_complete_output_file(tmp_path: Path) -> None:
    with start(tmp_path, "--output", "out.jsonl") as proc:
        _, err = proc.communicate(CASE * 100, timeout=120)
    assert proc.returncode == 0, err
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 100
    assert all(json.loads(line)["urgency"] == "emergency" for line in lines)
    assert not list(tmp_path.glob(".rules-*"))


def test_a_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    with start(tmp_path) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(CASE * 5)
        proc.stdin.flush()
        first = proc.stdout.readline()  # stdin results are flushed per record
        assert json.loads(first)["urgency"] == "emergency"
        proc.stdout.close()  # the reader goes away, like `| head -1`
        try:
            proc.stdin.write(CASE * 2000)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # it already stopped reading
        proc.wait(timeout=120)
        err = proc.stderr.read()
    assert b"Traceback" not in err
    assert proc.returncode == 141  # 128 + SIGPIPE, as a shell reports it
