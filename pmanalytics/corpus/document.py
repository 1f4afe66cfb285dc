"""Stage 2a: one Markdown postmortem → a typed :class:`Postmortem` (docs/corpus.md section 1).

The steps: decode → split the front matter → read it as YAML (libyaml's C loader,
safe constructors only) → type its keys (`fields`) → split the body into sections
(ignoring `## ` inside code fences) → read the timeline, actions and lessons (`body`).

YAML that cannot be read is refused with what to change and where (`yaml_problem`): a colon
in a value, a tab, an unclosed quote or bracket; the line of each key comes from the YAML
nodes, and a key written twice gives a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    "start the file with a line '---', then the keys id, title, severity and started_at "
    "(and resolved_at once the incident is closed), then a line '---'"
)
# fence lines: `---` (or `...` to close), trailing spaces and tabs allowed
_OPENING_FENCE = re.compile(r"---[ \t]*(?:\n|$)")
_CLOSING_FENCE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\n|$)")  # from the end of the line before
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_HEADING = re.compile(r"^#{2,6}\s")
_YAML_LIKE = re.compile(r"^(?:$|[ \t]|- |#)")


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
    if data.find(b"\x00", 0, 8192) >= 0:
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
    if data.find(b"\x00", 0, 4096) < 0:  # UTF-16 text of ASCII is half NUL bytes
        return None
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
    closing = _CLOSING_FENCE.search(text, start - 1) if opening.group().endswith("\n") else None
    if closing is None:
        last_key = _last_key_line(text[start:])
        where = f"below line {last_key}, the last key" if last_key else "after the last key"
        raise Rejection(f"front matter never closed (add a line '---' {where})", last_key or 1)
    front = text[start : closing.start() + 1]
    if len(front.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise Rejection(
            f"front matter larger than {MAX_FRONT_MATTER_BYTES // 1_000_000} MB "
            "(keep long text in the body)", 1
        )
    body_text = text[closing.end() + 1 :]
    body_line = front.count("\n") + 3
    return front, body_text, body_line


def _last_key_line(rest: str) -> int | None:
    """The file line of the last `key:` line of a front matter that is never closed: the keys
    run until a `## ` heading or the first line that is neither YAML-like nor a key."""
    last = None
    for number, line in enumerate(rest.split("\n"), start=2):
        if _KEY_LINE.match(line):
            last = number
        elif _HEADING.match(line) or not _YAML_LIKE.match(line):
            break
    return last


NESTED_TOO_DEEPLY = (
    f"front matter nested too deeply (more than {MAX_FRONT_MATTER_DEPTH} levels; "
    "write plain keys, lists and 'category: summary' items)"
)


@dataclass
class FrontMatter:
    """The front matter's values, and where its top-level keys are written (file lines)."""

    values: dict[str, Any]
    key_lines: dict[str, int] = field(default_factory=dict)  # of the occurrence whose value counts
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)  # (key, first line, later line)


def read_front_matter(front: str) -> dict[str, Any]:
    """The front matter as a mapping of plain values: text, booleans, nulls, lists, mappings."""
    return parse_front_matter(front).values


def parse_front_matter(front: str) -> FrontMatter:
    """The front matter's values and key lines.

    Safe constructors only: a tag such as `!!python/object/apply` is refused with a reason,
    never constructed. The expanded value is bounded (aliases, depth) before anyone walks it.
    """
    common = _common_front_matter(front)
    if common is not None:
        if len(front) > PLAIN_FRONT_MATTER_CHARS:
            _check_expanded_size(common.values)
        return common
    try:
        data, built_plain, node = _load(front)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        raise Rejection(_constructor_problem(exc), line) from None
    except yaml.MarkedYAMLError as exc:
        problem = " ".join((exc.problem or "invalid YAML").split())
        if "nesting depth" in problem:
            raise Rejection(NESTED_TOO_DEEPLY, exc.problem_mark.line + 2 if exc.problem_mark else 1) from None
        raise Rejection(*yaml_problem(exc, front)) from None
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
    front_matter = FrontMatter({str(k): v for k, v in data.items()})
    if isinstance(node, yaml.MappingNode):
        _find_key_lines(node, front_matter)
    return front_matter


def _find_key_lines(node: yaml.MappingNode, front_matter: FrontMatter) -> None:
    """The line of each top-level key from the YAML node marks; a later duplicate wins, as in YAML."""
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key, line = str(key_node.value), key_node.start_mark.line + 2
        if key in front_matter.key_lines:
            front_matter.duplicates.append((key, front_matter.key_lines[key], line))
        front_matter.key_lines[key] = line


