"""Property-based: documents mutated from the sample corpus never make a load or a check raise.

Each mutated corpus ends with every file loaded, rejected with a one-line reason, or skipped,
and the counts add up to the files seen. Mutations: truncation, flipped bytes, dropped or
retyped keys (lists, mappings, aliases, tags, absurd dates), unclosed fences, ragged tables,
junk inserted anywhere; and for the exports, mutated CSV and JSON rows of any shape.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.corpus import document as parse_markdown

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
# a few real documents: English and French, list and table timelines, many and no actions
DOCUMENTS = [(SAMPLE / "2025" / f"PM-2025-{n:04d}.md").read_bytes() for n in (1, 2, 3, 6, 9)]
EXPORT_LINES = {
    name: (SAMPLE / name).read_text(encoding="utf-8").splitlines(keepends=True)[:12]
    for name in ("actions.csv", "incidents.csv")
}
MARKER = "pmanalytics-constructed-a-tag"

HOSTILE_VALUES = [
    "[]", "{}", "[a, [b, [c]]]", "{a: {b: c}}", "123", "-1", "1.5e309", "true", "null", "~", "''",
    "!!binary aGVsbG8=", "&x [*x]", "&y {k: *y}", f'!!python/object/apply:os.system ["touch {MARKER}"]',
    "!!python/name:os.system", "!custom tag", "*undefined_alias", "@@@", "|\n  multi\n  line",
    '"9999-12-31T23:59:59-23:59"', '"0001-01-01T00:00:00+01:00"', "2026-02-30", '"99999-01-01"',
    "1628-08-10T16:00:00", ".nan", "!!float .inf", '"<script>alert(1)</script>"', '"\\0"', '"\\ud800"',
    "[S1, S2]", "P9", "SEV-1", "{category: [x], summary: {a: b}, tags: [[1]]}",
    "[{category: config}, 'monitoring: x', [1], 3, null, {a: b}]", "[{category: config, tags: [[1], {a: b}]}]",
]
ABSURD_DATES = ["0000-00-00", "0001-01-01", "1628-08-10", "9999-12-31", "2026-13-45", "10000-01-01", "2026-02-29",
                "1970-01-01T00:00:00-23:59"]
JUNK = ["\r", "\x00", "\ufeff", "---\n", "...\n", "```\n", "~~~\n", "## Timeline\n", "## Corrective actions\n",
        "| Action | Due | Status |\n", "|---|\n", "| x | 2026-99-99 | ??? |\n", "- 25:61 — nope\n", "- 23:59 — late\n",
        "- 9999-12-31 23:59 — end of time\n", "**What went well**\n", "\t", "\u2028", "&a [*a]\n", "key: *a\n",
        "\\", "'", '"', "{", "[", "é", "\U0001f525"]

Draw = Callable[..., object]


def _split(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def truncate(draw: Draw, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def flip_bytes(draw: Draw, data: bytes) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    start = draw(st.sampled_from([0, data.find(b"\n---", 4) + 5]))  # anywhere, or in the body
    for _ in range(draw(st.integers(1, 8))):
        buffer[draw(st.integers(min(start, len(buffer) - 1), len(buffer) - 1))] = draw(st.integers(0, 255))
    return bytes(buffer)


def _front_matter_keys(lines: list[bytes]) -> list[int]:
    closing = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == b"---"), len(lines))
    return [i for i in range(1, closing) if re.match(rb"^[A-Za-z_]\w*:", lines[i])]


def drop_key(draw: Draw, data: bytes) -> bytes:
    lines = _split(data)
    keys = _front_matter_keys(lines)
    if keys:
        del lines[draw(st.sampled_from(keys))]
    return b"\n".join(lines)


def retype_key(draw: Draw, data: bytes) -> bytes:
    lines = _split(data)
    keys = _front_matter_keys(lines)
    if keys:
        index = draw(st.sampled_from(keys))
        key = lines[index].split(b":", 1)[0]
        lines[index] = key + b": " + draw(st.sampled_from(HOSTILE_VALUES)).encode("utf-8")
    return b"\n".join(lines)


def add_key(draw: Draw, data: bytes) -> bytes:
    lines = _split(data)
    keys = _front_matter_keys(lines)
    key = draw(st.sampled_from(["root_causes", "services", "tags", "public", "status", "severity", "id",
                                "custom_key", "x-extra", "custom_key", "x-extra", "1", "null", "? [a]"]))
    line = f"{key}: {draw(st.sampled_from(HOSTILE_VALUES))}".encode()
    lines.insert(draw(st.sampled_from(keys)) if keys else 1, line)
    return b"\n".join(lines)


def unclose_fence(draw: Draw, data: bytes) -> bytes:
    lines = _split(data)
    if draw(st.booleans()):
        closing = [i for i, line in enumerate(lines[1:], 1) if line.strip() == b"---"]
        if closing:
            del lines[closing[0]]
    else:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([b"```", b"~~~~", b"```python"])))
    return b"\n".join(lines)


def ragged_table(draw: Draw, data: bytes) -> bytes:
    lines = _split(data)
    rows = [i for i, line in enumerate(lines) if line.lstrip().startswith(b"|")]
    for _ in range(draw(st.integers(1, 3))):
        if not rows:
            break
        index = draw(st.sampled_from(rows))
        cells = lines[index].split(b"|")
        choice = draw(st.integers(0, 3))
        if choice == 0 and len(cells) > 2:
            del cells[draw(st.integers(1, len(cells) - 2))]
        elif choice == 1:
            cells.insert(draw(st.integers(0, len(cells))), draw(st.sampled_from([b" extra ", b"", b" | ", b"\\"])))
        elif choice == 2:
            cells = cells[: draw(st.integers(0, len(cells)))]
        else:
            lines.insert(index, lines[index])
        lines[index] = b"|".join(cells)
    return b"\n".join(lines)


def absurd_date(draw: Draw, data: bytes) -> bytes:
    dates = list(re.finditer(rb"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?", data))
    if not dates:
        return data
    match = draw(st.sampled_from(dates))
    return data[: match.start()] + draw(st.sampled_from(ABSURD_DATES)).encode() + data[match.end():]


def insert_junk(draw: Draw, data: bytes) -> bytes:
    junk = draw(st.one_of(st.sampled_from(JUNK), st.text(max_size=20)))
    at = draw(st.integers(0, len(data)))
    return data[:at] + junk.encode("utf-8", "surrogatepass") + data[at:]


# weighted: the mutations that keep the front matter readable go deeper into the code
MUTATIONS = [truncate, flip_bytes, drop_key, retype_key, retype_key, retype_key, add_key, add_key, add_key,
             unclose_fence, ragged_table, ragged_table, absurd_date, absurd_date, insert_junk, insert_junk]


@st.composite
def mutated_document(draw: Draw) -> bytes:
    data = draw(st.sampled_from(DOCUMENTS))
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4)):
        data = mutation(draw, data)
    return data


corpora = st.lists(mutated_document(), min_size=1, max_size=3)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _write_corpus(folder: Path, documents: list[bytes]) -> int:
    """The documents as postmortems (one in a sub-folder) plus a skipped README; files written."""
    (folder / "sub").mkdir()
    for index, data in enumerate(documents):
        (folder / ("sub" if index == 1 else ".") / f"doc{index}.md").write_bytes(data)
    (folder / "README.md").write_bytes(documents[0])
    return len(documents) + 1


def _assert_accounted_for(report: pm.LoadReport, files: int) -> None:
    assert report.files_seen == files
    assert report.skipped == 1
    assert report.loaded + report.rejected + report.skipped == report.files_seen
    errors = [p for p in report.problems if p.level == "error"]
    # a rejected file lists every problem it has, and counts once (docs/corpus.md section 5)
    assert len({p.path for p in errors}) == report.rejected
    loaded = {p.path for p in report.problems} - {p.path for p in errors}
    assert len(loaded) <= report.loaded  # the others hold warnings only
    for problem in report.problems:
        assert problem.message.strip()
        assert "\n" not in str(problem) and "\r" not in str(problem)


@pytest.mark.slow
@PROPERTY
@given(corpora)
def test_check_never_raises_and_every_file_is_accounted_for(documents: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        files = _write_corpus(folder, documents)
        report = pm.check(folder)
        _assert_accounted_for(report, files)
        assert not (Path(tmp) / MARKER).exists() and not Path(MARKER).exists()


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora)
def test_load_never_raises_and_the_database_agrees(documents: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        files = _write_corpus(folder, documents)
        report = pm.load(folder, Path(tmp) / "pm.duckdb")
        _assert_accounted_for(report, files)
        with pm.open_database(Path(tmp) / "pm.duckdb") as db:
            outcomes = db.sql("SELECT outcome, count(*) AS n FROM files GROUP BY outcome")
            counted = dict(zip(outcomes["outcome"], outcomes["n"], strict=True))
            assert counted == {k: v for k, v in (("loaded", report.loaded), ("rejected", report.rejected),
                                                 ("skipped", report.skipped)) if v}
            assert len(db.table("postmortems")) == report.loaded
            assert len(db.table("load_problems")) == len(report.problems)


@pytest.mark.slow
@PROPERTY
@given(corpora)
def test_the_check_command_prints_one_line_per_problem(documents: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        _write_corpus(folder, documents)
        result = CliRunner().invoke(cli, ["check", str(folder)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        report = pm.check(folder)
        assert result.exit_code == (1 if report.rejected else 0)
        assert result.stdout.splitlines() == [str(p) for p in report.problems]
        assert result.stderr.strip().splitlines()[-1].startswith(f"{report.loaded} loaded, {report.rejected} rejected")


# --- exports ---------------------------------------------------------------------------------

CONTRACT_KEYS = ["id", "title", "severity", "started_at", "resolved_at", "detected_at", "published_at", "status",
                 "public", "services", "teams", "tags", "root_causes", "postmortem_id", "action", "due", "closed"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["S1", "2026-01-05T10:00:00Z", "9999-12-31T23:59:59-23:59", "PM-1", "done", "a;b"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
json_rows = st.lists(st.one_of(st.dictionaries(st.sampled_from(CONTRACT_KEYS), json_values, max_size=8), json_values),
                     max_size=4)


def _mutated_lines(draw: Draw, lines: list[str]) -> bytes:
    data = "".join(lines).encode("utf-8")
    for mutation in draw(st.lists(st.sampled_from([truncate, flip_bytes, insert_junk, ragged_table]), max_size=3)):
        data = mutation(draw, data)
    return data


@st.composite
def export_files(draw: Draw) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, lines in EXPORT_LINES.items():
        if draw(st.booleans()):
            files[name] = _mutated_lines(draw, lines)
    stem = draw(st.sampled_from(["postmortems", "actions", "incidents"]))
    rows = draw(json_rows)
    if draw(st.booleans()):
        files[f"{stem}.json"] = json.dumps(rows).encode("utf-8")
    else:
        files[f"{stem}.ndjson"] = "\n".join(json.dumps(row) for row in rows).encode("utf-8")
    return files


@pytest.mark.slow
@PROPERTY
@given(export_files(), st.lists(mutated_document(), max_size=2))
def test_mutated_exports_never_raise(exports: dict[str, bytes], documents: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        for name, data in exports.items():
            (folder / name).write_bytes(data)
        for index, data in enumerate(documents):
            (folder / f"doc{index}.md").write_bytes(data)
        report = pm.check(folder)
        assert report.files_seen == len(exports) + len(documents)
        # a rejected file lists every problem it has, and counts once (docs/corpus.md section 5)
        errors = [p.path for p in report.problems if p.level == "error"]
        markdown = {path for path in errors if path.endswith(".md")}
        assert report.rejected == len(markdown) + len([path for path in errors if not path.endswith(".md")])
        for problem in report.problems:
            assert problem.message.strip()
            assert "\n" not in str(problem)


# --- the front matter's fast path ----------------------------------------------------------

yaml_scalars = st.one_of(
    st.sampled_from(["", "~", "null", "Null", "NULL", "yes", "No", "on", "TRUE", "007", "0x1F", "1.5e3", ".inf",
                     "2026-03-04", "2026-03-04T09:12:00+01:00", "'quoted'", '"double"', "a: b", "- x", "[", "é"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="!&"), max_size=12),
)


@st.composite
def plain_front_matter(draw: Draw) -> str:
    """YAML without tags or anchors, of the shapes postmortems use and some they do not."""
    lines = []
    for index in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from(["id", "title", "public", "services", "root_causes", f"k{index}", "? [a]", "'q'"]))
        shape = draw(st.sampled_from(["scalar", "quoted", "flow", "block", "mapping", "nested"]))
        value = draw(yaml_scalars)
        if shape == "scalar":
            lines.append(f"{key}: {value}")
        elif shape == "quoted":
            lines.append(f"{key}: {json.dumps(value)}")
        elif shape == "flow":
            lines.append(f"{key}: [{value}, {draw(yaml_scalars)}]")
        elif shape == "block":
            lines += [f"{key}:", f"  - {value}", f"  - {draw(yaml_scalars)}"]
        elif shape == "mapping":
            lines += [f"{key}:", f"  - category: {value}", f"    summary: {draw(yaml_scalars)}"]
        else:
            depth = draw(st.integers(1, 60))
            lines.append(f"{key}: " + "[" * depth + "x" + "]" * (depth - draw(st.sampled_from([0, 0, 0, 1]))))
    return "\n".join(lines) + "\n"


def _outcome(read: Callable[[str], object], front: str) -> object:
    try:
        return read(front)
    except Exception as exc:  # the same refusal, whichever way it was read
        return type(exc).__name__, str(exc)


@PROPERTY
@given(plain_front_matter())
def test_plain_front_matter_reads_as_the_general_loader_does(front: str) -> None:
    """Front matter without tags or anchors is built straight from libyaml's nodes: the
    result, or the refusal, is what PyYAML's constructor gives with the same resolver."""
    if not parse_markdown._is_plain(front):
        return
    fast = _outcome(parse_markdown.read_front_matter, front)
    with mock.patch.object(parse_markdown, "_is_plain", return_value=False):
        general = _outcome(parse_markdown.read_front_matter, front)
    assert fast == general


