"""Stage 2b: the tabular exports at the corpus root (docs/corpus.md section 2).

`postmortems.*`, `actions.*` and `incidents.*`, each as CSV, a JSON array of objects,
or NDJSON. Rows are read with the standard `csv` and `json` modules; each row becomes
the same records as a Markdown postmortem, and a bad row is rejected alone.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from pmanalytics.corpus import values
from pmanalytics.corpus.body import action_from_row
from pmanalytics.corpus.fields import FieldContext, Rejection, hidden_key_warning, postmortem_from_fields
from pmanalytics.corpus.records import FileResult, Incident, Problem
from pmanalytics.corpus.settings import CorpusSettings, hidden_keys
from pmanalytics.corpus.vocabulary import ACTION_COLUMN_INDEX, fold

LIST_SEPARATOR = ";"
# What one row may hold (a JSON row can nest): far above any real export's.
MAX_ROW_VALUES = 10_000
MAX_ROW_CHARS = 1_000_000
MAX_ROW_DEPTH = 20
MAX_JSON_ARRAY_CHARS = 50_000_000  # a JSON array is parsed whole: ten times its size in memory
CHUNK_ROWS = 10_000  # rows read before the records made are handed to `spill`
Row = dict[str, Any]


def read_export(
    result: FileResult, text: IO[str], settings: CorpusSettings, spill: Callable[[FileResult], None] | None = None
) -> None:
    """Fill `result` with the records of one export file, read from `text` a row at a time.

    Every CHUNK_ROWS rows `spill` may take the records made so far out of `result` (into
    tables), so that memory does not grow with the size of the export. A file that turns
    out not to be valid CSV or JSON loads none of its rows, as if it had been read first.
    """
    path = result.file.path
    stem, _, suffix = path.lower().rpartition(".")
    reader = {"postmortems": _postmortem_rows, "actions": _action_rows, "incidents": _incident_rows}[stem]
    rows = _warn_hidden(result, _rows(text, suffix), settings, stem)
    try:
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            reader(result, chunk, settings)
            if spill is not None:
                spill(result)
    except Rejection as exc:
        result.outcome = "rejected"
        result.rejected = 1
        result.postmortems.clear()
        result.incidents.clear()
        result.actions.clear()
        result.problems = [Problem(path, exc.line, "error", str(exc))]


def _warn_hidden(
    result: FileResult, rows: Iterator[tuple[int | None, Row]], settings: CorpusSettings, stem: str
) -> Iterator[tuple[int | None, Row]]:
    """`rows`, with a warning at the first `postmortems.*` row where a key is hidden by `[fields]`
    (once per key and file: every row has the same columns). `[fields.incidents]` and
    `[fields.actions]` map the columns of a tool, which has its own `id` beside the one chosen."""
    warned: set[str] = set()
    for line, row in rows:
        for key, source in hidden_keys(row, settings.fields) if stem == "postmortems" else ():
            if key not in warned:
                warned.add(key)
                result.problems.append(Problem(result.file.path, line, "warning", hidden_key_warning(key, source), key))
        yield line, row


def _rows(text: IO[str], suffix: str) -> Iterator[tuple[int | None, Row]]:
    """(line, row) pairs, read as they come; the line is None for items of a JSON array."""
    if suffix == "csv":
        reader = csv.DictReader(text)
        line = 0
        try:
            _check_header(reader.fieldnames or [], reader.line_num)  # reads the header: line_num counts it
            line = reader.line_num
            for row in reader:
                yield line + 1, {(k or "").strip(): _cell(v) for k, v in row.items() if k}
                line = reader.line_num
        except csv.Error as exc:
            raise Rejection(f"not valid CSV: {exc} (fix the file; none of its rows are loaded)", line + 1) from None
    elif suffix == "json":
        try:
            data = json.loads(_json_array_text(text))
        except json.JSONDecodeError as exc:
            raise Rejection(f"not valid JSON: {exc.msg}", exc.lineno) from None
        except RecursionError:
            raise Rejection("JSON nested too deeply (an export is an array of flat objects)", 1) from None
        except ValueError as exc:  # e.g. a number of more than 4,300 digits
            raise Rejection(f"not valid JSON: {exc}", 1) from None
        if not isinstance(data, list):
            raise Rejection("a JSON export must be an array of objects", 1)
        for index, item in enumerate(data, start=1):
            yield None, item if isinstance(item, dict) else {"\0item": index}
    else:
        for number, line_text in enumerate(text, start=1):
            if not line_text.strip():
                continue
            try:
                item = json.loads(line_text)
            except json.JSONDecodeError as exc:
                yield number, {"\0error": f"not valid JSON: {exc.msg}"}
                continue
            except RecursionError:
                yield number, {"\0error": "JSON nested too deeply (each line is one flat object)"}
                continue
            except ValueError as exc:
                yield number, {"\0error": f"not valid JSON: {exc}"}
                continue
            yield number, item if isinstance(item, dict) else {"\0error": "not a JSON object"}


def _json_array_text(text: IO[str]) -> str:
    """The whole text of a JSON array export: read at once, so its size is limited (NDJSON is not)."""
    data = text.read(MAX_JSON_ARRAY_CHARS + 1)
    if len(data) > MAX_JSON_ARRAY_CHARS:
        raise Rejection(f"a JSON array export is limited to {MAX_JSON_ARRAY_CHARS // 1_000_000} MB "
                        "(write one object per line instead, as NDJSON in a .ndjson file)", None)
    return data


def _check_header(names: Sequence[str], line: int) -> None:
    """A column named twice would give each row the value of the last one only: the file is refused."""
    seen: set[str] = set()
    for name in (name.strip() for name in names):
        if name and name in seen:
            raise Rejection(f"column {name!r} appears twice in the header (keep one; none of the rows are loaded)",
                            line)
        seen.add(name)


def _cell(value: Any) -> Any:
    if isinstance(value, list):  # csv gives extra cells of a ragged row as a list
        return ";".join(str(v) for v in value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _bad_row(row: Row) -> str | None:
    if "\0error" in row:
        return str(row["\0error"])
    if "\0item" in row:
        return "item {} is not a JSON object".format(row["\0item"])
    try:
        values.check_size(row, max_values=MAX_ROW_VALUES, max_chars=MAX_ROW_CHARS, max_depth=MAX_ROW_DEPTH)
    except values.TooComplex as exc:
        return f"row too large ({exc}; an export row is one flat object)"
    return None


def _text(value: Any) -> str:
    """A cell as text; a JSON list becomes `a;b`, a JSON object is refused."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(values.scalar_text(v) for v in value if v is not None)
    return values.scalar_text(value)


