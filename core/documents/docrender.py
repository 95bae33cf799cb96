"""Render a document (a list of blocks) as GitHub Markdown or a self-contained HTML page.

`rules docs` builds its content once as blocks (docgen.py) and renders it here, so the Markdown
and HTML forms always say the same thing. Inline text knows three marks, in both forms:
`code`, **bold** and [text](url) with an http(s) url; everything else is escaped, so text from
a ruleset can never start a heading or list, carry HTML, split a table cell or make another
kind of link. Inline text is one line: line breaks in it become spaces.
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

# The three inline marks, leftmost first; a link's label may hold the other two.
_MARK = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)|`(?P<code>[^`]+)`|\*\*(?P<bold>[^*]+)\*\*")
# Only web links: no `javascript:`, `data:` or `file:`, and nothing that could end the link early.
_SAFE_URL = re.compile(r"https?://[^\s<>|\"'`\\()]+", re.IGNORECASE)
Part = tuple[str, str, str]  # (kind, text, url): kind is text, code, bold or link


def _parts(text: str) -> list[Part]:
    """Split inline text into its marks and the plain text between them, on one line."""
    text = " ".join(text.split())
    out: list[Part] = []
    pos = 0
    for match in _MARK.finditer(text):
        if match.start() > pos:
            out.append(("text", text[pos : match.start()], ""))
        if match.group("label") is not None:
            url = match.group("url")
            if _SAFE_URL.fullmatch(url):
                out.append(("link", match.group("label"), url))
            else:  # shown as the text it is, so a reviewer sees what the ruleset says
                out.append(("text", match.group(0), ""))
        elif match.group("code") is not None:
            out.append(("code", match.group("code"), ""))
        else:
            out.append(("bold", match.group("bold"), ""))
        pos = match.end()
    if pos < len(text):
        out.append(("text", text[pos:], ""))
    return out


# --- Markdown ---------------------------------------------------------------------------------

# The characters Markdown (CommonMark and GitHub's tables) reads as inline syntax: escapes, code,
# emphasis, links and images (`[`), table cells (`|`); `_` only where it could emphasise (an `_`
# between two letters or digits cannot). `<`, `>` and entities are written as entities.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|]|(?<![^\W_])_|_(?![^\W_]))")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What starts a block when it opens a line: a heading, a list item, a thematic break (`---`).
_MD_BLOCK_START = re.compile(r"[-+]|(#|[0-9]+[.)])(?=\s|$)")


def _md_text(text: str) -> str:
    text = _MD_ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_inline(text: str, *, cell: bool = False, block: bool = False) -> str:
    """Inline text as Markdown: the three marks kept, every other character data could use as
    syntax (a heading, HTML, a table break, a link) escaped; `block` for text that starts a line."""
    out: list[str] = []
    for kind, part, url in _parts(text):
        if kind == "code":
            out.append("`" + (part.replace("|", "\\|") if cell else part) + "`")
        elif kind == "bold":
            out.append("**" + _md_inline(part, cell=cell) + "**")
        elif kind == "link":
            out.append(f"[{_md_inline(part, cell=cell)}]({url})")
        else:
            out.append(_md_text(part))
    line = "".join(out)
    start = _MD_BLOCK_START.match(line) if block else None
    return line if start is None else start.group(0)[:-1] + "\\" + line[start.end() - 1 :]


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + _md_inline(block.text))
        elif isinstance(block, Para):
            out.append(_md_inline(block.text, block=True))
        elif isinstance(block, Table):
            out.append("| " + " | ".join(_md_inline(h, cell=True) for h in block.header) + " |")
            out.append("|" + "|".join("---" for _ in block.header) + "|")
            out.extend("| " + " | ".join(_md_inline(c, cell=True) for c in row) + " |" for row in block.rows)
        elif isinstance(block, Bullets):
            out.extend(
                (f"{n}. " if block.numbered else "- ") + _md_inline(item, block=True)
                for n, item in enumerate(block.items, 1)
            )
        else:  # a fence longer than any run of backticks in the text, so nothing in it ends the block
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", block.text)), default=0))
            out.append(f"{fence}{block.lang}\n{block.text.rstrip()}\n{fence}")
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
    """Escape, then turn the marks into elements (never raw HTML from data)."""
    out: list[str] = []
    for kind, part, url in _parts(text):
        if kind == "code":
            out.append(f"<code>{html.escape(part, quote=False)}</code>")
        elif kind == "bold":
            out.append(f"<strong>{_html_inline(part)}</strong>")
        elif kind == "link":
            out.append(f'<a href="{html.escape(url, quote=True)}">{_html_inline(part)}</a>')
        else:
            out.append(html.escape(part, quote=False))
    return "".join(out)


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