@pytest.mark.parametrize("depth", [48, 49, 50, 51, 200])
@pytest.mark.parametrize("nest", [lambda d: "[" * d + "x" + "]" * d, lambda d: "\n" + "".join(
    f"{'  ' * i}- \n" for i in range(d)) + "  " * d + "x"], ids=["flow", "block"])
def test_the_fast_path_refuses_the_same_nesting(depth: int, nest: Callable[[int], str]) -> None:
    """The 50 levels that the general path allows (the key's mapping is the first)."""
    front = f"key: {nest(depth)}\n"
    fast = _outcome(parse_markdown.read_front_matter, front)
    with mock.patch.object(parse_markdown, "_is_plain", return_value=False):
        general = _outcome(parse_markdown.read_front_matter, front)
    assert fast == general
    assert ("nested too deeply" in str(fast)) == (depth >= 50)


# pieces of the common front matter lines (`key: value`, `[a, b]`, `- item`, `- key: value`), and
# near misses: the line reader must read the first as YAML does, and leave the others to libyaml
COMMON_TEXTS = [
    "", "~", "null", "Null", "NULL", "nUll", "S2", "false", "007", "2026-03-04T09:12:00+01:00", "09:12", "a b",
    "a  b", "https://x.example/a?b=c", "a:b", "a-b", "it's", "x'y", "é", "ü ñ", "a\u00a0b", "...", "---", "<<",
    "=", "=x", "~x", "a ", "a.b", "(a) b/c", "\U0001f525", "100%", "a@b", "a!", "a&b", "a*", "a>b", "a|b", "x?",
]
NEAR_MISS_TEXTS = [
    "a: b", "a:", ":a", "a :b", "a #b", "a#b", "-1", "- x", "?x", "a, b", "[a]", "{a: b}", "&x", "*x", "!x", "|",
    ">", "%x", "@x", "`x`", "'", '"', "\u00a0", "\u0085", "\u2028", "\ufeff", "\t", "\x07", "\x7f", "\\",
    "a\\b", " a", "a,b", "a]", "a::b", "a:\u00e9",
]
COMMON_KEYS = ["id", "title", "services", "root_causes", "summary", "category", "tags", "published_to", "a-b", "_x"]
NEAR_MISS_KEYS = ["null", "~", "1x", "k y", "é", "x" * 101, "'q'", '"q"', "? k", "a:b"]


