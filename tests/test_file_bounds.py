"""Files (issue 18): every ruleset or suite file is size-checked before it is read, `rules
validate` and `rules fmt` never follow a symbolic link out of the folder they were given, and
`rules fmt` rewrites only rulesets and test suites."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from rulewright.core.model.diagnostics import RulesetError
from tests.conftest import MINIMAL

MAX_BYTES = 2 * 1024 * 1024

linux = pytest.mark.skipif(sys.platform != "linux", reason="uses /dev/zero, mkfifo and RLIMIT_AS")
UNFORMATTED = MINIMAL.replace("id: mini\nversion: 1.0.0\n", "version: 1.0.0\nid: mini\n")


def _rules(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`rules ARGS` in a subprocess allowed 256 MiB above what the bare interpreter maps, and a
    hang guard: reading a device or a 1 GB file whole fails it with MemoryError or a timeout."""
    script = (
        "import resource, sys\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
        "base = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (base + 256 * 1024 * 1024, hard))\n"
        "from rulewright.core.cli import main\n"
        "sys.argv = ['rules', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {**os.environ, "RULEWRIGHT_DISABLE_PLUGINS": "all", "RULEWRIGHT_CACHE_DIR": "off"}
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )


@linux
def test_a_device_a_pipe_and_a_sparse_giant_are_refused_unread(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    (folder / "good.yaml").write_text(MINIMAL, encoding="utf-8")
    with open(folder / "sparse.yaml", "wb") as giant:
        giant.truncate(1 << 30)  # 1 GiB of holes: no disk used, but read whole it is 1 GiB of RAM
    os.mkfifo(folder / "pipe.yaml")  # nobody writes: opening it for reading would block
    os.symlink("/dev/zero", tmp_path / "zero.yaml")
    proc = _rules("validate", str(folder), str(tmp_path / "zero.yaml"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    out = proc.stdout
    assert f"sparse.yaml:1:1: file-too-large file is {1 << 30} bytes; the limit is {MAX_BYTES}" in out
    assert "pipe.yaml:1:1: not-a-file cannot read ruleset: not a regular file" in out
    assert "zero.yaml:1:1: not-a-file cannot read ruleset: not a regular file" in out
    assert "good.yaml" not in out  # checked, and clean
    assert "checked 4 rulesets: 3 errors" in proc.stderr


@linux
def test_a_link_to_dev_zero_in_a_folder_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    os.symlink("/dev/zero", folder / "zero.yaml")
    proc = _rules("validate", str(folder), cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert (
        f"zero.yaml:1:1: outside-folder not followed: a symbolic link that leads out of {folder}"
        in proc.stdout
    )


def test_read_bounded_reads_a_file_and_refuses_one_over_the_limit(tmp_path: Path) -> None:
    from rulewright.core.model.files import read_bounded

    path = tmp_path / "r.yaml"
    path.write_bytes(b"x" * MAX_BYTES)
    assert read_bounded(path) == b"x" * MAX_BYTES
    with open(path, "ab") as more:
        more.write(b"x")
    with pytest.raises(RulesetError) as error:
        read_bounded(path, "ruleset")
    assert error.value.diagnostics[0].code == "file-too-large"
    with pytest.raises(RulesetError) as error:
        read_bounded(tmp_path / "missing.yaml", "suite")
    assert error.value.diagnostics[0].message == "cannot read suite: No such file or directory"


def _outside_setup(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "rulesets"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere" / "theirs.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(UNFORMATTED, encoding="utf-8")
    os.symlink(elsewhere, folder / "theirs.yaml")
    return folder, elsewhere


def test_validate_does_not_follow_a_link_out_of_its_folder(invoke: Any, tmp_path: Path) -> None:
    folder, _ = _outside_setup(tmp_path)
    (folder / "mine.yaml").write_text(MINIMAL, encoding="utf-8")
    os.symlink(folder / "mine.yaml", folder / "alias.yaml")  # a link that stays inside is fine
    result = invoke("validate", str(folder))
    assert result.exit_code == 1
    assert f"theirs.yaml:1:1: outside-folder not followed: a symbolic link that leads out of {folder}" in (
        result.stdout
    )
    assert "checked 3 rulesets: 1 error" in result.stderr


def test_fmt_does_not_follow_a_link_out_of_its_folder(invoke: Any, tmp_path: Path) -> None:
    folder, elsewhere = _outside_setup(tmp_path)
    result = invoke("fmt", str(folder))
    assert result.exit_code == 1
    assert "outside-folder not followed" in result.stderr
    assert elsewhere.read_text(encoding="utf-8") == UNFORMATTED  # untouched
    assert (folder / "theirs.yaml").is_symlink()


def test_fmt_rewrites_only_rulesets_and_test_suites(invoke: Any, tmp_path: Path) -> None:
    other = textwrap.dedent(
        """\
        repos:
            -   repo: local
                hooks:
                    -   {id: rules-validate}
        """
    )
    (tmp_path / ".pre-commit-config.yaml").write_text(other, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(UNFORMATTED, encoding="utf-8")
    suite = "cases:\n    - answers: {a: true}\n      name: one\nruleset: ruleset.yaml\n"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "suite.yaml").write_text(suite, encoding="utf-8")
    result = invoke("fmt", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "reformatted 2 of 2 files; 1 other YAML file left alone" in result.stderr
    assert (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8") == other
    assert (tmp_path / "ruleset.yaml").read_text(encoding="utf-8") != UNFORMATTED
    assert (
        (tmp_path / "tests" / "suite.yaml").read_text(encoding="utf-8").startswith("ruleset: ruleset.yaml\n")
    )
    named = invoke("fmt", str(tmp_path / ".pre-commit-config.yaml"))
    assert named.exit_code == 1 and "not-a-ruleset" in named.stderr
    assert (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8") == other


@linux
def test_a_link_map_that_is_a_device_or_a_sparse_giant_is_refused_unread(tmp_path: Path) -> None:
    """`--link-map` goes through the same bounded reader as a ruleset: /dev/zero read whole
    would hang, a 1 GB sparse file would cost 1 GB of memory (over this test's cap)."""
    with open(tmp_path / "sparse.yaml", "wb") as giant:
        giant.truncate(1 << 30)
    answers = ("evaluate", "leg-pain", "-a", "bladder_bowel_control=yes", "--link-map")
    proc = _rules(*answers, str(tmp_path / "sparse.yaml"), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == ""
    assert f"file is {1 << 30} bytes; the limit is {MAX_BYTES}" in proc.stderr
    proc = _rules(*answers, "/dev/zero", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot read --link-map /dev/zero" in proc.stderr and "not a regular file" in proc.stderr


def test_fmt_leaves_yaml_that_merely_shares_a_key_with_a_ruleset_alone(invoke: Any, tmp_path: Path) -> None:
    """One key in common is not a ruleset: a GitHub action has `inputs`, another tool's file
    may have `cases` or `outcomes`; `rules fmt DIR` must not reorder or reindent them."""
    others = {
        "action.yaml": "name:   Check\ninputs:\n    who: {description: x}\nruns:\n    using: node20\n",
        "cases.yaml": "cases:\n    -   one\nname: other tool\n",
        "outcomes.yaml": "version: 3\noutcomes: [a, b]\n",  # no `id`
    }
    for name, text in others.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(UNFORMATTED, encoding="utf-8")
    result = invoke("fmt", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "reformatted 1 of 1 file; 3 other YAML files left alone" in result.stderr
    for name, text in others.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text, name
    assert (tmp_path / "ruleset.yaml").read_text(encoding="utf-8") != UNFORMATTED
    named = invoke("fmt", str(tmp_path / "action.yaml"))
    assert named.exit_code == 1 and "not-a-ruleset" in named.stderr
