"""The kind of every line of a Markdown text, found in one pass (docs/corpus.md section 1.3).

The loader (`body`), `pmanalytics migrate` and the blameless check all read Markdown
through `scan`, so that a fence, a heading, a list item or a table row is the same thing
for all three. `scan` gives one plain tuple per line of `text.split("\\n")`:

    (kind, number, line, indent, marker, content)

- `number` counts from `first_line` (the line of the text's first line in its file);
- `line` is the line as written, without a trailing carriage return;
- `indent` is the number of whitespace characters before the line's marker or text
  (a tab counts one): each reader decides what nesting it accepts;
- `marker` is what the kind is recognised by (`##`, `-`, `1.`, `|`, a fence, `> `);
- `content` is what follows the marker and its whitespace; always the end of `line`,
  so `len(line) - len(content)` is where it starts.

The kinds (a line's first character after its indent tells which it may be; a rule is
never an item):

==========  ====================================================================  ==========================
kind        a line that                                                           content
==========  ====================================================================  ==========================
BLANK       holds only whitespace                                                 ""
FENCE       has up to 3 spaces, then 3 or more backticks or tildes: it opens a    the info string
            fenced block, which the first line of up to 3 spaces and a run of
            the same character at least as long, alone, closes (that line is a
            FENCE too); an unclosed block runs to the end of the text
CODE        is inside a fenced block, whatever it holds                           the line
HEADING     has up to 3 whitespace characters, then 1 to 6 `#` and a space        the heading text
            (level = `len(marker)`; the loader opens sections only at level-2
            headings that are not indented)
QUOTE       starts with `>` (after any indent); `marker` holds every `>` with     the quoted line: read
            one optional whitespace character after each                          it with `classify`
RULE        has 3 or more of the same `-`, `*` or `_`, and else only whitespace   ""
ITEM        starts with `-`, `*`, `+`, or 1 to 9 digits and `.` or `)`, then      the item text
            whitespace (see `task` for a `[ ]` / `[x]` checkbox)
SEPARATOR   starts with `|` and has only cells of dashes with optional colons     the row
            at either end (`|---|:---:|`)
ROW         starts with `|` (after any indent); a row needs no closing pipe       the row (see `cells`)
TEXT        anything else                                                         the line without indent
==========  ====================================================================  ==========================

A line without a leading pipe is text, even with pipes inside: the loader reads only
tables whose rows start with one.
"""

from __future__ import annotations

import re

BLANK, TEXT, HEADING, ITEM, ROW, SEPARATOR, FENCE, CODE, QUOTE, RULE = range(10)

Line = tuple[int, int, str, int, str, str]
"""(kind, number, line, indent, marker, content): see the module docstring."""

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ORDERED = re.compile(r"[0-9]{1,9}[.)]")
_SEPARATOR = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")
_CELL_BAR = re.compile(r"(?<!\\)\|")
_WHITESPACE = frozenset(filter(str.isspace, map(chr, range(0x3001))))  # U+3000 is the last one
_MAY_BE_MARKUP = frozenset("#-*+_|>`~0123456789") | _WHITESPACE  # a line starting otherwise is TEXT
_MAY_CLOSE = frozenset(" `~")  # the first characters of a line that may close a fence
_HEADING_MARKERS = tuple("#" * level + " " for level in range(1, 7))  # how a heading that is not indented starts
_RULE_OR_BLANK = frozenset("-") | _WHITESPACE | {""}  # after "- ": maybe a rule, or an item's blanks
_SEPARATOR_OR_BLANK = frozenset(":-") | _WHITESPACE | {""}  # after "|" or "| ": maybe a separator


