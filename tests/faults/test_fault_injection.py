"""Fault injection: a plugin fails in every hook, and the run keeps every record and red flag.

Each fault in `plugins.FAULTS`-style matrices is injected through the real CLI (`rules
evaluate`, with the plugin host handed in on `ctx.obj`) over a batch that mixes a bladder/bowel
emergency, a case without it, a case where it is unanswered and an unreadable line. For every
fault: no traceback, one output per input in order, the faulty plugin named wherever it
changed a result, the emergency red flag from the ruleset present with urgency `emergency`, and
the unanswered flag still listed as not screened.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rulewright.core import LEVEL_RANK, hookimpl, make_plugin_host
from rulewright.core.cli import cli
from rulewright.core.cli.app import App
from rulewright.core.model.loader import resolve
from tests.faults import plugins as faulty
from tests.faults.plugins import ABSORBED, EVALUATION_FAULTS, Fault

EMERGENCY = {"id": "e", "pain_quality": "dull", "bladder_bowel_control": True}
NERVE = {"id": "n", "pain_quality": "sharp", "pain_pattern": "follows_path", "bladder_bowel_control": False}
UNSCREENED = {"id": "u", "pain_quality": "dull", "pain_pattern": "moves_around"}
EMERGENCY_WITH_JUNK = {"id": "j", "bladder_bowel_control": True, "pain_quality": "purple"}
LINES = [
    json.dumps(EMERGENCY),
    json.dumps(NERVE),
    "{not json",
    json.dumps(UNSCREENED),
    json.dumps(EMERGENCY_WITH_JUNK),
]


def ruleset_file(tmp_path: Path, edits: tuple[tuple[str, str], ...]) -> Path:
    _, raw = resolve("leg-pain@1.0.0")
    text = raw.decode("utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "leg-pain.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, plugin: object, *args: str, edits: tuple[tuple[str, str], ...] = ()) -> Result:
    host = make_plugin_host(entrypoints=False, extra=[("faulty", plugin)])
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    ruleset = ruleset_file(tmp_path, edits) if edits else "leg-pain@1.0.0"
    return CliRunner().invoke(cli, ["evaluate", str(ruleset), str(data), *args], obj=App(_host=host))


def records(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def flags(record: dict[str, Any], source: str = "ruleset") -> set[str]:
    return {f["id"] for f in record["red_flags"] if f["source"] == source}


@pytest.mark.parametrize("fault", EVALUATION_FAULTS, ids=lambda f: f.id)
def test_evaluation_fault_loses_nothing_and_hides_no_red_flag(fault: Fault, tmp_path: Path) -> None:
    result = run(tmp_path, fault.plugin(), "--format", "jsonl", edits=fault.edit)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    out = records(result)
    assert [r["input"]["line"] for r in out] == [1, 2, 3, 4, 5]  # one per input, in order
    emergency, nerve, unreadable, unscreened, junk = out
    for rec in (emergency, junk):
        assert "bladder_bowel" in flags(rec), (fault.id, rec)
        assert rec["urgency"] == "emergency", (fault.id, rec)
    assert "bladder_bowel" not in flags(nerve)
    assert unreadable["status"] == "error" and unreadable["error"]["code"] == "invalid_json"
    assert "bladder_bowel" in unscreened["not_screened"] or "bladder_bowel" in flags(unscreened)
    assert LEVEL_RANK[unscreened["urgency"]] >= LEVEL_RANK["review"]
    if fault.id not in ABSORBED:
        # The plugin changed results: every such result says which plugin, as an error.
        named = [r for r in out if r["status"] == "error" and "faulty" in r["error"]["message"]]
        assert named, (fault.id, out)


@pytest.mark.parametrize("fault", EVALUATION_FAULTS, ids=lambda f: f.id)
def test_fault_never_lowers_urgency_below_the_core(fault: Fault, tmp_path: Path) -> None:
    """Against a run without the plugin, each record's urgency is the same or higher."""
    clean = records(run(tmp_path, fault.clean(), "--format", "jsonl", edits=fault.edit))
    hurt = records(run(tmp_path, fault.plugin(), "--format", "jsonl", edits=fault.edit))
    for before, after in zip(clean, hurt, strict=True):
        assert LEVEL_RANK[after["urgency"]] >= LEVEL_RANK[before["urgency"]], (fault.id, before, after)
        assert flags(before) <= flags(after), (fault.id, before, after)


