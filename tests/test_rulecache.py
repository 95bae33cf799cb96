"""The checked-ruleset cache: a hit gives the same ruleset, a bad entry is ignored, off means off."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rulewright.core import Engine, load_ruleset
from rulewright.core.model import rulecache
from rulewright.core.model.fingerprint import fingerprint


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(rulecache.ENV, str(folder))
    return folder


def _decide(ref: str) -> dict[str, object]:
    engine = Engine(load_ruleset(ref))
    return next(
        engine.evaluate_batch([{"pain_quality": "burning", "pain_pattern": "follows_path"}])
    ).to_record()


def test_a_cached_ruleset_is_the_same_ruleset(cache: Path) -> None:
    first = load_ruleset("leg-pain@1.0.0")
    entries = list(cache.glob("*.json"))
    assert len(entries) == 1  # stored on the first clean load
    second = load_ruleset("leg-pain@1.0.0")
    assert second == first  # same model, same fingerprint, same source name
    assert _decide("leg-pain@1.0.0") == _decide("leg-pain@1.0.0")


def test_a_changed_file_misses_and_a_broken_entry_is_ignored(cache: Path, tmp_path: Path) -> None:
    from rulewright.core.model.loader import resolve

    _, raw = resolve("leg-pain@1.0.0")
    path = tmp_path / "mine.yaml"
    path.write_bytes(raw)
    original = load_ruleset(str(path))
    path.write_bytes(raw.replace(b"title: Low back-related", b"title: Changed low back-related"))
    changed = load_ruleset(str(path))
    assert changed.title.startswith("Changed") and changed.fingerprint != original.fingerprint
    for entry in cache.glob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    assert load_ruleset(str(path)) == changed  # read again from the YAML, and re-cached


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(rulecache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_ruleset("leg-pain@1.0.0")
    assert not any(tmp_path.rglob("*.json"))


def test_editing_the_checks_without_a_version_bump_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = rulecache._checker_stamp()
    assert "core/model/semantics.py:" in stamp and "schemas/ruleset.schema.json:" in stamp
    assert "?" not in stamp  # every checking file was found (editable and wheel installs)
    before = rulecache.key(b"id: x\n", ["eq"])
    monkeypatch.setattr(
        rulecache, "_stamp", stamp.replace("core/model/semantics.py:", "core/model/semantics.py:1")
    )
    assert rulecache.key(b"id: x\n", ["eq"]) != before


# --- verified before trusted (issue 18) --------------------------------------------------------

EMERGENCY = {"bladder_bowel_control": True, "pain_quality": "burning", "pain_pattern": "follows_path"}


def _urgency(ref: str = "leg-pain@1.0.0") -> tuple[str, list[str]]:
    record = next(Engine(load_ruleset(ref)).evaluate_batch([EMERGENCY])).to_record()
    return record["urgency"], [f["id"] for f in record["red_flags"]]


def _entry(cache: Path) -> Path:
    (entry,) = cache.glob("*.json")
    return entry


def _edit(entry: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the data of an entry the way a person or a stray program would: digest untouched."""
    header, newline, body = entry.read_bytes().partition(b"\n")
    if body:  # a header line, then the data
        data = json.loads(body)
        change(data)
        entry.write_bytes(header + newline + json.dumps(data).encode())
    else:  # an entry of the first format, {"key": ..., "data": ...}: so the test runs on it too
        stored = json.loads(header)
        change(stored["data"])
        entry.write_text(json.dumps(stored))


