"""What a plugin with no-op per-case hooks costs `rules evaluate`: `python -m benchmarks.plugins`.

Two candidates run the same `rules evaluate` over the same seeded leg-pain 1.0.0 workload as
`benchmarks.run` (JSON Lines file in, file out, process start included), through the same
launcher: `plain` with the installed plugins only, `noop` with one more plugin, registered in
code, whose `rulewright_prepare_facts`, `rulewright_escalate` and
`rulewright_evaluation_finished` do nothing. Runs alternate (plain, noop, plain, noop...), so a
slow spell of the shared machine falls on both; the figure is the median of the per-pair ratios
noop / plain, of CPU time (user + system, which other processes' load stretches far less than
wall time) and of wall time (issue 19's target: at most 1.25x). Timings never decide a test.

    python -m benchmarks.plugins                      # 200,000 records, 9 pairs
    python -m benchmarks.plugins --records 50000 --pairs 5
    python -m benchmarks.plugins launch noop evaluate leg-pain@1.0.0 IN -o OUT   # one candidate
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import data
from rulewright.core import hookimpl


class NoOp:
    """Per-case hooks that do nothing: what any observer or audit plugin costs at the least."""

    @hookimpl
    def rulewright_prepare_facts(self, ruleset: Any, record: Any) -> None:
        return None

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> None:
        return None

    @hookimpl
    def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
        return None


def launch(candidate: str, argv: list[str]) -> int:
    """Run the `rules` CLI in this process, with the no-op plugin when `candidate` is `noop`."""
    from rulewright.core import make_plugin_host
    from rulewright.core.cli import cli
    from rulewright.core.cli.app import App

    extra = [("noop", NoOp())] if candidate == "noop" else []
    host = make_plugin_host(extra=extra)
    try:
        cli.main(argv, prog_name="rules", obj=App(_host=host))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def timed(candidate: str, source: Path, target: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, from the child's rusage) of one run, in seconds.
    CPU time is what to read on a shared machine: other processes' load stretches wall time."""
    target.unlink(missing_ok=True)  # outside the timing (see benchmarks/README.md)
    argv = [sys.executable, "-m", "benchmarks.plugins", "launch", candidate]
    argv += ["evaluate", "leg-pain@1.0.0", str(source), "-o", str(target), "-q"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: malformed lines became error records
        raise SystemExit(f"{candidate} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["launch"]:
        return launch(args[1], args[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=9)
    options = parser.parse_args(args)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "cases.jsonl"
        data.write(str(source), options.records)
        outputs = {name: Path(folder) / f"{name}.jsonl" for name in ("plain", "noop")}
        timed("plain", source, outputs["plain"])  # warm the page cache and the bytecode
        plain, noop = [], []
        for _ in range(options.pairs):
            plain.append(timed("plain", source, outputs["plain"]))
            noop.append(timed("noop", source, outputs["noop"]))
        # The same records, but for the no-op plugin named among the components of each.
        noop_out = outputs["noop"].read_bytes().replace(b',"escalate:noop"', b"")
        same = outputs["plain"].read_bytes() == noop_out
    print(f"records: {options.records}; pairs: {options.pairs}; same output: {'yes' if same else 'NO'}")
    for what, at in (("CPU", 1), ("wall", 0)):
        ratios = [n[at] / p[at] for p, n in zip(plain, noop, strict=True)]
        print(
            f"{what}: plain median {statistics.median(p[at] for p in plain):.3f} s, "
            f"no-op plugin median {statistics.median(n[at] for n in noop):.3f} s; "
            f"no-op / plain median {statistics.median(ratios):.2f}x (pairs {min(ratios):.2f}x-{max(ratios):.2f}x)"
        )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