def yaml_problem(exc: yaml.MarkedYAMLError, front: str) -> tuple[str, int]:
    """What PyYAML could not read, as what to change, and the file line to change it on.

    libyaml names what its parser expected; a person needs the usual causes: a colon in a
    value, a tab, an unclosed quote or bracket, a value starting with a YAML sign.
    """
    lines = front.split("\n")
    mark, opened = exc.problem_mark, exc.context_mark
    at = opened if opened is not None and _OPENED_ELSEWHERE.search(exc.context or "") else mark
    row = at.line if at is not None else 0
    text = lines[row] if row < len(lines) else ""
    column = mark.column if mark is not None and mark.line == row else len(text)
    fix = _yaml_fix(" ".join((exc.problem or "").split()), exc.context or "", text, column)
    if fix is None:
        fix = " ".join((exc.problem or "invalid YAML").split())
    return f"front matter is not valid YAML: {fix}", row + 2


# the problems whose cause is where something was opened (a quote, a bracket, a key), not where it ends
_OPENED_ELSEWHERE = re.compile(r"quoted scalar|flow sequence|flow mapping|simple key")
_YAML_SIGNS = "@`%*&|>!"


def _yaml_fix(problem: str, context: str, text: str, column: int) -> str | None:
    """The fix for one of the usual causes, with the line rewritten; None for another cause."""
    char = text[column] if column < len(text) else ""
    if "tab" in problem or char == "\t":
        return "a tab: indent with spaces"
    if "quoted scalar" in context and "escape" in problem:
        key, _, value = text.strip().partition(": ")
        unquoted = f"{key}: {value.strip()[1:-1]}" if value.strip().endswith('"') else text
        return f"a backslash in a double-quoted value: use single quotes — `{_quoted(unquoted, single=True)}`"
    if "quoted scalar" in context:
        quote = _opening_quote(text)
        return f"an unclosed quote: end the value with {quote} — `{text.strip()}{quote}`"
    for kind, closing in (("flow sequence", "]"), ("flow mapping", "}")):
        if kind in context:
            opening = "[" if closing == "]" else "{"
            if text.rstrip().endswith(","):  # the list goes on below: no one-line example
                return f"an unclosed '{opening}': close it with '{closing}' after its last item"
            return f"an unclosed '{opening}': close it with '{closing}' — `{text.strip()}{closing}`"
    if problem.startswith("mapping values are not allowed"):
        if ": " in text[:column]:
            return f"a colon in a value: quote it — `{_quoted(text)}`"
        return f"an indented key: start '{text.strip().partition(':')[0]}' at the beginning of its line"
    if "simple key" in context:
        return "a line without 'key: value': write the key, or indent the line under the key it continues"
    if "did not find expected key" in problem and any(q in text[:column] for q in "\"'"):
        return f"text after a closing quote: quote the whole value — `{_quoted(text, single=True)}`"
    if "did not find expected key" in problem and text.startswith("- "):
        return "a list item where a key was expected: indent it under the key of its list"
    value_start = _value_of(text)
    if value_start and value_start[0] in _YAML_SIGNS:
        return f"a value starting with '{value_start[0]}': quote it — `{_quoted(text)}`"
    return None


def _value_of(text: str) -> str:
    """The value of a `key: value` line (or of a `- item` line)."""
    head, colon, value = text.strip().partition(": ")
    if colon:
        return value.strip()
    return head[2:].strip() if head.startswith("- ") else ""


def _quoted(text: str, *, single: bool = False) -> str:
    """`key: value` with the value quoted (double quotes unless it holds a quote or a backslash)."""
    key, _, value = text.strip().partition(": ")
    value = value.strip()
    if not single and '"' not in value and "\\" not in value:
        return f'{key}: "{value}"'
    escaped = value.replace("'", "''")
    return f"{key}: '{escaped}'"


def _opening_quote(text: str) -> str:
    value = _value_of(text)
    return value[0] if value[:1] in ("'", '"') else '"'


# Front matter without tags (`!`) or anchors (`&`), as nearly all are, is built straight from
# libyaml's nodes: twice as fast as PyYAML's general constructor, with the same result. Without
# anchors nothing is shared, so below this size only the nesting depth needs watching.
PLAIN_FRONT_MATTER_CHARS = 20_000


def _is_plain(front: str) -> bool:
    return "!" not in front and "&" not in front


class _Declined(Exception):
    """The fast path leaves a document to PyYAML's constructor (nesting near the limit)."""


def _load(front: str) -> tuple[object, bool, yaml.Node | None]:
    """The front matter's value, whether the fast path built it, and its node (for the key lines)."""
    loader = _Loader(front)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, True, None
        if _is_plain(front):
            try:
                return _plain_value(node, 1), True, node
            except _Declined:
                pass
        return loader.construct_document(node), False, node
    finally:
        loader.dispose()


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


# --- common front matter, read line by line ------------------------------------------------
# Nearly all front matter is `key: value` lines, `[a, b]` lists, and `- item` lines below a bare
# `key:` (`- category: value` items with more `key: value` lines below them), each value plain
# or quoted on one line. libyaml makes Python node objects of every value before they are walked
# (more than half the cost of a postmortem's front matter); such lines are read here instead,
# with YAML's result (tests/test_properties.py compares the two). A front matter with any other
# line is left to libyaml: a comment, a deeper nesting, a value over two lines, an escape, an
# anchor, a tag, a tab, or a character that YAML refuses.

