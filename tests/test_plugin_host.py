"""Loading third-party plugins from real (on-disk) distributions: allow-list, pins, conflicts,
broken packages. Each test installs a tiny distribution into a temporary sys.path entry."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from importlib.machinery import PathFinder
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from rulewright.core import PluginConflict, make_plugin_host
from rulewright.core.hooks import host as pluginhost
from tests.conftest import MINIMAL

GOOD = """
from rulewright.core import hookimpl

class Writer:
    def __init__(self, stream, options):
        self.stream = stream
    def write(self, result):
        self.stream.write(result.urgency + "\\n")
    def close(self):
        pass

@hookimpl
def rulewright_register_formats(register):
    register("{fmt}", Writer)
"""

Install = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Put a distribution (module + dist-info with a `rulewright` entry point) on sys.path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules: list[str] = []
    monkeypatch.delenv("RULEWRIGHT_PLUGINS", raising=False)
    # Plugins already installed in this environment (say the example package) stay out of the way.
    already = ",".join(ep.name for ep in entry_points(group="rulewright"))
    monkeypatch.setenv("RULEWRIGHT_DISABLE_PLUGINS", already)

    def install(dist: str, version: str, module: str, source: str, ep_name: str | None = None) -> None:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[rulewright]\n{ep_name or module} = {module}\n")
        modules.append(module)
        importlib.invalidate_caches()

    yield install
    for module in modules:
        sys.modules.pop(module, None)


def _names(host: object) -> set[str]:
    return {row["name"] for row in host.describe()}  # type: ignore[attr-defined]


def test_installed_plugin_is_loaded_with_its_distribution_and_version(install: Install) -> None:
    install("rw-good", "1.2.3", "rw_good", GOOD.replace("{fmt}", "urgency-only"))
    host = make_plugin_host()
    row = next(r for r in host.describe() if r["name"] == "rw_good")
    assert (row["distribution"], row["version"], row["builtin"]) == ("rw-good", "1.2.3", False)
    assert row["provides"] == {"formats": ["urgency-only"]}
    assert row["hooks"] == ["rulewright_register_formats"]


def test_plugin_that_fails_to_import_is_named_and_skipped(install: Install) -> None:
    install("rw-broken", "0.0.1", "rw_broken", "import no_such_module_anywhere\n")
    host = make_plugin_host()
    assert "rw_broken" not in _names(host)
    [failure] = host.failures
    assert (failure.name, failure.distribution, failure.version) == ("rw_broken", "rw-broken", "0.0.1")
    assert "rw-broken 0.0.1" in failure.text() and "no_such_module_anywhere" in failure.text()


def test_plugin_with_a_misspelt_hook_is_skipped_not_fatal(install: Install) -> None:
    source = "from rulewright.core import hookimpl\n@hookimpl\ndef rulewright_escalte():\n    pass\n"
    install("rw-typo", "2.0", "rw_typo", source)
    host = make_plugin_host()
    assert "rw_typo" not in _names(host)
    assert "rulewright_escalte" in host.failures[0].error


def test_plugin_whose_registration_raises_leaves_nothing_behind(install: Install) -> None:
    source = GOOD.replace("{fmt}", "half") + (
        "\n@hookimpl\ndef rulewright_register_scorers(register):\n    raise RuntimeError('boom')\n"
    )
    install("rw-half", "1.0", "rw_half", source)
    host = make_plugin_host()
    assert "half" not in host.registry.items["formats"] and "rw_half" not in _names(host)
    assert host.failures[0].error == "RuntimeError: boom"


def test_duplicate_format_names_both_plugins_with_their_distributions(install: Install) -> None:
    install("rw-one", "1.0", "rw_one", GOOD.replace("{fmt}", "same"))
    install("rw-two", "2.0", "rw_two", GOOD.replace("{fmt}", "same"))
    with pytest.raises(PluginConflict) as info:
        make_plugin_host()
    assert "'rw_one' (rw-one 1.0)" in str(info.value) and "'rw_two' (rw-two 2.0)" in str(info.value)


def test_third_party_plugin_cannot_take_over_a_builtin_format(install: Install) -> None:
    install("rw-evil", "1.0", "rw_evil", GOOD.replace("{fmt}", "jsonl"))
    with pytest.raises(PluginConflict) as info:
        make_plugin_host()
    assert "'rulewright.plugins.formats' (built-in)" in str(info.value)
    assert "'rw_evil' (rw-evil 1.0)" in str(info.value)


def test_allow_list_loads_only_listed_plugins(install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    install("rw-one", "1.0", "rw_one", GOOD.replace("{fmt}", "one"))
    install("rw-two", "2.0", "rw_two", GOOD.replace("{fmt}", "two"))
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "rw_two")
    host = make_plugin_host()
    assert "two" in host.registry.items["formats"] and "one" not in host.registry.items["formats"]
    assert host.failures == []


def test_empty_allow_list_means_builtins_only(install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    install("rw-one", "1.0", "rw_one", GOOD.replace("{fmt}", "one"))
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "")
    host = make_plugin_host()
    assert all(row["builtin"] for row in host.describe())


def test_allow_list_version_pin_refuses_another_version(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("rw-one", "1.1", "rw_one", GOOD.replace("{fmt}", "one"))
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "rw_one==1.0, rw_gone")
    host = make_plugin_host()
    assert "one" not in host.registry.items["formats"]
    errors = {f.name: f.error for f in host.failures}
    assert "pins version 1.0" in errors["rw_one"]
    assert "not installed" in errors["rw_gone"]


def test_disable_list_switches_a_plugin_off(install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    install("rw-one", "1.0", "rw_one", GOOD.replace("{fmt}", "one"))
    monkeypatch.setenv("RULEWRIGHT_DISABLE_PLUGINS", "rw_one")
    assert "rw_one" not in _names(make_plugin_host())


def test_cli_reports_a_broken_plugin_and_keeps_working(install: Install, invoke) -> None:  # type: ignore[no-untyped-def]
    install("rw-broken", "0.0.1", "rw_broken", "raise ImportError('half-installed')\n")
    result = invoke("plugins", "--format", "json")
    assert result.exit_code == 0
    failed = json.loads(result.stdout)["failed"]
    assert failed[0]["distribution"] == "rw-broken" and "half-installed" in failed[0]["error"]
    assert "rw_broken" in result.stderr and "rw-broken 0.0.1" in result.stderr
    assert "this run goes on without it (rules --strict stops instead)" in result.stderr


def test_cli_refuses_to_guess_between_conflicting_plugins(install: Install, invoke) -> None:  # type: ignore[no-untyped-def]
    install("rw-one", "1.0", "rw_one", GOOD.replace("{fmt}", "same"))
    install("rw-two", "2.0", "rw_two", GOOD.replace("{fmt}", "same"))
    result = invoke("plugins")
    assert result.exit_code == 2
    assert "rw-one 1.0" in result.stderr and "rw-two 2.0" in result.stderr
    assert "RULEWRIGHT_PLUGINS" in result.stderr


def test_the_cheap_look_for_plugins_finds_what_importlib_metadata_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI imports importlib.metadata only when some distribution may declare a plugin.
    def dist(name: str, entry_points: str) -> None:
        info = tmp_path / name
        info.mkdir()
        (info / "entry_points.txt").write_text(entry_points)

    monkeypatch.setattr(sys, "path", [str(tmp_path), str(tmp_path / "not-there")])
    monkeypatch.setattr(sys, "meta_path", [PathFinder])  # as in the CLI; a test run imports more
    (tmp_path / "old.egg-info").write_text("Name: old\n")  # an egg-info that is a file
    dist("tool-1.0.dist-info", "[console_scripts]\ntool = tool:main\n")
    dist("helper-1.0.dist-info", "[pytest11]\nrulewright = helper.fixtures\n")  # names us, not our group
    assert not pluginhost._declared_on_path()
    assert not list(pluginhost._entry_points())
    dist("rw_plugin-2.0.egg-info", "[console_scripts]\nx = y:z\n\n[ rulewright ]\nmine = rw_plugin\n")
    assert pluginhost._declared_on_path()
    # A path entry that is a file (a zip archive): ask importlib.metadata.
    monkeypatch.setattr(sys, "path", [str(tmp_path / "tool-1.0.dist-info" / "entry_points.txt")])
    assert pluginhost._declared_on_path()

    class Finder:  # another finder of distributions (importlib_metadata installs one): ask too
        def find_distributions(self, context: object = None) -> list[object]:
            return []

    monkeypatch.setattr(sys, "path", [])
    assert not pluginhost._declared_on_path()
    monkeypatch.setattr(sys, "meta_path", [PathFinder, Finder()])
    assert pluginhost._declared_on_path()


# --- issue 19: every conflict fails loudly; strict deployment mode -------------------------

READER = """
from rulewright.core import InputRecord, hookimpl

