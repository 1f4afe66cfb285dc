"""Records → Arrow tables, one per table of `schema.sql`, columns in schema order.

Parse workers turn each batch of postmortems into these tables, which cross the
process boundary as compact buffers (pickling the records themselves costs as much as
parsing them) and go into DuckDB in bulk. Instants become UTC microseconds, dates
days: exactly what the TIMESTAMPTZ and DATE columns hold.

Postmortem tables carry one more column, `pm_index`, the position of their postmortem
in the batch, so that a postmortem rejected later (a duplicate id) can be left out.
Incidents need none: their duplicate ids are found once they are stored (`store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import pyarrow as pa

from pmanalytics.corpus.records import Action, FileResult, Incident, Postmortem, Problem

INSTANT = pa.timestamp("us", tz="UTC")
TEXT = pa.string()
INT = pa.int32()
BOOL = pa.bool_()
DATE = pa.date32()
PM_INDEX = "pm_index"
INDEXES = (PM_INDEX,)  # columns of the batch, not of the schema

Column = tuple[str, pa.DataType, str | None]  # (column, type, attribute of the record; None: the item itself)


def _columns(kind_by_name: dict[str, pa.DataType], attributes: dict[str, str] | None = None) -> list[Column]:
    """Columns named like the attributes they come from (unless `attributes` says otherwise)."""
    attributes = attributes or {}
    return [(name, kind, attributes.get(name, name)) for name, kind in kind_by_name.items()]


POSTMORTEM_COLUMNS = _columns({
    "postmortem_id": TEXT, "title": TEXT, "severity": TEXT, "status": TEXT, "is_public": BOOL,
    "published_to": TEXT, "started_at": INSTANT, "detected_at": INSTANT, "mitigated_at": INSTANT,
    "resolved_at": INSTANT, "published_at": INSTANT, "is_out_of_order": BOOL, "lang": TEXT,
    "source_path": TEXT, "source_line": INT, "source_format": TEXT, "extra_json": TEXT,
})
ACTION_COLUMNS = _columns({
    "postmortem_id": TEXT, "action_id": TEXT, "position": INT, "description": TEXT, "action_type": TEXT,
    "owner": TEXT, "due_date": DATE, "status": TEXT, "status_as_written": TEXT, "closed_date": DATE,
    "is_from_tracker": BOOL, "is_tracker_updated": BOOL, "source_path": TEXT, "source_line": INT,
    "extra_json": TEXT,
})
INCIDENT_COLUMNS = _columns({
    "incident_id": TEXT, "title": TEXT, "severity": TEXT, "is_public": BOOL, "started_at": INSTANT,
    "resolved_at": INSTANT, "postmortem_id": TEXT, "source_path": TEXT, "source_line": INT,
})
PROBLEM_COLUMNS = _columns({"path": TEXT, "line": INT, "level": TEXT, "field": TEXT, "message": TEXT})
# The one-to-many tables: the postmortem attribute they list, and the columns after postmortem_id, position
CHILD_COLUMNS: dict[str, tuple[str, list[Column]]] = {
    "services": ("services", [("service_name", TEXT, None)]),
    "teams": ("teams", [("team_name", TEXT, None)]),
    "tags": ("tags", [("tag", TEXT, None)]),
    "root_causes": ("root_causes", _columns({
        "category": TEXT, "category_as_written": TEXT, "summary": TEXT, "tags": TEXT, "is_human_error": BOOL,
    })),
    "sections": ("sections", _columns({"section": TEXT, "heading": TEXT, "body": TEXT, "source_line": INT})),
    "timeline_events": ("timeline", _columns({"occurred_at": INSTANT, "description": TEXT, "source_line": INT})),
    "lessons": ("lessons", _columns({"kind": TEXT, "text": TEXT})),
}


def prepare() -> None:
    """Build one empty table, so that processes forked afterwards need not.

    pyarrow imports pandas when it builds its first table (0.4 s): done once before the
    parse workers are forked, they inherit it instead of each paying for it.
    """
    pa.table({"column": pa.array([], type=TEXT)})


def table(rows: Sequence[Any], columns: list[Column], **constant: tuple[pa.DataType, Any]) -> pa.Table:
    """One table from `rows`, a column per (name, type, attribute); `constant` columns repeat a value."""
    arrays = _arrays(rows, columns)
    for name, (kind, value) in constant.items():
        arrays[name] = pa.array([value] * len(rows), type=kind)
    return pa.table(arrays)


def _arrays(rows: Sequence[Any], columns: list[Column]) -> dict[str, pa.Array]:
    """A column per (name, type, attribute) of `columns`, in their order."""
    values = _by_attribute(rows, [attribute for _, _, attribute in columns])
    return {name: pa.array(column, type=kind) for (name, kind, _), column in zip(columns, values, strict=True)}


def _by_attribute(rows: Sequence[Any], attributes: list[str | None]) -> list[Sequence[Any]]:
    """The values of each attribute over `rows` (None: the rows themselves, alone in `attributes`).

    All the attributes of a row are read by one call, and the rows turned into columns by
    `zip`, instead of a Python loop over the rows for each attribute.
    """
    if attributes == [None]:
        return [rows]
    if not rows:
        return [()] * len(attributes)
    get = attrgetter(*attributes)  # type: ignore[arg-type]  # None is only ever alone
    if len(attributes) == 1:
        return [list(map(get, rows))]
    return list(zip(*map(get, rows), strict=True))


def postmortem_tables(pms: Sequence[Postmortem]) -> dict[str, pa.Table]:
    """Every table that holds a postmortem's content, each row tagged with `pm_index`."""
    tables = {"postmortems": table(pms, POSTMORTEM_COLUMNS).append_column(
        PM_INDEX, pa.array(range(len(pms)), type=INT))}
    owners = [(index, pm) for index, pm in enumerate(pms) for _ in pm.actions]
    actions = [action for pm in pms for action in pm.actions]
    tables["actions"] = table(actions, ACTION_COLUMNS).append_column(
        PM_INDEX, pa.array([index for index, _ in owners], type=INT))
    for name, (attribute, columns) in CHILD_COLUMNS.items():
        tables[name] = _child_table(pms, attribute, columns)
    return tables


