"""The Dask adapter on a local cluster: every record kept, in order, identical to the CLI's output."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="the Dask adapter is tested with the test extra")

from distributed import Client, LocalCluster

from rulewright.plugins.dask_bag import evaluate_bag, evaluate_jsonl

Invoke = Any
HOSTILE = [
    b"{broken",
    b"\xff\xfe not utf-8",
    b"[1, 2]",
    b'{"pain_quality": "purple"}',
    # Line and paragraph separators and NEL are allowed raw inside a JSON string: not line ends.
    '{"id": "a\u2028b\u2029c\u0085d", "pain_quality": "dull"}'.encode(),
    b'{"id": "crlf", "pain_quality": "dull"}\r',
]


def _write_cases(path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("wb") as out:
        for n in range(1, count + 1):
            if n % 101 == 0:
                out.write(HOSTILE[n // 101 % len(HOSTILE)] + b"\n")
                continue
            case = {
                "id": f"{seed}-{n}",
                "pain_quality": rng.choice(["dull", "burning", "electric", "sore"]),
                "pain_pattern": rng.choice(["moves_around", "follows_path"]),
                "bladder_bowel_control": rng.random() < 0.05,
            }
            if rng.random() < 0.7:
                case["numbness_tingling_weakness"] = rng.random() < 0.5
            out.write(json.dumps(case).encode() + b"\n")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # ":0": a free port for the dashboard, so runs in parallel (other checkouts, CI) never collide.
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_jsonl_files_on_a_local_cluster_match_the_cli(client: Client, invoke: Invoke, tmp_path: Path) -> None:
    inputs = []
    for part, count in enumerate((1800, 1300)):
        path = tmp_path / f"cases-{part}.jsonl"
        _write_cases(path, count, seed=part)
        inputs.append(path)
    names = evaluate_jsonl([str(p) for p in inputs], str(tmp_path / "out"), "leg-pain@1.0.0")
    assert len(names) == 2
    for source, name in zip(inputs, names, strict=True):
        expected = invoke("evaluate", "leg-pain@1.0.0", str(source), "--format", "jsonl", "-q").stdout
        produced = Path(name).read_text(encoding="utf-8")
        assert produced == expected  # same records, same order, same error records, byte for byte
    # Split at newlines only: str.splitlines() would also cut at the separators the records hold.
    first = [json.loads(line) for line in Path(names[0]).read_text(encoding="utf-8").split("\n")[:-1]]
    assert len(first) == 1800
    assert first[100]["error"]["code"] == "invalid_utf8"  # line 101 holds HOSTILE[1]
    assert first[201]["error"]["code"] == "not_an_object"


@pytest.mark.slow
def test_a_bag_of_records_keeps_every_record(client: Client) -> None:
    import dask.bag as db

    records: list[Any] = [
        {"id": n, "pain_quality": "burning", "pain_pattern": "follows_path"} for n in range(500)
    ]
    records[7] = "not an object"
    results = evaluate_bag(db.from_sequence(records, npartitions=4), "leg-pain@1.0.0").compute()
    assert len(results) == 500
    assert results[7]["status"] == "error"
    assert [r["input"]["id"] for i, r in enumerate(results) if i != 7] == [n for n in range(500) if n != 7]
    assert {r["outcome"]["id"] for i, r in enumerate(results) if i != 7} == {"nerve"}