class Reader:
    extensions = {extensions}
    def read(self, stream, ruleset, options):
        for line in stream:
            yield InputRecord({{}}, line=1)

@hookimpl
def rulewright_register_input_adapters(register):
    register("{name}", Reader())
"""

COMMAND = """
import click
from rulewright.core import hookimpl

@click.command("evaluate")
def evaluate():
    click.echo("not the real evaluate")

@hookimpl
def rulewright_register_commands(register):
    register("evaluate", evaluate)
"""

CASES = "\n".join(json.dumps({"id": f"p-{i}", "bladder_bowel_control": i < 2}) for i in range(3))


def test_input_adapter_claiming_a_builtin_suffix_fails_naming_both(
    install: Install, invoke, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # Before: the plugin silently read every .jsonl file; 2 emergencies came out routine, exit 0.
    install("rw-reader", "0.3", "rw_reader", READER.format(extensions='(".JSONL",)', name="mine"))
    cases = tmp_path / "cases.jsonl"
    cases.write_text(CASES, encoding="utf-8")
    result = invoke("evaluate", "leg-pain@1.0.0", str(cases))
    assert (result.exit_code, result.stdout) == (2, "")
    assert "input suffix '.jsonl'" in result.stderr
    assert "'rulewright.plugins.adapters' (built-in)" in result.stderr and "rw-reader 0.3" in result.stderr


def test_two_plugins_claiming_one_suffix_fail_naming_both(install: Install) -> None:
    install("rw-one", "1.0", "rw_one", READER.format(extensions='(".tsv",)', name="tsv-a"))
    install("rw-two", "2.0", "rw_two", READER.format(extensions='(".tsv", ".tab")', name="tsv-b"))
    with pytest.raises(PluginConflict, match=r"input suffix '\.tsv'") as info:
        make_plugin_host()
    assert "'rw_one' (rw-one 1.0)" in str(info.value) and "'rw_two' (rw-two 2.0)" in str(info.value)


def test_suffixes_declared_as_a_bare_string_are_refused(install: Install) -> None:
    # `".json" in ".jsonl"` is true: a string would claim every suffix it contains.
    install("rw-str", "1.0", "rw_str", READER.format(extensions='".jsonl"', name="str"))
    host = make_plugin_host()
    assert "str" not in host.registry.items["input_adapters"]
    assert "extensions must be a tuple" in host.failures[0].error


def test_two_distributions_with_one_entry_point_name_fail_naming_both(install: Install) -> None:
    # Before: one was silently dropped.
    install("rw-first", "1.0", "rw_first", GOOD.replace("{fmt}", "first"), ep_name="shared")
    install("rw-second", "2.0", "rw_second", GOOD.replace("{fmt}", "second"), ep_name="shared")
    with pytest.raises(PluginConflict, match="entry point 'shared'") as info:
        make_plugin_host()
    assert "rw-first 1.0" in str(info.value) and "rw-second 2.0" in str(info.value)


def test_a_version_pin_alone_cannot_pick_between_two_distributions(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: `shared==1.0` was satisfied by whichever distribution came first.
    install("rw-first", "1.0", "rw_first", GOOD.replace("{fmt}", "first"), ep_name="shared")
    install("rw-second", "1.0", "rw_second", GOOD.replace("{fmt}", "second"), ep_name="shared")
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "shared==1.0")
    with pytest.raises(PluginConflict, match="shared@DISTRIBUTION==VERSION"):
        make_plugin_host()


def test_allow_list_pins_the_distribution_of_an_entry_point(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("rw-first", "1.0", "rw_first", GOOD.replace("{fmt}", "first"), ep_name="shared")
    install("rw-second", "1.0", "rw_second", GOOD.replace("{fmt}", "second"), ep_name="shared")
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "shared@RW_Second==1.0")  # compared as pip does
    host = make_plugin_host()
    assert set(host.registry.items["formats"]) & {"first", "second"} == {"second"}
    assert host.distributions["shared"] == ("rw-second", "1.0") and host.failures == []


def test_entry_point_named_like_a_builtin_fails(install: Install) -> None:
    install(
        "rw-fake", "1.0", "rw_fake", GOOD.replace("{fmt}", "fake"), ep_name="rulewright.plugins.escalation"
    )
    with pytest.raises(PluginConflict, match="has the name of a built-in plugin"):
        make_plugin_host()


def test_plugin_command_shadowing_a_builtin_fails(install: Install, invoke) -> None:  # type: ignore[no-untyped-def]
    # Before: `rules evaluate` ran the built-in, and `rules --help` listed the plugin's as well.
    install("rw-cmd", "1.0", "rw_cmd", COMMAND)
    result = invoke("evaluate", "leg-pain@1.0.0", "-a", "bladder_bowel_control=no")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "command 'evaluate'" in result.stderr and "'rw_cmd' (rw-cmd 1.0)" in result.stderr


def test_rules_plugins_shows_the_suffixes_each_adapter_claims(invoke) -> None:  # type: ignore[no-untyped-def]
    rows = {r["name"]: r for r in json.loads(invoke("plugins", "--format", "json").stdout)["plugins"]}
    assert rows["rulewright.plugins.adapters"]["provides"]["suffixes"] == [
        ".csv",
        ".json",
        ".jsonl",
        ".ndjson",
    ]
    assert "    suffixes: .csv, .json, .jsonl, .ndjson" in invoke("plugins").stdout.splitlines()


# The minimal ruleset of conftest.py with one escalation of its own (n >= 8 is urgent).
ESCALATING = MINIMAL + "escalations:\n  - {id: many, level: urgent, when: {fact: n, ge: 8}, message: Many.}\n"


@pytest.fixture
def escalating(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(ESCALATING, encoding="utf-8")
    return path


def test_switching_off_a_builtin_a_ruleset_relies_on_warns(
    escalating: Path, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RULEWRIGHT_DISABLE_PLUGINS", "rulewright.plugins.escalation")
    result = invoke("evaluate", str(escalating), "-a", "n=9", "-a", "a=no")
    assert result.exit_code == 0 and json.loads(result.stdout)["urgency"] == "routine"
    assert (
        "relies on built-in plugin 'rulewright.plugins.escalation' for its 1 escalation(s)" in result.stderr
    )
    listed = json.loads(invoke("plugins", "--format", "json").stdout)
    assert listed["switched_off"] == ["rulewright.plugins.escalation"]


@pytest.mark.parametrize("how", [["--strict"], []])
def test_strict_mode_refuses_a_switched_off_builtin_before_reading_records(
    how: list[str], escalating: Path, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RULEWRIGHT_DISABLE_PLUGINS", "rulewright.plugins.escalation")
    if not how:
        monkeypatch.setenv("RULEWRIGHT_STRICT", "1")
    result = invoke(*how, "evaluate", str(escalating), "-", input='{"n": 9, "a": false}\n')
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        "strict mode: ruleset mini@1.0.0 relies on built-in plugin 'rulewright.plugins.escalation'"
        in result.stderr
    )


def test_strict_mode_refuses_a_pinned_plugin_that_fails_to_import(
    install: Install, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # Before: a warning, exit 0, and the escalation the plugin carried silently missing.
    install("rw-broken", "0.0.1", "rw_broken", "import no_such_module_anywhere\n")
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "rw_broken@rw-broken==0.0.1")
    monkeypatch.setenv("RULEWRIGHT_STRICT", "yes")
    result = invoke("evaluate", "leg-pain@1.0.0", "-", input='{"bladder_bowel_control": true}\n')
    assert (result.exit_code, result.stdout) == (2, "")
    assert "strict mode: plugin 'rw_broken' from rw-broken 0.0.1 failed to load" in result.stderr


@pytest.mark.parametrize(
    "allow, message",
    [
        (None, "strict mode needs RULEWRIGHT_PLUGINS"),
        ("rw_one==1.0", "must pin entry point, distribution and version"),
        ("rw_one@rw-one", "must pin entry point, distribution and version"),
        ("rw_one@rw-one==2.0", "pins version 2.0"),
        ("rw_one@rw-other==1.0", "lists rw_one@rw-other==1.0, which is not installed"),
    ],
)
def test_strict_mode_needs_an_allow_list_pinning_distribution_and_version(
    allow: str | None, message: str, install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("rw-one", "1.0", "rw_one", GOOD.replace("{fmt}", "one"))
    if allow is None:
        monkeypatch.delenv("RULEWRIGHT_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("RULEWRIGHT_PLUGINS", allow)
    with pytest.raises(pluginhost.PluginLoadError, match=message):
        make_plugin_host(strict=True)
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "rw_one@rw-one==1.0")
    assert "one" in make_plugin_host(strict=True).registry.items["formats"]


def test_a_misspelt_strict_setting_is_an_error_not_lax(monkeypatch: pytest.MonkeyPatch, invoke) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RULEWRIGHT_STRICT", "ture")
    with pytest.raises(pluginhost.PluginLoadError, match="RULEWRIGHT_STRICT='ture'"):
        make_plugin_host()
    assert invoke("plugins").exit_code == 2  # click refuses it as a flag value too


def test_a_ruleset_needing_a_switched_off_operator_names_the_switch(
    tmp_path: Path, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    tags = "  - {id: tags, type: set, question: Tags?, values: [x, y]}\n"
    text = MINIMAL.replace("inputs:\n", "inputs:\n" + tags).replace(
        "when: {fact: a, eq: true}", "when: {fact: tags, op: contains_any, value: [x]}"
    )
    path = tmp_path / "tags.yaml"
    path.write_text(text, encoding="utf-8")
    assert invoke("evaluate", str(path), "-a", "n=1").exit_code == 0
    monkeypatch.setenv("RULEWRIGHT_DISABLE_PLUGINS", "rulewright.plugins.operators")
    result = invoke("evaluate", str(path), "-a", "n=1")
    assert result.exit_code == 2 and "contains_any" in result.stderr
    assert "switched off by RULEWRIGHT_DISABLE_PLUGINS: rulewright.plugins.operators" in result.stderr


def test_a_plugin_with_a_hook_wrapper_is_refused_when_it_loads(install: Install, invoke) -> None:  # type: ignore[no-untyped-def]
    # The engine calls each implementation on its own, so a wrapper would never wrap anything:
    # the plugin is a load failure naming the wrapper, not a crash when the first case runs.
    source = (
        "from rulewright.core import hookimpl\n"
        "@hookimpl(wrapper=True)\n"
        "def rulewright_escalate(ruleset, facts, result):\n"
        "    return (yield)\n"
    )
    install("rw-wrap", "0.1", "rw_wrap", source)
    result = invoke("plugins", "--format", "json")
    failed = json.loads(result.stdout)["failed"]
    assert [f["distribution"] for f in failed] == ["rw-wrap"]
    assert "rulewright_escalate as a hook wrapper (wrapper=True)" in failed[0]["error"]
    evaluated = invoke("evaluate", "leg-pain@1.0.0", "-", input='{"bladder_bowel_control": true}\n')
    assert evaluated.exit_code == 0 and '"urgency":"emergency"' in evaluated.stdout.replace(" ", "")


@pytest.mark.parametrize("switch", ["rw_esc", "all"])
def test_a_pinned_plugin_switched_off_is_a_load_failure_not_a_silent_skip(
    switch: str, install: Install, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # Before: the pinned plugin was dropped without a word, and the escalation it carried with it.
    escalate = (
        "from rulewright.core import hookimpl\n"
        "@hookimpl\n"
        "def rulewright_escalate(facts):\n"
        "    return [{'id': 'always', 'level': 'review', 'message': 'Always review.'}]\n"
    )
    install("rw-esc", "1.0", "rw_esc", escalate)
    monkeypatch.setenv("RULEWRIGHT_PLUGINS", "rw_esc@rw-esc==1.0")
    monkeypatch.setenv("RULEWRIGHT_DISABLE_PLUGINS", switch)
    lax = invoke("evaluate", "leg-pain@1.0.0", "-", input='{"pain_quality": "dull"}\n')
    assert "RULEWRIGHT_DISABLE_PLUGINS switches it off" in lax.stderr
    monkeypatch.setenv("RULEWRIGHT_STRICT", "1")
    strict = invoke("evaluate", "leg-pain@1.0.0", "-", input='{"pain_quality": "dull"}\n')
    assert (strict.exit_code, strict.stdout) == (2, "")
    assert "strict mode: plugin 'rw_esc'" in strict.stderr