def _child_table(pms: Sequence[Postmortem], attribute: str, columns: list[Column]) -> pa.Table:
    """The items of one list attribute of each postmortem, with postmortem_id and position."""
    indexes: list[int] = []
    ids: list[str] = []
    positions: list[int] = []
    items: list[Any] = []
    for index, pm in enumerate(pms):
        listed = getattr(pm, attribute)
        if listed:
            count = len(listed)
            indexes += [index] * count
            ids += [pm.postmortem_id] * count
            positions += range(1, count + 1)
            items += listed
    arrays = {"postmortem_id": pa.array(ids, type=TEXT), "position": pa.array(positions, type=INT)}
    arrays.update(_arrays(items, columns))
    arrays[PM_INDEX] = pa.array(indexes, type=INT)
    return pa.table(arrays)


def action_table(actions: Sequence[Action]) -> pa.Table:
    return table(actions, ACTION_COLUMNS)


def incident_table(incidents: Sequence[Incident]) -> pa.Table:
    """The incidents, as `schema.sql` holds them."""
    return table(incidents, INCIDENT_COLUMNS)


def file_table(results: Sequence[FileResult]) -> pa.Table:
    return pa.table({
        "path": pa.array([r.file.path for r in results], type=TEXT),
        "kind": pa.array([r.file.kind for r in results], type=TEXT),
        "outcome": pa.array([r.outcome for r in results], type=TEXT),
        "size_bytes": pa.array([r.file.size_bytes for r in results], type=pa.int64()),
        # TIMESTAMPTZ holds microseconds: the nanoseconds of the file system are truncated
        "modified_at": pa.array([r.file.modified_ns // 1000 for r in results], type=INSTANT),
        "content_sha256": pa.array([r.content_sha256 for r in results], type=TEXT),
    })


def problem_table(problems: Sequence[Problem], load_id: int) -> pa.Table:
    return table(problems, PROBLEM_COLUMNS, load_id=(INT, load_id))