def _reject(result: FileResult, line: int | None, message: str) -> None:
    result.rejected += 1
    result.problems.append(Problem(result.file.path, line, "error", message))


def _postmortem_rows(result: FileResult, rows: list[tuple[int | None, Row]], settings: CorpusSettings) -> None:
    for line, row in rows:
        bad = _bad_row(row)
        if bad:
            _reject(result, line, bad)
            continue
        ctx = FieldContext(result.file.path, settings, _at_line(line))
        try:
            pm = postmortem_from_fields(
                row, ctx, source_line=line, source_format=result.file.path.rpartition(".")[2],
                list_separator=LIST_SEPARATOR, warn_hidden=False,
            )
        except Rejection as exc:
            _reject(result, line, str(exc).replace("front matter", "row"))
            continue
        result.postmortems.append(pm)
        result.problems.extend(ctx.problems)


def _at_line(line: int | None) -> Callable[[str], int | None]:
    """Every field of an export row is reported at the row's line."""
    return lambda _key: line


def _action_rows(result: FileResult, rows: list[tuple[int | None, Row]], settings: CorpusSettings) -> None:
    for line, raw in rows:
        bad = _bad_row(raw)
        if bad:
            _reject(result, line, bad)
            continue
        try:
            row = _action_row(raw, settings)
        except values.ValueProblem as exc:
            _reject(result, line, f"action row: {exc}")
            continue
        postmortem_id = row.get("postmortem_id", "").strip()
        if not postmortem_id:
            _reject(result, line, "action row has no postmortem_id (add the id of its postmortem)")
            continue

        def warn(key: str, message: str, line: int | None = line) -> None:
            result.problems.append(Problem(result.file.path, line, "warning", message, key))

        action = action_from_row(
            row, postmortem_id=postmortem_id, default_id="", position=None,
            path=result.file.path, line=line, warn=warn, statuses=settings.action_statuses,
        )
        action.is_from_tracker = True
        result.actions.append(action)


