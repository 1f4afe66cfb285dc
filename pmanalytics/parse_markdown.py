"""Stage 2a: one Markdown postmortem → a typed :class:`Postmortem` (contract section 1).

The steps: decode → split the front matter → read it as YAML (libyaml's C loader,
safe constructors only) → type its keys (`fields`) → split the body into sections
(ignoring `## ` inside code fences) → read the timeline, actions and lessons (`body`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from pmanalytics import body, fields
from pmanalytics.fields import FieldContext, Rejection
from pmanalytics.records import Postmortem
from pmanalytics.settings import CorpusSettings

MAX_FRONT_MATTER_BYTES = 1_000_000
FRONT_MATTER_HELP = (
    "start the file with a line '---', then the keys id, title, severity, started_at and "
    "resolved_at, then a line '---'"
)
# fence lines: `---` (or `...` to close), trailing spaces and tabs allowed
_OPENING_FENCE = re.compile(r"---[ \t]*(?:\n|$)")
_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, but scalars other than booleans and nulls stay text.

    Timestamps, numbers and dates are then read by `values` with one set of rules,
    and `id: 007` keeps its text as the contract asks.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def decode(data: bytes) -> str:
    """UTF-8 text with a byte-order mark and CRLF accepted; Rejection otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192]:
        raise Rejection("binary data, not a Markdown text file (save it as UTF-8 text)", None)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Rejection(
            "not UTF-8 text (re-save the file as UTF-8; it looks like another encoding)", line
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line number of the body's first line)."""
    opening = _OPENING_FENCE.match(text)
    if opening is None:
        raise Rejection(f"no front matter ({FRONT_MATTER_HELP})", 1)
    start = opening.end()
    closing = _CLOSING_FENCE.search(text, start) if opening.group().endswith("\n") else None
    if closing is None:
        raise Rejection("front matter never closed (add a line '---' after the last key)", 1)
    front = text[start : closing.start()]
    if len(front.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise Rejection(
            f"front matter larger than {MAX_FRONT_MATTER_BYTES // 1_000_000} MB "
            "(keep long text in the body)", 1
        )
    body_text = text[closing.end() + 1 :]
    body_line = front.count("\n") + 3
    return front, body_text, body_line


def read_front_matter(front: str) -> dict[str, Any]:
    try:
        data = yaml.load(front, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        problem = exc.problem or "invalid YAML"
        raise Rejection(f"front matter is not valid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise Rejection(f"front matter is not valid YAML: {exc}", 1) from None
    except RecursionError:
        raise Rejection("front matter nested too deeply", 1) from None
    if data is None:
        raise Rejection(f"front matter is empty ({FRONT_MATTER_HELP})", 2)
    if not isinstance(data, dict):
        raise Rejection("front matter is not a set of 'key: value' lines", 2)
    return {str(k): v for k, v in data.items()}


def parse_postmortem(path: str, data: bytes, settings: CorpusSettings) -> tuple[Postmortem, FieldContext]:
    """Parse one Markdown file; raises Rejection with a one-line reason."""
    text = decode(data)
    front, body_text, body_line = split_front_matter(text)
    raw = read_front_matter(front)
    ctx = FieldContext(path, settings, _key_lines(front, settings.fields))
    postmortem = fields.postmortem_from_fields(raw, ctx, source_line=1, source_format="markdown")
    body.read_body(postmortem, body_text, body_line, ctx, settings)
    return postmortem, ctx


def _key_lines(front: str, mapping: Mapping[str, str]) -> Callable[[str], int | None]:
    """A lookup of the line where each top-level key is written (built on first use)."""
    lines: dict[str, int] = {}

    def line_of(key: str) -> int | None:
        if not lines:
            for number, line in enumerate(front.split("\n"), start=2):
                match = _KEY_LINE.match(line)
                if match:
                    lines.setdefault(match.group(1), number)
            lines.setdefault("\0", 0)
        return lines.get(mapping.get(key, key))

    return line_of