def _pick(draw: Draw, common: list[str], near_misses: list[str], miss: bool) -> str:
    """One of `common`, or, for a front matter with near misses, sometimes one of `near_misses`."""
    if miss and draw(st.integers(0, 7)) == 7:  # one near miss in 8 pieces
        return draw(st.one_of(st.sampled_from(near_misses), st.text(
            alphabet=st.characters(blacklist_categories=("Cs",)), max_size=4)))
    return draw(st.sampled_from(common))


@st.composite
def common_value(draw: Draw, miss: bool) -> str:
    text = _pick(draw, COMMON_TEXTS, NEAR_MISS_TEXTS, miss)
    form = draw(st.sampled_from(["plain", "plain", "double", "single", "flow", "flow"]))
    if form == "double":
        return f'"{text}"'
    if form == "single":
        return "'" + text.replace("'", _pick(draw, ["''"], ["'"], miss)) + "'"
    if form == "flow":
        items = [_pick(draw, [t for t in COMMON_TEXTS if ":" not in t and "'" not in t and t] + [f'"{text}"'],
                       NEAR_MISS_TEXTS, miss) for _ in range(draw(st.integers(0, 3)))]
        separator = _pick(draw, [", ", ",", " , ", ",  "], [", ,", ":"], miss)
        return _pick(draw, ["[", "[ "], ["[["], miss) + separator.join(items) + _pick(draw, ["]", " ]"], [",]"], miss)
    return text