def _action_row(raw: Row, settings: CorpusSettings) -> dict[str, str]:
    """A tracker row keyed by action column: `[fields.actions]` first, then the headers of 1.3.

    A mapped column wins over a header that means the same (Jira's `Description` when
    `action = "Summary"`); dates in `timestamp_formats` are rewritten as ISO dates.
    """
    mapped = settings.translate(raw, "actions")
    row = {_action_key(k): _text(v) for k, v in mapped.items() if k not in settings.action_fields}
    row.update({k: _text(mapped[k]) for k in settings.action_fields if k in mapped})
    for key in ("due", "closed"):
        if row.get(key):
            with contextlib.suppress(values.ValueProblem):  # warned about where the action is made
                row[key] = settings.date(row[key]).isoformat()
    return row


def _action_key(header: str) -> str:
    if fold(header) in ("postmortem id", "postmortem"):
        return "postmortem_id"
    return ACTION_COLUMN_INDEX.get(fold(header), header)


def _incident_rows(result: FileResult, rows: list[tuple[int | None, Row]], settings: CorpusSettings) -> None:
    for line, raw in rows:
        bad = _bad_row(raw)
        if bad:
            _reject(result, line, bad)
            continue
        row = settings.translate(raw, "incidents")
        try:
            incident_id = "" if values.is_blank(row.get("id")) else values.scalar_text(row["id"])
            title, postmortem_id = _optional_text(row, "title"), _optional_text(row, "postmortem_id")
        except values.ValueProblem as exc:
            _reject(result, line, f"incident row: {exc}")
            continue
        if not incident_id:
            _reject(result, line, "incident row has no id (add one)")
            continue

        def warn(key: str, message: str, line: int | None = line) -> None:
            result.problems.append(Problem(result.file.path, line, "warning", message, key))

        level = None
        if not values.is_blank(row.get("severity")):
            level = settings.severity(row["severity"])
            if level is None:
                warn("severity", f"severity {row['severity']!r} not understood (S1..S4, or add it to "
                     "[severity_aliases] in pmanalytics.toml); left empty")
        stamps: dict[str, dt.datetime | None] = {}
        for key in ("started_at", "resolved_at"):
            stamps[key] = None
            if not values.is_blank(row.get(key)):
                try:
                    stamps[key] = settings.timestamp(row[key])
                except values.ValueProblem as exc:
                    warn(key, f"{key}: {exc}; left empty")
        is_public = False
        if not values.is_blank(row.get("public")):
            try:
                is_public = values.boolean(row["public"])
            except values.ValueProblem as exc:
                warn("public", f"public: {exc}; taken as false")
        result.incidents.append(
            Incident(
                incident_id=incident_id,
                title=title,
                severity=level,
                is_public=is_public,
                started_at=stamps["started_at"],
                resolved_at=stamps["resolved_at"],
                postmortem_id=postmortem_id,
                source_path=result.file.path,
                source_line=line,
            )
        )


def _optional_text(row: Row, key: str) -> str | None:
    return None if values.is_blank(row.get(key)) else values.scalar_text(row[key])