def test_the_cache_folder_is_made_private(cache: Path) -> None:
    load_ruleset("leg-pain@1.0.0")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.pop("red_flags"), id="red-flags-dropped"),
        pytest.param(lambda d: d["red_flags"][0].update(level="catastrophic"), id="invalid-level"),
        pytest.param(lambda d: d["red_flags"][0].update(level="review"), id="level-lowered"),
    ],
)
def test_an_edited_entry_is_ignored_and_rebuilt(
    cache: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    genuine = load_ruleset("leg-pain@1.0.0")
    assert _urgency() == ("emergency", ["bladder_bowel"])
    _edit(_entry(cache), change)
    assert load_ruleset("leg-pain@1.0.0") == genuine  # read again from the YAML
    assert _urgency() == ("emergency", ["bladder_bowel"])
    assert rulecache.get(_entry(cache).stem) == genuine.data  # and the entry rebuilt, whole again


def test_a_truncated_entry_is_ignored_and_rebuilt(cache: Path) -> None:
    genuine = load_ruleset("leg-pain@1.0.0")
    entry = _entry(cache)
    entry.write_bytes(entry.read_bytes()[:-40])
    assert load_ruleset("leg-pain@1.0.0") == genuine
    assert rulecache.get(entry.stem) == genuine.data


def test_the_fingerprint_names_the_model_that_ran(cache: Path) -> None:
    """Even an entry forged with a matching digest (only its owner could write it) cannot borrow
    the genuine fingerprint: the fingerprint is computed from what runs, never stored."""
    genuine = load_ruleset("leg-pain@1.0.0")
    entry = _entry(cache)
    _, body = entry.read_bytes().split(b"\n", 1)
    data = json.loads(body)
    data["red_flags"][0]["message"] = "Edited."
    forged = json.dumps(data).encode()
    digest = hashlib.sha256(forged).hexdigest()
    entry.write_bytes(json.dumps({"key": entry.stem, "sha256": digest}).encode() + b"\n" + forged)
    ran = load_ruleset("leg-pain@1.0.0")
    assert ran.red_flags[0].message == "Edited."
    assert ran.fingerprint == fingerprint(data) != genuine.fingerprint


def _refused(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv(rulecache.ENV, str(folder))
    monkeypatch.setattr(rulecache, "_warned", False)
    assert _urgency() == ("emergency", ["bladder_bowel"])  # the run goes on, without the cache
    assert load_ruleset("leg-pain@1.0.0").fingerprint
    assert not list(folder.glob("*.json"))
    err = capsys.readouterr().err
    assert err.count("rules: warning: not using the ruleset cache") == 1  # said once
    return err


def test_a_folder_others_may_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    assert "others may write to it (mode 0777" in _refused(folder, monkeypatch, capsys)


def test_a_link_as_the_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert "not a folder" in _refused(tmp_path / "link", monkeypatch, capsys)
    assert not list((tmp_path / "real").glob("*.json"))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder away"
)
def test_a_folder_owned_by_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    assert "owned by another user" in _refused(folder, monkeypatch, capsys)


def test_a_folder_of_ours_that_others_could_only_read_is_narrowed(cache: Path) -> None:
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)
    load_ruleset("leg-pain@1.0.0")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and len(list(cache.glob("*.json"))) == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["red_flags"][0].update(level="catastrophic"), id="invalid-level"),
        pytest.param(
            lambda d: d["red_flags"][0].update(when={"fact": "no_such_fact", "eq": True}), id="dangling-fact"
        ),
    ],
)
def test_an_entry_with_a_valid_digest_but_invalid_content_is_rebuilt(
    cache: Path, change: Callable[[dict[str, Any]], None], invoke: Any
) -> None:
    """A digest only says the entry is whole: content the checks would refuse, even under a
    recomputed digest, is a miss, and `rules evaluate` runs the ruleset checked from its YAML."""

    def run() -> dict[str, Any]:
        result = invoke("evaluate", "leg-pain@1.0.0", "-a", "bladder_bowel_control=yes")
        assert result.exit_code == 0, result.stderr
        return dict(json.loads(result.stdout))

    genuine = run()  # stores the entry this command reads (its key names its operators)
    entry = _entry(cache)
    _, body = entry.read_bytes().split(b"\n", 1)
    data = json.loads(body)
    stored = json.loads(body)
    change(data)
    forged = json.dumps(data).encode()
    header = {"key": entry.stem, "sha256": hashlib.sha256(forged).hexdigest()}
    entry.write_bytes(json.dumps(header).encode() + b"\n" + forged)
    assert run() == genuine
    assert genuine["urgency"] == "emergency"
    assert rulecache.get(entry.stem) == stored  # the entry rebuilt, whole again
