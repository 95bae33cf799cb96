"""Exit codes a pipeline can act on (docs/cli.md, "Exit codes").

0, 1 and 3 mean the run completed and its output is whole; anything else means it did not. A
signal or a closed stdout ends a run with 128 + the signal's number, as a shell reports it; the
codes are written out as numbers, the contract, not read from
`exitcodes.py`. The console script runs in a real subprocess for those, signalled once it has written a first
result (a line on its stdout, waited for with a generous bound, never for a time).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from tests.conftest import MINIMAL

Invoke = Callable[..., Any]

COMMAND = [sys.executable, "-c", "from rulewright.core.cli import main; main()"]
CASE = json.dumps({"pain_quality": "sharp", "bladder_bowel_control": True}).encode() + b"\n"
BOUND = 120  # seconds: only a guard against a hang, never what a test measures


def start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*COMMAND, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        start_new_session=True,  # its own process group: a signal to it reaches its workers too
    )


def feed(stream: IO[bytes], data: bytes) -> threading.Thread:
    """Write `data` from a thread, leaving the pipe open: the run waits for more, mid-batch."""

    def write() -> None:
        try:
            stream.write(data)
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # the run already ended

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def first_line(proc: subprocess.Popen[bytes]) -> bytes:
    """The first line the run writes on stdout, or a failure after BOUND seconds."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=BOUND):
            pytest.fail("the run wrote no result")
    return proc.stdout.readline()


def drain(stream: IO[bytes]) -> tuple[threading.Thread, list[bytes]]:
    """Read `stream` to its end in a thread: it ends only once every process holding the other
    end (the run and any worker it started) has exited."""
    out: list[bytes] = []
    thread = threading.Thread(target=lambda: out.append(stream.read()), daemon=True)
    thread.start()
    return thread, out


# Every command gets the same handlers; a run with worker processes must end with them too.
RUNS = {
    "evaluate": (["evaluate", "leg-pain@1.0.0", "-"], CASE * 3),
    # Far more than one chunk, so the workers have written results when the signal comes.
    "evaluate-jobs": (["evaluate", "leg-pain@1.0.0", "-", "--jobs", "2"], CASE * 100_000),
    "replay": (["replay", "-", "--format", "jsonl"], b"not a result record\n"),
}


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("to", ["process", "group"])
@pytest.mark.parametrize("run", sorted(RUNS))
@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_ends_a_run_with_128_plus_its_number(
    tmp_path: Path, sig: signal.Signals, code: int, run: str, to: str
) -> None:
    args, data = RUNS[run]
    with start(tmp_path, *args) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        writer = feed(proc.stdin, data)
        assert first_line(proc)
        errors, err = drain(proc.stderr)
        rest, _ = drain(proc.stdout)
        if to == "group":  # Ctrl-C at a terminal, or a service manager stopping the job
            os.killpg(proc.pid, sig)
        else:  # `kill PID`
            proc.send_signal(sig)
        assert proc.wait(timeout=BOUND) == code
        rest.join(timeout=BOUND)
        assert not rest.is_alive(), "a worker outlived the run"
        writer.join(timeout=BOUND)
        errors.join(timeout=BOUND)
    assert err[0].decode().strip().splitlines() == [f"rules: stopped by {sig.name}; the output is incomplete"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_stdout_ends_quietly_with_141(tmp_path: Path, jobs: str) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(CASE * 50_000)  # far more than a pipe holds
    with start(tmp_path, "evaluate", "leg-pain@1.0.0", str(cases), "--jobs", jobs) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        errors, err = drain(proc.stderr)
        assert json.loads(first_line(proc))["urgency"] == "emergency"
        proc.stdout.close()  # the reader goes away, as `| head -1` does
        assert proc.wait(timeout=BOUND) == 141
        errors.join(timeout=BOUND)
    assert err == [b""]  # quiet: no traceback, no summary of a run that did not finish


def test_a_ruleset_that_cannot_be_found_or_loaded_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(MINIMAL.replace("when: {fact: n, ge: 5}", "when: {fact: nn, ge: 5}"))
    for ref in ("leg-pain@9.9.9", "no-such-ruleset", str(tmp_path / "missing.yaml"), str(broken)):
        result = invoke("evaluate", ref, "-a", "bladder_bowel_control=yes")
        assert result.exit_code == 2, (ref, result.output)
        assert result.stdout == ""
    assert "has no version 9.9.9" in invoke("evaluate", "leg-pain@9.9.9", "-a", "x=1").stderr
    assert invoke("diff", "leg-pain@9.9.9", "leg-pain@1.0.0").exit_code == 2
    assert invoke("docs", "leg-pain@9.9.9").exit_code == 2
    # Checking a ruleset is what `rules validate` is for: an invalid one is its finding.
    assert invoke("validate", str(broken)).exit_code == 1


CASES = "\n".join(
    [
        '{"id": "flag", "bladder_bowel_control": true}',  # emergency
        '{"id": "bad", "pain_quality": "purple"}',  # an error record (urgency review)
        '{"id": "calm", "pain_quality": "burning", "pain_pattern": "follows_path",'
        ' "numbness_tingling_weakness": false, "bladder_bowel_control": false}',  # routine
    ]
)


def test_error_records_exit_1_and_the_output_is_complete(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(CASES)
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases))
    assert result.exit_code == 1
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()][1] == "error"
    assert len(result.stdout.splitlines()) == 3


def test_fail_on_wins_over_error_records_and_the_summary_says_both(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(CASES)
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--fail-on", "emergency")
    assert result.exit_code == 3
    assert len(result.stdout.splitlines()) == 3  # every record still written
    summary = result.stderr.strip()
    assert "error 1" in summary and "first error at line 2" in summary
    assert summary.endswith("; --fail-on emergency reached by 1 record")
    # An error record counts with the urgency it carries: review here.
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--fail-on", "review")
    assert result.exit_code == 3
    assert result.stderr.strip().endswith("; --fail-on review reached by 2 records")
    # Not reached: the error record alone decides, and the summary says nothing of --fail-on.
    cases.write_text(CASES.split("\n", 1)[1])
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--fail-on", "urgent")
    assert result.exit_code == 1
    assert "--fail-on" not in result.stderr


def test_a_stop_under_on_error_fail_is_not_a_complete_run(invoke: Invoke, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(CASES)
    out = tmp_path / "out.jsonl"
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases), "--on-error", "fail", "-o", str(out))
    assert result.exit_code == 2  # not 1, which promises a complete output
    assert "line 2:" in result.stderr and "(--on-error fail); stopping" in result.stderr
    assert not out.exists()


def test_a_crash_in_a_built_in_command_is_an_internal_error_exit_2(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rulewright.core.model import loader

    def crash() -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(loader, "bundled_rulesets", crash)
    monkeypatch.delenv("RULEWRIGHT_DEBUG", raising=False)
    result = invoke("list")
    assert result.exit_code == 2  # not 1, which says "a complete run with findings"
    assert result.stderr.splitlines() == [
        "rules: internal error: RuntimeError: disk on fire (RULEWRIGHT_DEBUG=1 shows the traceback)"
    ]
    monkeypatch.setenv("RULEWRIGHT_DEBUG", "1")
    result = invoke("list")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("RuntimeError: disk on fire")
