"""Stage 2a: one Markdown postmortem → a typed :class:`Postmortem` (docs/corpus.md section 1).

The steps: decode → split the front matter → read it as YAML (libyaml's C loader,
safe constructors only) → type its keys (`fields`) → split the body into sections
(ignoring `## ` inside code fences) → read the timeline, actions and lessons (`body`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from pmanalytics.corpus import body, fields, values
from pmanalytics.corpus.fields import FieldContext, Rejection
from pmanalytics.corpus.records import Postmortem
from pmanalytics.corpus.settings import CorpusSettings

MAX_FRONT_MATTER_BYTES = 1_000_000
# What the front matter may hold once YAML aliases are expanded (a "billion laughs" document
# is a few lines that expand to billions of values): far above any real postmortem's.
MAX_FRONT_MATTER_VALUES = 100_000
MAX_FRONT_MATTER_CHARS = 2 * MAX_FRONT_MATTER_BYTES
MAX_FRONT_MATTER_DEPTH = 50
FRONT_MATTER_HELP = (
    "start the file with a line '---', then the keys id, title, severity, started_at and "
    "resolved_at, then a line '---'"
)
# fence lines: `---` (or `...` to close), trailing spaces and tabs allowed
_OPENING_FENCE = re.compile(r"---[ \t]*(?:\n|$)")
_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, but every scalar but null stays text (booleans too: `fields` reads them).

    Timestamps, numbers and dates are then read by `values` with one set of rules,
    and `id: 007` keeps its text (docs/corpus.md section 1.1).
    """


    def resolve(self, kind: type[yaml.Node], value: object, implicit: tuple[bool, bool]) -> str:
        """A plain `~`, `null` or nothing is null; every other scalar is text.

        What PyYAML's resolver would say with only its null pattern, without running
        regular expressions for every node (libyaml calls this once per node).
        """
        if kind is yaml.ScalarNode:
            return _NULL_TAG if implicit[0] and value in _NULLS else _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_NULL_TAG, _STR_TAG = "tag:yaml.org,2002:null", "tag:yaml.org,2002:str"
_SEQ_TAG, _MAP_TAG = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _scalar_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


# Written tags (`!!int 0x…`, `!!timestamp 2026-02-30`, `!!bool maybe`) give text too: the same
# rules then apply, and no constructor can fail on a malformed value or build a giant number.
for _tag in ("int", "float", "bool", "timestamp", "binary"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _scalar_text)


def decode(data: bytes) -> str:
    """UTF-8 text with a byte-order mark and CRLF accepted; Rejection otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    wide = _wide_encoding(data)
    if wide:
        raise Rejection(f"{wide} text: save the file as UTF-8", 1)
    if b"\x00" in data[:8192]:
        raise Rejection("binary data, not a text file (a postmortem or export must be UTF-8 text)", None)
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


def _wide_encoding(data: bytes) -> str | None:
    """The name of the encoding when the bytes are UTF-16 or UTF-32 text (told by the byte-order
    mark, or by the NUL byte that every other byte of ASCII text in UTF-16 is), else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:4096]
    if len(head) >= 8 and len(head) % 2 == 0:
        even, odd = head[0::2], head[1::2]
        for zeros, text in ((odd, even), (even, odd)):
            if zeros.count(0) == len(zeros) and 0 not in text:
                return "UTF-16"
    return None


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


NESTED_TOO_DEEPLY = (
    f"front matter nested too deeply (more than {MAX_FRONT_MATTER_DEPTH} levels; "
    "write plain keys, lists and 'category: summary' items)"
)


def read_front_matter(front: str) -> dict[str, Any]:
    """The front matter as a mapping of plain values: text, booleans, nulls, lists, mappings.

    Safe constructors only: a tag such as `!!python/object/apply` is refused with a reason,
    never constructed. The expanded value is bounded (aliases, depth) before anyone walks it.
    """
    try:
        data, built_plain = _load(front)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        raise Rejection(_constructor_problem(exc), line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        problem = " ".join((exc.problem or "invalid YAML").split())
        if "nesting depth" in problem:
            raise Rejection(NESTED_TOO_DEEPLY, line) from None
        raise Rejection(f"front matter is not valid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise Rejection(f"front matter is not valid YAML: {' '.join(str(exc).split())}", 1) from None
    except RecursionError:
        raise Rejection(NESTED_TOO_DEEPLY, 1) from None
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        # a constructor refusing a value: not expected with the constructors above, never fatal
        raise Rejection(f"front matter is not valid YAML: {' '.join(str(exc).split())}", 1) from None
    if len(front) > PLAIN_FRONT_MATTER_CHARS or not built_plain:
        _check_expanded_size(data)
    if data is None:
        raise Rejection(f"front matter is empty ({FRONT_MATTER_HELP})", 2)
    if not isinstance(data, dict):
        raise Rejection("front matter is not a set of 'key: value' lines", 2)
    return {str(k): v for k, v in data.items()}


# Front matter without tags (`!`) or anchors (`&`), as nearly all are, is built straight from
# libyaml's nodes: twice as fast as PyYAML's general constructor, with the same result. Without
# anchors nothing is shared, so below this size only the nesting depth needs watching.
PLAIN_FRONT_MATTER_CHARS = 20_000


def _is_plain(front: str) -> bool:
    return "!" not in front and "&" not in front


class _Declined(Exception):
    """The fast path leaves a document to PyYAML's constructor (nesting near the limit)."""


def _load(front: str) -> tuple[object, bool]:
    """The front matter's value, and whether the fast path built it."""
    if _is_plain(front):
        try:
            return _load_plain(front), True
        except _Declined:
            pass
    return yaml.load(front, Loader=_Loader), False


def _load_plain(front: str) -> object:
    loader = _Loader(front)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    return None if node is None else _plain_value(node, 1)


def _plain_value(node: yaml.Node, depth: int) -> object:
    """What `_Loader` would construct from `node`, for a document without tags or anchors."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value  # booleans stay text too (see _Loader)
    if depth > MAX_FRONT_MATTER_DEPTH:
        # refused only once the value is whole (a later duplicate key may replace this one):
        # the general path and its size check decide
        raise _Declined
    if isinstance(node, yaml.SequenceNode):
        return [_plain_value(item, depth + 1) for item in node.value]
    mapping: dict[object, object] = {}
    for key_node, value_node in node.value:
        key = _plain_value(key_node, depth + 1)
        if isinstance(key, dict | list):
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark)
        mapping[key] = _plain_value(value_node, depth + 1)
    return mapping


def _constructor_problem(exc: yaml.constructor.ConstructorError) -> str:
    tag = re.search(r"tag '([^']*)'", exc.problem or "")
    if tag:
        written = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return (f"front matter uses the YAML tag {written!r}, which pmanalytics never runs or builds "
                "(remove the tag and write a plain value)")
    problem = " ".join((exc.problem or "invalid YAML").split())
    return f"front matter is not valid YAML: {problem}"


def _check_expanded_size(data: object) -> None:
    try:
        values.check_size(data, max_values=MAX_FRONT_MATTER_VALUES, max_chars=MAX_FRONT_MATTER_CHARS,
                          max_depth=MAX_FRONT_MATTER_DEPTH)
    except values.TooComplex as exc:
        if exc.shared or "characters" in str(exc):
            raise Rejection(
                f"front matter too complex (YAML aliases expand to {exc}; write the values out "
                "instead of repeating them with '*name')", 1,
            ) from None
        if "nesting" in str(exc):
            raise Rejection(NESTED_TOO_DEEPLY, 1) from None
        raise Rejection(f"front matter too large ({exc}; keep long lists in the body)", 1) from None


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