@st.composite
def common_front_matter(draw: Draw) -> str:
    """Front matter of the common lines, and often a near miss: wrong indents, odd spaces, signs YAML reads."""
    miss = draw(st.booleans())
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        key = _pick(draw, COMMON_KEYS, NEAR_MISS_KEYS, miss)
        space = _pick(draw, [" ", " ", "  "], ["", "\t"], miss)
        shape = draw(st.sampled_from(["scalar", "scalar", "bare", "block", "mappings", "blank"]))
        if shape == "scalar":
            lines.append(f"{key}:{space}{draw(common_value(miss))}" + _pick(draw, ["", " "], ["  #c", "\t"], miss))
        elif shape == "blank":
            lines.append(_pick(draw, ["", " ", "   "], ["# comment", "\t", " #"], miss))
        else:
            lines.append(f"{key}:" + _pick(draw, ["", "", " "], [" #c"], miss))
            dash = draw(st.sampled_from(["", "  ", "  ", "    "]))
            for _ in range(draw(st.integers(0 if shape == "bare" else 1, 3))):
                indent = _pick(draw, [dash], [dash + " ", dash[:-1], " " * 8], miss)
                if shape != "mappings":
                    lines.append(f"{indent}-{space}{draw(common_value(miss))}")
                    continue
                marker = _pick(draw, ["- ", "- ", "-  "], ["-"], miss)
                first, value = _pick(draw, COMMON_KEYS, NEAR_MISS_KEYS, miss), draw(common_value(miss))
                lines.append(f"{indent}{marker}{first}:{space}{value}")
                column = len(indent) + len(marker) + (draw(st.sampled_from([0, 0, 1, -1, 2])) if miss else 0)
                for _ in range(draw(st.integers(0, 2))):
                    more = _pick(draw, COMMON_KEYS, NEAR_MISS_KEYS, miss)
                    lines.append(" " * max(column, 0) + f"{more}:{space}{draw(common_value(miss))}")
    return "\n".join(lines) + "\n"


