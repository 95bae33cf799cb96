"""What a plugin with no-op per-case hooks costs `rules evaluate`: `python -m benchmarks.plugins`.

Two candidates run the same `rules evaluate` over the same seeded leg-pain 1.0.0 workload as
`benchmarks.run` (JSON Lines file in, file out, process start included), through the same
launcher: `plain` with the installed plugins only, `noop` with one more plugin, registered in
code, whose `rulewright_prepare_facts`, `rulewright_escalate` and
`rulewright_evaluation_finished` do nothing. Runs alternate (plain, noop, plain, noop...), so a
slow spell of the shared machine falls on both; the figure is the median of the per-pair ratios
noop / plain (issue 19's target: at most 1.25x). Timings never decide a test.

    python -m benchmarks.plugins                      # 200,000 records, 9 pairs
    python -m benchmarks.plugins --records 50000 --pairs 5
    python -m benchmarks.plugins launch noop evaluate leg-pain@1.0.0 IN -o OUT   # one candidate
"""

from __future__ import annotations

import argparse
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


def timed(candidate: str, source: Path, target: Path) -> float:
    target.unlink(missing_ok=True)  # outside the timing (see benchmarks/README.md)
    argv = [sys.executable, "-m", "benchmarks.plugins", "launch", candidate]
    argv += ["evaluate", "leg-pain@1.0.0", str(source), "-o", str(target), "-q"]
    start = time.perf_counter()
    code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    elapsed = time.perf_counter() - start
    if code not in (0, 1):  # 1: the workload has malformed lines, written as error records
        raise SystemExit(f"{candidate} exited {code}")
    return elapsed


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
        ratios, plain, noop = [], [], []
        for _ in range(options.pairs):
            plain.append(timed("plain", source, outputs["plain"]))
            noop.append(timed("noop", source, outputs["noop"]))
            ratios.append(noop[-1] / plain[-1])
        # The same records, but for the no-op plugin named among the components of each.
        noop_out = outputs["noop"].read_bytes().replace(b',"escalate:noop"', b"")
        same = outputs["plain"].read_bytes() == noop_out
    print(f"records: {options.records}; pairs: {options.pairs}; same output: {'yes' if same else 'NO'}")
    print(f"plain rules evaluate: median {statistics.median(plain):.3f} s")
    print(f"with a no-op plugin:  median {statistics.median(noop):.3f} s")
    print(
        f"no-op plugin / plain: median {statistics.median(ratios):.2f}x "
        f"(pairs {min(ratios):.2f}x-{max(ratios):.2f}x)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
