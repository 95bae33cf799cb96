"""Mermaid itself (on Node), for tests that check the diagrams GitHub will render.

Mermaid needs a DOM, so jsdom comes with it; both are installed by npm once per machine into a
cache folder. Tests use the `mermaid_dir` fixture (assign it in the test module) and `parse`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

PACKAGES = ["mermaid@11", "jsdom@24"]
SCRIPT = Path(__file__).resolve().parent / "data" / "mermaid_parse.mjs"


@pytest.fixture(scope="session")
def mermaid_dir() -> Path:
    """Mermaid and jsdom installed once per machine by npm into a cache folder; skipped when
    Node, npm or the registry is not available."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Node.js and npm are needed to run the Mermaid parser")
    cache = Path(
        os.environ.get("RULEWRIGHT_MERMAID_DIR", Path.home() / ".cache" / "rulewright-tests" / "mermaid")
    )
    if not (cache / "node_modules" / "mermaid").is_dir() or not (cache / "node_modules" / "jsdom").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(cache), *PACKAGES],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            pytest.skip(f"could not install Mermaid with npm: {proc.stderr.strip()[-300:]}")
    return cache


def parse(mermaid_dir: Path, workdir: Path, diagrams: Mapping[str, str]) -> dict[str, str]:
    """Each diagram's type as Mermaid reads it (`flowchart-v2`, `sequence`), or `FAIL: why`."""
    script = workdir / "parse.mjs"
    shutil.copy(SCRIPT, script)
    (workdir / "node_modules").symlink_to(mermaid_dir / "node_modules", target_is_directory=True)
    files = {}
    for n, (name, text) in enumerate(diagrams.items()):
        files[str(workdir / f"diagram{n}.mmd")] = name
        (workdir / f"diagram{n}.mmd").write_text(text, encoding="utf-8")
    proc = subprocess.run(["node", str(script), *files], capture_output=True, text=True, timeout=300)
    found = {}
    for line in proc.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        file, _, kind = rest.partition(" ")
        if verdict == "ok" and file in files:
            found[files[file]] = kind
        elif verdict == "FAIL" and file.rstrip(":") in files:
            found[files[file.rstrip(":")]] = f"FAIL: {kind}"
    assert set(found) == set(diagrams), proc.stdout + proc.stderr
    return found