def _front_matter_outcome(front: str) -> object:
    try:
        read = parse_markdown.parse_front_matter(front)
    except Exception as exc:  # the same refusal, whichever way it was read
        return type(exc).__name__, str(exc), getattr(exc, "line", None)
    return repr(read.values), read.key_lines, read.duplicates


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(common_front_matter())
def test_common_front_matter_reads_as_yaml_does(front: str) -> None:
    """The line reader of the common front matter gives libyaml's values, key lines and
    duplicates, or leaves the front matter to it (and so to its refusals)."""
    read = _front_matter_outcome(front)
    with mock.patch.object(parse_markdown, "_common_front_matter", return_value=None):
        by_libyaml = _front_matter_outcome(front)
    assert read == by_libyaml


# (front matter, whether the line reader takes it): lines whose indent changes what YAML reads
COMMON_INDENTS = [
    ("tags:\n  - a\n  - b\n", True), ("tags:\n- a\n- b\n", True), ("tags:\n\n  - a\n\n  - b\n", True),
    ("tags:\n  - a\n   - b\n", False), ("tags:\n  - a\n - b\n", False), ("tags:\n- a\n  - b\n", False),
    ("tags:\n  - a\n    - b\n", False), ("id: a\n  - b\n", False), ("id: a\n  b\n", False),
    ("tags:\n  - a\nid: x\n  - b\n", False),
    ("rc:\n  - category: a\n    summary: b\n", True), ("rc:\n- category: a\n  summary: b\n", True),
    ("rc:\n-  category: a\n   summary: b\n", True), ("rc:\n  - category: a\n    summary: b\n  - c\n", True),
    ("rc:\n  - category: a\n    category: b\n", True), ("rc:\n  - category: a\n     summary: b\n", False),
    ("rc:\n  - category: a\n   summary: b\n", False), ("rc:\n  - category: a\n  summary: b\n", False),
    ("rc:\n  - a\n    summary: b\n", False),
]


@pytest.mark.parametrize(("front", "line_by_line"), COMMON_INDENTS)
def test_common_front_matter_indents_read_as_yaml_does(front: str, line_by_line: bool) -> None:
    """An item or a key indented one column off is another YAML value, or none: libyaml reads it."""
    assert (parse_markdown._common_front_matter(front) is not None) == line_by_line
    read = _front_matter_outcome(front)
    with mock.patch.object(parse_markdown, "_common_front_matter", return_value=None):
        assert read == _front_matter_outcome(front)


def test_the_sample_front_matter_is_read_line_by_line() -> None:
    """The comparison above is not empty: the sample's front matter takes the line reader."""
    for document in DOCUMENTS:
        front = parse_markdown.split_front_matter(parse_markdown.decode(document))[0]
        assert parse_markdown._common_front_matter(front) is not None