def scan(text: str, first_line: int = 1) -> list[Line]:
    """One `Line` tuple for each line of `text` (`""` is one blank line), numbered from `first_line`."""
    lines = text.split("\n")
    if "\r" in text:
        lines = [line.rstrip("\r") for line in lines]
    scanned: list[Line] = []
    append = scanned.append
    fence = ""  # the marker of the open fenced block
    for number, line in enumerate(lines, first_line):
        if fence:
            if line[:1] in _MAY_CLOSE and _closes(fence, line):
                fence = ""
                append((FENCE, number, line, len(line) - len(line.lstrip()), line.strip(), ""))
            else:
                append((CODE, number, line, 0, "", line))
        # the common lines are decided here by their first characters; `classify` has the rules
        elif not line:
            append((BLANK, number, line, 0, "", ""))
        elif (first := line[0]) not in _MAY_BE_MARKUP:
            append((TEXT, number, line, 0, "", line))
        elif first == "-" and line[1:2] == " " and line[2:3] not in _RULE_OR_BLANK:
            append((ITEM, number, line, 0, "-", line[2:]))
        elif first == "|" and (line[2:3] if line[1:2] == " " else line[1:2]) not in _SEPARATOR_OR_BLANK:
            append((ROW, number, line, 0, "|", line))
        elif first == "#" and line.startswith(_HEADING_MARKERS):
            space = line.index(" ")
            append((HEADING, number, line, 0, line[:space], line[space + 1:].lstrip()))
        else:
            kind, indent, marker, content = classify(line)
            if kind == FENCE:
                fence = marker
            append((kind, number, line, indent, marker, content))
    return scanned


def _closes(fence: str, line: str) -> bool:
    match = _FENCE.match(line)
    if match is None:
        return False
    marker = match.group(1)
    return marker[0] == fence[0] and len(marker) >= len(fence) and not line[match.end():].strip()


def classify(line: str) -> tuple[int, int, str, str]:
    """(kind, indent, marker, content) of one line outside a fenced block (never CODE).

    What `scan` finds for such a line; readers use it for the line a QUOTE holds.
    """
    content = line.lstrip()
    if not content:
        return BLANK, 0, "", ""
    indent = len(line) - len(content)
    first = content[0]
    if first in "`~":
        fence = _FENCE.match(line)
        if fence:
            return FENCE, indent, fence.group(1), line[fence.end():].lstrip()
    elif first == "#":
        level = len(content) - len(content.lstrip("#"))
        if indent <= 3 and level <= 6 and content[level:level + 1] == " ":
            return HEADING, indent, content[:level], content[level:].lstrip()
    elif first == ">":
        return _quote(line, indent)
    elif first == "|":
        if content[1:].lstrip()[:1] in (":", "-") and _SEPARATOR.fullmatch(content):
            return SEPARATOR, indent, "|", content
        return ROW, indent, "|", content
    else:
        if first in "-*_" and content.count(first) >= 3 and not content.replace(first, "").strip():
            return RULE, indent, first, ""
        if first in "-*+":
            if content[1:2].isspace():
                return ITEM, indent, first, content[2:].lstrip()
        elif first in "0123456789":
            ordered = _ORDERED.match(content)
            if ordered and content[ordered.end():ordered.end() + 1].isspace():
                return ITEM, indent, ordered.group(), content[ordered.end():].lstrip()
    return TEXT, indent, "", content


def _quote(line: str, indent: int) -> tuple[int, int, str, str]:
    end = indent
    while end < len(line) and line[end] == ">":
        end += 1
        if line[end:end + 1].isspace():
            end += 1
    return QUOTE, indent, line[indent:end], line[end:]


def task(item: str) -> tuple[bool | None, str]:
    """The checkbox of an item's text: (True for `[x]`, False for `[ ]`, None without one; the text after it)."""
    if item[:1] == "[" and item[1:2] in (" ", "x", "X") and item[2:3] == "]" and item[3:4].isspace():
        return item[1] != " ", item[3:].lstrip()
    return None, item


def cells(row: str) -> list[str]:
    """The cells of a table row, stripped: one outer pipe at each end is dropped, `\\|` is a pipe in a cell."""
    inner = row.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    if "\\|" not in inner:
        return [part.strip() for part in inner.split("|")]
    return [part.strip().replace("\\|", "|") for part in _CELL_BAR.split(inner)]


def cell_spans(row: str) -> list[tuple[int, int]]:
    """(start, end) in `row` of the text between its unescaped pipes, as written (empty spans left out)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for bar in _CELL_BAR.finditer(row):
        if bar.start() > start:
            spans.append((start, bar.start()))
        start = bar.end()
    if start < len(row):
        spans.append((start, len(row)))
    return spans
