"""Render a document (a list of blocks) as GitHub Markdown or a self-contained HTML page.

`rules docs` builds its content once as blocks (docgen.py) and renders it here, so the Markdown
and HTML forms always say the same thing. Inline text knows three marks, in both forms:
`code`, **bold** and [text](url); everything else is escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Code:
    lang: str
    text: str


Block = Heading | Para | Table | Bullets | Code

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


# --- Markdown ---------------------------------------------------------------------------------


def _md_inline(text: str, *, cell: bool = False) -> str:
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    if cell:
        text = text.replace("|", "\\|").replace("\n", " ")
    return text


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + _md_inline(block.text))
        elif isinstance(block, Para):
            out.append(_md_inline(block.text))
        elif isinstance(block, Table):
            out.append("| " + " | ".join(_md_inline(h, cell=True) for h in block.header) + " |")
            out.append("|" + "|".join("---" for _ in block.header) + "|")
            out.extend("| " + " | ".join(_md_inline(c, cell=True) for c in row) + " |" for row in block.rows)
        elif isinstance(block, Bullets):
            out.extend(
                (f"{n}. " if block.numbered else "- ") + _md_inline(item)
                for n, item in enumerate(block.items, 1)
            )
        else:
            out.append(f"```{block.lang}\n{block.text.rstrip()}\n```")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- HTML -------------------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f23; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
code { background: #f6f8fa; padding: 0 0.2rem; border-radius: 3px; }
pre { background: #f6f8fa; padding: 0.75rem; overflow-x: auto; }
h1, h2, h3 { line-height: 1.25; }
""".strip()


def _html_inline(text: str) -> str:
    """Escape, then turn `code` and [text](url) marks into elements (never raw HTML from data)."""
    parts: list[str] = []
    pos = 0
    for match in _LINK.finditer(text):
        parts.append(_html_code(text[pos : match.start()]))
        label, url = match.group(1), match.group(2)
        safe = url if url.startswith(("https://", "http://")) else "#"
        parts.append(f'<a href="{html.escape(safe, quote=True)}">{_html_code(label)}</a>')
        pos = match.end()
    parts.append(_html_code(text[pos:]))
    return "".join(parts)


def _html_code(text: str) -> str:
    text = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text, quote=False))
    return _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", text)


def to_html(blocks: list[Block], title: str) -> str:
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{_html_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{_html_inline(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{_html_inline(h)}</th>" for h in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Bullets):
            tag = "ol" if block.numbered else "ul"
            items = "".join(f"<li>{_html_inline(i)}</li>" for i in block.items)
            body.append(f"<{tag}>{items}</{tag}>")
        else:
            # Self-contained: no script is loaded, so a Mermaid chart shows as its (readable) source.
            body.append(f'<pre class="{html.escape(block.lang)}">{html.escape(block.text.rstrip())}</pre>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
