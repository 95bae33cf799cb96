"""One command for every figure in docs/performance.md: `python -m benchmarks.run`.

Every candidate runs in the same session, on the same seeded input, as a separate process
(so each pays its own start-up and its peak RSS is its own); each figure is the best of
`--repeat` rounds, a round running every candidate once, which filters out other load on the
machine and spreads what remains over all of them. Ratios are what to read: they compare runs
made in the same minutes on the same machine. Before timing anything, the outputs are
checked to agree: the hand-written floor must write the very records `rules evaluate` writes,
and zen-engine must reach the same outcome, status, urgency and red flags.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from benchmarks import data, floor

PY = sys.executable
RULES = str(Path(PY).parent / "rules")
RULESET = "leg-pain@1.0.0"


def have_zen() -> bool:
    try:
        import zen  # noqa: F401
    except ImportError:
        return False
    return True


def timed(argv: Sequence[str], repeat: int, output: Path | None = None) -> tuple[float, int]:
    """Best wall time (s) and peak RSS (KiB) of a command, over `repeat` runs.

    Peak RSS comes from GNU time where it is installed: a child forked from this (large) process
    would otherwise report this process's memory as its own. `output`, the file the command
    writes, is removed before each run, outside the timing: replacing the previous run's file
    would time this machine's disk, not the command (ext4 mounted with `discard` frees the old
    file's blocks inside the rename or truncation, waiting for the virtual disk: 25 ms for the
    120 MB `rules evaluate` writes, in every candidate alike).
    """
    best, peak = float("inf"), 0
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapped = [str(gnu_time), "-f", "%M", "-o", rss.name, *argv] if gnu_time.exists() else list(argv)
        for _ in range(repeat):
            if output is not None:
                output.unlink(missing_ok=True)
            start = time.perf_counter()
            proc = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode not in (0, 1):  # 1: error records were written, as the data asks
                raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
            maxrss = int(Path(rss.name).read_text().split()[-1]) if gnu_time.exists() else usage.ru_maxrss
            best, peak = min(best, elapsed), max(peak, maxrss)
    return best, peak


def rounds(
    commands: dict[str, list[str]], repeat: int, outputs: dict[str, Path] | None = None
) -> dict[str, tuple[float, int]]:
    """Best wall time and peak RSS of each command over `repeat` rounds, each round running
    every command once: a slow spell of the (shared, virtual) machine then falls on all the
    commands rather than on the runs of one, which skewed the ratios between them. `outputs`
    names the file each command writes (see `timed`)."""
    results = {name: (float("inf"), 0) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            seconds, peak = timed(argv, 1, (outputs or {}).get(name))
            results[name] = (min(results[name][0], seconds), max(results[name][1], peak))
    return results


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def record_context() -> tuple[str, str]:
    """The ruleset and engine parts of a result record, for the floor to write verbatim."""
    from rulewright.core import Engine, load_ruleset

    engine = Engine(load_ruleset(RULESET))
    record = next(engine.evaluate_batch([{}])).to_record()
    return orjson.dumps(record["ruleset"]).decode(), orjson.dumps(record["engine"]).decode()


def check_agreement(source: Path, ours: Path, floor_out: Path, zen_out: Path | None) -> int:
    """Disagreements between the engine's records and the baselines' (0 expected)."""
    bad = 0
    theirs_zen = zen_out.open("rb") if zen_out else None
    with ours.open("rb") as a, floor_out.open("rb") as b:
        for mine, hand in zip(a, b, strict=True):
            rec, ref = orjson.loads(mine), orjson.loads(hand)
            z = orjson.loads(next(theirs_zen)) if theirs_zen else None
            if rec["status"] == "error":  # error messages are worded differently; the rest must match
                same = (rec["input"], rec["urgency"], rec["not_screened"]) == (
                    ref["input"],
                    ref["urgency"],
                    ref["not_screened"],
                )
                bad += not same or ref["status"] != "error"
                continue
            bad += rec != ref
            if z is not None:
                from benchmarks import zen  # only with the `bench` extra installed

                bad += not zen.agrees(rec, z)
    if theirs_zen:
        theirs_zen.close()
    return bad


def compile_bytecode() -> None:
    """Write rulewright's bytecode before timing anything, as `pip install` does for a wheel.

    An editable install leaves it to the first import, and with PYTHONDONTWRITEBYTECODE set
    (as in some CI and container images) every start would compile the sources again.
    """
    import compileall

    import rulewright.core
    import rulewright.plugins

    for package in (rulewright.core, rulewright.plugins):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=int, default=1_000_000, help="records for the RSS check (0: skip)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    n = args.records
    zen_ok = have_zen()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="rulewright-bench-") as tmp:
        work = Path(tmp)
        cases = work / "cases.jsonl"
        data.write(str(cases), n)
        ruleset_json, engine_json = record_context()
        names = ("rules", "jobs", "lane-off", "cache-off", "floor", "zen", "json")
        out = {name: work / f"{name}.jsonl" for name in names}
        evaluate = [RULES, "evaluate", RULESET, str(cases), "-q", "-o"]
        commands: dict[str, list[str]] = {
            "json": [PY, "-m", "benchmarks.baselines", str(cases), str(out["json"])],
            "floor": [PY, "-m", "benchmarks.floor", str(cases), str(out["floor"]), ruleset_json, engine_json],
            "rules": [*evaluate, str(out["rules"])],
            # Without the fast lane, and without decisions reused at all (every record decided
            # in full, as if no two records had the same answers): what the cache is worth.
            "lane-off": ["env", "RULEWRIGHT_FAST_LANE=0", *evaluate, str(out["lane-off"])],
            "cache-off": ["env", "RULEWRIGHT_DECISION_CACHE=0", *evaluate, str(out["cache-off"])],
            "jobs": [
                RULES,
                "evaluate",
                RULESET,
                str(cases),
                "-q",
                "--jobs",
                str(args.jobs),
                "-o",
                str(out["jobs"]),
            ],
        }
        if zen_ok:
            commands["zen"] = [PY, "-m", "benchmarks.zen", "batch", str(cases), str(out["zen"])]
        for argv_ in commands.values():  # one untimed run each: outputs to check, caches warm
            subprocess.run(argv_, check=False, capture_output=True)
        bad = check_agreement(cases, out["rules"], out["floor"], out["zen"] if zen_ok else None)
        ours = out["rules"].read_bytes()
        same_output = all(out[name].read_bytes() == ours for name in ("jobs", "lane-off", "cache-off"))
        e2e = rounds(commands, args.repeat, out)

        records = list(data.records(n))
        mem = in_memory(records, args.repeat, zen_ok, ruleset_json, engine_json)
        rss = scale_rss(work, args.scale, args.jobs) if args.scale else None
        cold = cold_start(args.repeat + 2)

    print(f"# rulewright benchmarks: {n:,} leg-pain 1.0.0 records, best of {args.repeat} rounds\n")
    print(
        f"agreement: {bad} disagreements with the floor{' and zen-engine' if zen_ok else ''}; "
        f"--jobs {args.jobs}, fast lane off and decision cache off write what rules evaluate writes: "
        f"{same_output}\n"
    )
    print("| end to end (file -> JSONL) | records/s | peak RSS |\n|---|---:|---:|")
    labels = {
        "json": "JSON parse + dump only (orjson)",
        "floor": "hand-written Python floor",
        "rules": "rules evaluate",
        "jobs": f"rules evaluate --jobs {args.jobs}",
        "lane-off": "rules evaluate, fast lane off",
        "cache-off": "rules evaluate, decision cache off",
        "zen": "zen-engine (evaluate_batch)",
    }
    for name, (seconds, peak) in e2e.items():
        print(f"| {labels[name]} | {rate(n, seconds)} | {peak / 1024:.0f} MiB |")
    print("\n| in memory | records/s |\n|---|---:|")
    for name, seconds in mem.items():
        print(f"| {name} | {rate(n, seconds)} |")
    ours = e2e["rules"][0]
    print("\n| ratio | value | target |\n|---|---:|---:|")
    print(f"| rules / floor, end to end | {e2e['floor'][0] / ours:.2f}x | >= 0.6x |")
    if zen_ok:
        print(f"| rules / zen-engine, end to end | {e2e['zen'][0] / ours:.2f}x | >= 1.5x |")
        in_memory_ratio = mem["zen-engine evaluate_batch"] / mem["Engine.evaluate_batch"]
        print(f"| evaluate_batch / zen-engine, in memory | {in_memory_ratio:.2f}x | >= 3x |")
    print(f"| --jobs {args.jobs} / --jobs 1 | {ours / e2e['jobs'][0]:.2f}x | >= 1.6x |")
    if rss:
        print(
            f"\npeak RSS of rules evaluate: {rss[0]:,} records {rss[1] / 1024:.0f} MiB; "
            f"{rss[2]:,} records {rss[3] / 1024:.0f} MiB\n"
            f"--jobs {args.jobs} / --jobs 1 at {rss[2]:,} records, output to /dev/null (best of two rounds): "
            f"{rss[4]:.2f}x"
        )
    print(
        f"\ncold start (best wall, target): evaluate one case {cold['evaluate'] * 1000:.0f} ms (< 150 ms); "
        f"validate {RULESET} {cold['validate'] * 1000:.0f} ms (< 300 ms); "
        f"python -c pass {cold['python'] * 1000:.0f} ms"
    )
    return 1 if bad or not same_output else 0


def in_memory(
    records: list[dict[str, Any]], repeat: int, zen_ok: bool, ruleset_json: str, engine_json: str
) -> dict[str, float]:
    from collections import deque

    from rulewright.core import Engine, load_ruleset

    engine = Engine(load_ruleset(RULESET))
    ref, eng = orjson.loads(ruleset_json), orjson.loads(engine_json)
    times = {
        "hand-written floor (decide only)": best_of(
            lambda: deque((floor.decide(r, i, ref, eng) for i, r in enumerate(records, 1)), maxlen=0), repeat
        ),
        "Engine.evaluate_batch": best_of(lambda: deque(engine.evaluate_batch(records), maxlen=0), repeat),
        "Engine.evaluate_batch + to_record": best_of(
            lambda: deque((r.to_record() for r in engine.evaluate_batch(records)), maxlen=0), repeat
        ),
    }
    os.environ["RULEWRIGHT_DECISION_CACHE"] = "0"
    uncached = Engine(load_ruleset(RULESET))
    del os.environ["RULEWRIGHT_DECISION_CACHE"]
    times["Engine.evaluate_batch, decision cache off"] = best_of(
        lambda: deque(uncached.evaluate_batch(records), maxlen=0), repeat
    )
    if zen_ok:
        from benchmarks import zen

        times["zen-engine evaluate_batch"] = best_of(lambda: zen.evaluate_all_batched(records), repeat)
        sample = records[: max(1, len(records) // 10)]
        one = best_of(lambda: zen.evaluate_all(sample), 1)
        times["zen-engine evaluate, one call per record"] = one * len(records) / len(sample)
    return times


def scale_rss(work: Path, big: int, jobs: int) -> tuple[int, int, int, int, float]:
    """Peak RSS at 10,000 and at `big` records, and the `--jobs` speed-up at `big` records.

    The speed-up is measured with the output going to /dev/null (`timed` discards stdout): at
    this size, writing 600 MB to a file twice in a row measured the virtual disk as much as
    the processes; start-up weighs less than at the main workload's size. Best of two rounds
    of one run each (a single run was off by a third once).
    """
    small = 10_000
    sizes, seconds = [], []
    for count in (small, big):
        path = work / f"scale-{count}.jsonl"
        data.write(str(path), count)
        argv = [RULES, "evaluate", RULESET, str(path), "-q"]
        if count == big:
            both = rounds({"one": argv, "jobs": [*argv, "--jobs", str(jobs)]}, 2)
            peak, seconds = both["one"][1], [both["one"][0], both["jobs"][0]]
        else:
            peak = timed(argv, 1)[1]
        sizes.append(peak)
        path.unlink()
    return small, sizes[0], big, sizes[1], seconds[0] / seconds[1]


def cold_start(repeat: int) -> dict[str, float]:
    case = [
        RULES,
        "evaluate",
        RULESET,
        "--answer",
        "pain_quality=burning",
        "--answer",
        "pain_pattern=follows_path",
    ]
    return {
        "python": timed([PY, "-c", "pass"], repeat)[0],
        "evaluate": timed(case, repeat)[0],
        "validate": timed([RULES, "validate", RULESET], repeat)[0],
    }


if __name__ == "__main__":
    sys.exit(main())