# what YAML reads as text: no tab, no line break but \n, no byte-order mark, no control
_PRINTABLE = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
_CHAR = r"""[^\s"'#:,\[\]{}\\&*!|>%@`]"""  # of a plain value: never a sign YAML reads
_WORD = rf"{_CHAR}++(?::{_CHAR}++)*+"  # a colon inside a word (09:12, https://) is text
_PLAIN = rf"(?![-?]){_WORD}(?: +{_WORD})*+"
_FLOW_PLAIN = rf"(?![-?]){_CHAR}++(?: +{_CHAR}++)*+"  # in a [list], a colon ends an item
_DOUBLE_QUOTED = r'"[^"\\]*"'  # without escapes
_SCALAR = rf"{_PLAIN}|{_DOUBLE_QUOTED}|'(?:[^']|'')*'"
_FLOW_ITEM = rf"{_FLOW_PLAIN}|{_DOUBLE_QUOTED}"
_VALUE = rf"{_SCALAR}|\[ *(?:(?:{_FLOW_ITEM})(?: *, *(?:{_FLOW_ITEM}))*+)? *\]"
_KEY = "[A-Za-z_][A-Za-z0-9_-]{0,100}"
_COMMON_KEY_LINE = re.compile(rf"({_KEY}):(?: +({_VALUE}))? *")  # a bare `key:` may open a list
_COMMON_ITEM_LINE = re.compile(rf"( *)(- +)(?:({_KEY}): +({_VALUE})|({_SCALAR})) *")  # `- text` or `- key: value`
_COMMON_ENTRY_LINE = re.compile(rf"( +)({_KEY}): +({_VALUE}) *")  # more of a `- key: value` item
_FLOW_ITEMS = re.compile(_FLOW_ITEM)


def _common_front_matter(front: str) -> FrontMatter | None:
    """The front matter when each of its lines is a common one, else None (libyaml reads it)."""
    if not _PRINTABLE.fullmatch(front):
        return None
    front_matter = FrontMatter({})
    values, key_lines = front_matter.values, front_matter.key_lines
    key = ""  # the last key of the front matter
    items: list[object] | None = None  # its list, when it is a bare `key:`
    dash = -1  # the column of the `-` of its items, once there is one
    entries: dict[str, object] | None = None  # the last item, when it is a `- key: value` one
    column = -1  # the column of that item's keys
    for number, line in enumerate(front.split("\n"), start=2):
        if not line.strip(" "):
            continue
        if line[0] not in " -":
            written = _COMMON_KEY_LINE.fullmatch(line)
            if written is None or written[1] in _NULLS:  # a null key is not text
                return None
            key = written[1]
            if key in key_lines:
                front_matter.duplicates.append((key, key_lines[key], number))
            key_lines[key] = number
            values[key] = None if written[2] is None else _written_value(written[2])
            items, dash, entries = ([] if written[2] is None else None), -1, None
            continue
        item = _COMMON_ITEM_LINE.fullmatch(line)
        if item is not None and items is not None and dash in (-1, len(item[1])):
            if dash == -1:
                dash, values[key] = len(item[1]), items
            if item[3] is None:
                items.append(_written_scalar(item[5]))
                entries = None
            elif item[3] in _NULLS:
                return None
            else:
                entries, column = {item[3]: _written_value(item[4])}, len(item[1]) + len(item[2])
                items.append(entries)
            continue
        entry = _COMMON_ENTRY_LINE.fullmatch(line)
        if entry is None or entries is None or len(entry[1]) != column or entry[2] in _NULLS:
            return None
        entries[entry[2]] = _written_value(entry[3])
    return front_matter if values else None


def _written_value(text: str) -> str | list[str | None] | None:
    if text[0] == "[":
        return [_written_scalar(item) for item in _FLOW_ITEMS.findall(text[1:-1])]
    return _written_scalar(text)


def _written_scalar(text: str) -> str | None:
    """What `_Loader` makes of a one-line scalar: a plain null is None, anything else text."""
    if text[0] == '"':
        return text[1:-1]
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    return None if text in _NULLS else text


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
    front_matter = parse_front_matter(front)
    ctx = FieldContext(path, settings, _key_lines(front_matter.key_lines, settings.fields))
    for key, first, later in front_matter.duplicates:
        ctx.warn(key, f"duplicate key {key!r}: line {later} repeats line {first}, and its value is used "
                 "(remove one of them)", later)
    postmortem = fields.postmortem_from_fields(front_matter.values, ctx, source_line=1, source_format="markdown")
    body.read_body(postmortem, body_text, body_line, ctx, settings)
    return postmortem, ctx


def _key_lines(lines: Mapping[str, int], mapping: Mapping[str, str]) -> Callable[[str], int | None]:
    """The line where a key of docs/corpus.md 1.1 is written, under the corpus's own name."""
    return lambda key: lines.get(mapping.get(key, key))
