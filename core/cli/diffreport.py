"""Text and Markdown renderings of the `rules diff` report (its JSON form is the source)."""

from __future__ import annotations

import json
from typing import Any


def _pct(share: float) -> str:
    return f"{share:.1%}" if share >= 0.001 or share == 0 else f"{share:.2e}"


def _title(report: dict[str, Any]) -> str:
    old, new, version = report["old"], report["new"], report["version"]
    return f"{old['id']} {old['version']} → {new['id']} {new['version']} ({version['bump']} bump)"


def _only(beh: dict[str, Any]) -> list[str]:
    out = []
    if beh["only_in_old"]:
        out.append(f"only OLD asks {', '.join(beh['only_in_old'])}; NEW evaluates these as missing")
    if beh["only_in_new"]:
        out.append(f"only NEW asks {', '.join(beh['only_in_new'])}; OLD evaluates these as missing")
    return out


def _example(example: dict[str, Any]) -> str:
    return json.dumps(example, ensure_ascii=False)


def render_text(report: dict[str, Any]) -> str:
    lines = [_title(report), ""]
    structural = report["structural"]
    lines.append(f"Structural changes ({len(structural)}):" if structural else "Structural changes: none")
    lines += [f"  {_change_line(c)}" for c in structural]
    lines.append("")
    beh = report["behavioural"]
    if not beh["analysed"]:
        lines.append(f"Behavioural changes: not analysed ({beh['reason']})")
    elif not beh["regions"]:
        lines.append(f"Behavioural changes: none in any of {beh['combinations']} combinations of answers")
    else:
        partial = "" if beh["complete"] else " (search stopped at --max-regions; at least)"
        lines.append(
            f"Behavioural changes: {len(beh['regions'])} regions, {beh['affected']} of {beh['combinations']} "
            f"combinations ({_pct(beh['share'])}){partial}"
        )
        for change, regions in _by_change(beh["regions"]):
            count = sum(r["count"] for r in regions)
            share = sum(r["share"] for r in regions)
            lines.append(f"  {change}: {count} combinations ({_pct(share)}) in {len(regions)} region(s)")
            for r in regions:
                lines.append(f"    where {r['where']}  [{r['count']}]")
                lines.append(f"      e.g. {_example(r['example'])}")
    if beh["analysed"]:
        lines += [f"  Note: {note}" for note in _only(beh)]
    corpus = report.get("corpus")
    if corpus is not None:
        lines += ["", f"Corpus {corpus['file']}: {corpus['changed']} of {corpus['cases']} cases change"]
        if corpus["unreadable"]:
            lines.append(f"  ({corpus['unreadable']} unreadable records skipped)")
        for c in corpus["changes"]:
            ident = f" ({c['id']})" if c["id"] is not None else ""
            lines.append(f"  line {c['line']}{ident}: {c['change']}")
    problems = report["version"]["problems"]
    lines += ["", "Version check: " + ("ok" if not problems else "PROBLEM")]
    lines += [f"  {p}" for p in problems]
    return "\n".join(lines) + "\n"


def _by_change(regions: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in regions:
        groups.setdefault(r["change"], []).append(r)
    return list(groups.items())


def _change_line(c: dict[str, Any]) -> str:
    mark = {"added": "+", "removed": "-", "changed": "~", "reordered": "↕"}[c["kind"]]
    if c["kind"] == "added":
        return f"{mark} {c['path']}: {_short(c['new'])}"
    if c["kind"] == "removed":
        return f"{mark} {c['path']}: {_short(c['old'])}"
    return f"{mark} {c['path']}: {_short(c['old'])} → {_short(c['new'])}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:97] + "..."


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    out = [f"# Diff: {_cell(_title(report))}", ""]
    structural = report["structural"]
    out += ["## Structural changes", ""]
    if structural:
        out += ["| change | where | old | new |", "|---|---|---|---|"]
        for c in structural:
            old = f"`{_cell(_short(c['old']))}`" if c["old"] is not None else ""
            new = f"`{_cell(_short(c['new']))}`" if c["new"] is not None else ""
            out.append(f"| {c['kind']} | `{_cell(c['path'])}` | {old} | {new} |")
    else:
        out.append("None.")
    out += ["", "## Behavioural changes", ""]
    beh = report["behavioural"]
    if not beh["analysed"]:
        out.append(f"Not analysed: {_cell(beh['reason'])}.")
    elif not beh["regions"]:
        out.append(f"None: all {beh['combinations']} combinations of answers behave the same.")
    else:
        partial = (
            "" if beh["complete"] else " The search stopped at `--max-regions`; these are a lower bound."
        )
        out += [
            f"{len(beh['regions'])} regions; {beh['affected']} of {beh['combinations']} combinations "
            f"({_pct(beh['share'])}) change.{partial}",
            "",
            "| change | where | combinations | example |",
            "|---|---|---|---|",
        ]
        for r in beh["regions"]:
            out.append(
                f"| {_cell(r['change'])} | {_cell(r['where'])} | {r['count']} ({_pct(r['share'])}) "
                f"| `{_cell(_example(r['example']))}` |"
            )
    if beh["analysed"]:
        out += ["", *(f"> Note: {_cell(n)}." for n in _only(beh))] if _only(beh) else []
    corpus = report.get("corpus")
    if corpus is not None:
        out += [
            "",
            "## Corpus",
            "",
            f"{corpus['changed']} of {corpus['cases']} cases in `{_cell(corpus['file'])}` change.",
        ]
        if corpus["changes"]:
            out += ["", "| line | id | change |", "|---|---|---|"]
            out += [
                f"| {c['line']} | {_cell(c['id'] or '')} | {_cell(c['change'])} |" for c in corpus["changes"]
            ]
    problems = report["version"]["problems"]
    out += ["", "## Version check", ""]
    out += [f"- {_cell(p)}" for p in problems] if problems else ["The version bump matches the changes."]
    return "\n".join(out) + "\n"
