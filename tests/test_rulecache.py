"""The checked-ruleset cache: a hit gives the same ruleset, a bad entry is ignored, off means off."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulewright.core import Engine, load_ruleset
from rulewright.core.model import rulecache


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