# -- formats and input adapters ----------------------------------------------------------------


def test_format_write_failing_once_becomes_an_error_record_in_place(tmp_path: Path) -> None:
    result = run(tmp_path, faulty.FormatPlugin("write"), "--format", "faulty")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("where", ["factory", "write-always", "close"])
def test_format_that_cannot_write_stops_loudly_and_leaves_no_output_file(where: str, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    result = run(tmp_path, faulty.FormatPlugin(where), "--format", "faulty", "--output", str(target))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "faulty" in result.stderr
    assert not target.exists()
    assert not list(tmp_path.glob(".rules-*"))  # no partial file left behind


@pytest.mark.parametrize("where", ["start", "middle"])
def test_input_adapter_that_raises_stops_loudly_and_leaves_no_output_file(where: str, tmp_path: Path) -> None:
    data = tmp_path / "cases.faulty"
    data.write_text("anything", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    host = make_plugin_host(entrypoints=False, extra=[("faulty", faulty.AdapterPlugin(where))])
    result = CliRunner().invoke(
        cli, ["evaluate", "leg-pain@1.0.0", str(data), "--output", str(target)], obj=App(_host=host)
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "faulty" in result.stderr
    assert not target.exists()
    assert not list(tmp_path.glob(".rules-*"))


def test_input_adapter_yielding_wrong_types_still_gives_one_result_each(tmp_path: Path) -> None:
    data = tmp_path / "cases.faulty"
    data.write_text("anything", encoding="utf-8")
    host = make_plugin_host(entrypoints=False, extra=[("faulty", faulty.AdapterPlugin("wrong-type"))])
    result = CliRunner().invoke(
        cli, ["evaluate", "leg-pain@1.0.0", str(data), "--format", "jsonl"], obj=App(_host=host)
    )
    out = records(result)
    assert len(out) == 3
    assert [r["urgency"] for r in out[:2]] == ["emergency", "emergency"]
    assert out[2]["status"] == "error"


# -- authoring hook ----------------------------------------------------------------------------


@pytest.mark.parametrize("plugin", [faulty.LintRaises, faulty.LintBadReport], ids=["raises", "bad-report"])
def test_lint_plugin_fault_is_named_and_validate_still_reports(plugin: Any) -> None:
    host = make_plugin_host(entrypoints=False, extra=[("faulty", plugin())])
    result = CliRunner().invoke(cli, ["validate", "leg-pain@1.0.0"], obj=App(_host=host))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1)
    assert "faulty" in result.stdout or "odd" in result.stdout


def test_fault_matrix_size() -> None:
    """The counts docs/security.md reports; update both together."""
    assert len(EVALUATION_FAULTS) == 18  # plus 4 format, 3 input, 2 lint and 2 command faults below


# -- commands a plugin adds --------------------------------------------------------------------


def test_plugin_command_that_raises_is_named_and_exits_2() -> None:
    host = make_plugin_host(entrypoints=False, extra=[("faulty", faulty.CommandPlugin())])
    result = CliRunner().invoke(cli, ["boom"], obj=App(_host=host))
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "command 'boom' from plugin 'faulty' failed: Boom" in result.stderr


def test_plugin_registering_a_non_command_does_not_break_the_cli() -> None:
    host = make_plugin_host(entrypoints=False, extra=[("faulty", faulty.CommandPlugin())])
    result = CliRunner().invoke(cli, ["--help"], obj=App(_host=host))
    assert result.exit_code == 0, result.output
    assert "boom" in result.stdout and "not_a_command" not in result.stdout
    assert CliRunner().invoke(cli, ["list"], obj=App(_host=host)).exit_code == 0


# -- faults inside --jobs workers --------------------------------------------------------------
# `--output` gives the run a real file descriptor, so the workers write it themselves
# (workers.py), under CliRunner too; the plugin host is inherited by the forked workers.


class _EscalateDiesOn:
    """Ends its worker process abruptly at one case, as a crash or the OOM killer would."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id

    @hookimpl
    def rulewright_escalate(self, engine: Any, ruleset: Any, facts: Any, result: Any) -> Any:
        if result.id == self.case_id:
            import os

            os._exit(3)
        return None


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 16 KiB, so the batches below give every worker many."""
    from rulewright.core.cli import workers

    monkeypatch.setattr(workers, "CHUNK_KIB", 16)
    monkeypatch.setattr(workers, "TAIL_KIB", 4)


def _batch(tmp_path: Path, count: int) -> Path:
    data = tmp_path / "cases.jsonl"
    lines = [
        json.dumps({**EMERGENCY, "id": f"c{n}"}) if n % 7 == 0 else json.dumps(NERVE) for n in range(count)
    ]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def _jobs(tmp_path: Path, plugin: object, data: Path, target: Path, *args: str) -> Result:
    host = make_plugin_host(entrypoints=False, extra=[("faulty", plugin)])
    return CliRunner().invoke(
        cli,
        ["evaluate", "leg-pain@1.0.0", str(data), "--jobs", "2", "--output", str(target), *args],
        obj=App(_host=host),
    )


@pytest.mark.slow
def test_a_plugin_failing_in_workers_gives_what_one_process_gives(tmp_path: Path) -> None:
    data = _batch(tmp_path, 6000)  # several chunks per worker
    host = make_plugin_host(entrypoints=False, extra=[("faulty", faulty.EscalateRaises())])
    outputs = []
    for jobs in ("1", "2"):
        target = tmp_path / f"out-{jobs}.jsonl"
        result = CliRunner().invoke(
            cli,
            ["evaluate", "leg-pain@1.0.0", str(data), "--jobs", jobs, "--output", str(target)],
            obj=App(_host=host),
        )
        assert result.exit_code == 1, result.output
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    out = [json.loads(line) for line in outputs[1].splitlines()]
    assert all(r["status"] == "error" for r in out)
    assert sum(r["urgency"] == "emergency" for r in out) == len(range(0, 6000, 7))  # no flag lost


@pytest.mark.slow
def test_a_worker_that_dies_stops_the_run_loudly_and_leaves_no_output(tmp_path: Path) -> None:
    data = _batch(tmp_path, 6000)
    target = tmp_path / "out.jsonl"
    result = _jobs(tmp_path, _EscalateDiesOn("c4200"), data, target)
    assert result.exit_code == 2, result.output
    assert "ended unexpectedly" in result.stderr
    assert "Traceback" not in result.output
    assert not target.exists()
    assert not list(tmp_path.glob(".rules-*"))


@pytest.mark.slow
def test_a_worker_that_dies_while_the_main_process_writes_stops_the_run(tmp_path: Path) -> None:
    # CSV is written by the main process from the workers' results (a process pool). A
    # multiprocessing.Pool waited forever for the chunk a dead worker took with it; the run
    # must end, loudly, leaving no output. Run in a thread so a hang fails the test.
    data = _batch(tmp_path, 6000)
    target = tmp_path / "out.csv"
    ended: list[Result] = []
    run = threading.Thread(
        target=lambda: ended.append(
            _jobs(tmp_path, _EscalateDiesOn("c4200"), data, target, "--format", "csv")
        ),
        daemon=True,
    )
    run.start()
    run.join(timeout=60)
    assert ended, "the run hung"
    result = ended[0]
    assert result.exit_code == 2, result.output
    assert "ended unexpectedly" in result.stderr
    assert "Traceback" not in result.output
    assert not target.exists()
    assert not list(tmp_path.glob(".rules-*"))


@pytest.mark.slow
def test_a_format_failing_twice_in_a_worker_stops_loudly(tmp_path: Path) -> None:
    class Concatenable(faulty.FormatPlugin):
        @hookimpl
        def rulewright_register_formats(self, register: Any) -> None:
            def wrap(name: str, factory: Any) -> None:
                factory.concatenable = True  # so the workers render and write it themselves
                register(name, factory)

            super().rulewright_register_formats(wrap)

    data = _batch(tmp_path, 6000)
    target = tmp_path / "out.txt"
    result = _jobs(tmp_path, Concatenable("write-always"), data, target, "--format", "faulty")
    assert result.exit_code == 2, result.output
    assert "failed twice" in result.stderr
    assert not target.exists()
    assert not list(tmp_path.glob(".rules-*"))
