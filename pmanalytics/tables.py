"""Records → Arrow tables, one per table of `schema.sql`, columns in schema order.

Parse workers turn each batch of postmortems into these tables, which cross the
process boundary as compact buffers (pickling the records themselves costs as much as
parsing them) and go into DuckDB in bulk. Instants become UTC microseconds, dates
days: exactly what the TIMESTAMPTZ and DATE columns hold.

Postmortem tables carry one more column, `pm_index`, the position of their postmortem
in the batch, so that a postmortem rejected later (a duplicate id) can be left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pyarrow as pa

from pmanalytics.records import Action, FileResult, Incident, Postmortem, Problem

INSTANT = pa.timestamp("us", tz="UTC")
TEXT = pa.string()
INT = pa.int32()
BOOL = pa.bool_()
DATE = pa.date32()
PM_INDEX = "pm_index"

T = TypeVar("T")
Column = tuple[str, pa.DataType, Callable[[Any], Any]]

POSTMORTEM_COLUMNS: list[Column] = [
    ("postmortem_id", TEXT, lambda p: p.postmortem_id),
    ("title", TEXT, lambda p: p.title),
    ("severity", TEXT, lambda p: p.severity),
    ("status", TEXT, lambda p: p.status),
    ("is_public", BOOL, lambda p: p.is_public),
    ("published_to", TEXT, lambda p: p.published_to),
    ("started_at", INSTANT, lambda p: p.started_at),
    ("detected_at", INSTANT, lambda p: p.detected_at),
    ("mitigated_at", INSTANT, lambda p: p.mitigated_at),
    ("resolved_at", INSTANT, lambda p: p.resolved_at),
    ("published_at", INSTANT, lambda p: p.published_at),
    ("is_out_of_order", BOOL, lambda p: p.is_out_of_order),
    ("lang", TEXT, lambda p: p.lang),
    ("source_path", TEXT, lambda p: p.source_path),
    ("source_line", INT, lambda p: p.source_line),
    ("source_format", TEXT, lambda p: p.source_format),
    ("extra_json", TEXT, lambda p: p.extra_json),
]

ACTION_COLUMNS: list[Column] = [
    ("postmortem_id", TEXT, lambda a: a.postmortem_id),
    ("action_id", TEXT, lambda a: a.action_id),
    ("position", INT, lambda a: a.position),
    ("description", TEXT, lambda a: a.description),
    ("action_type", TEXT, lambda a: a.action_type),
    ("owner", TEXT, lambda a: a.owner),
    ("due_date", DATE, lambda a: a.due_date),
    ("status", TEXT, lambda a: a.status),
    ("status_as_written", TEXT, lambda a: a.status_as_written),
    ("closed_date", DATE, lambda a: a.closed_date),
    ("is_from_tracker", BOOL, lambda a: a.is_from_tracker),
    ("is_tracker_updated", BOOL, lambda a: a.is_tracker_updated),
    ("source_path", TEXT, lambda a: a.source_path),
    ("source_line", INT, lambda a: a.source_line),
    ("extra_json", TEXT, lambda a: a.extra_json),
]

# The one-to-many tables: (postmortem attribute, columns of the item after postmortem_id, position)
CHILD_COLUMNS: dict[str, tuple[str, list[Column]]] = {
    "services": ("services", [("service_name", TEXT, lambda v: v)]),
    "teams": ("teams", [("team_name", TEXT, lambda v: v)]),
    "tags": ("tags", [("tag", TEXT, lambda v: v)]),
    "root_causes": ("root_causes", [
        ("category", TEXT, lambda c: c.category),
        ("category_as_written", TEXT, lambda c: c.category_as_written),
        ("summary", TEXT, lambda c: c.summary),
        ("tags", TEXT, lambda c: c.tags),
        ("is_human_error", BOOL, lambda c: c.is_human_error),
    ]),
    "sections": ("sections", [
        ("section", TEXT, lambda s: s.section),
        ("heading", TEXT, lambda s: s.heading),
        ("body", TEXT, lambda s: s.body),
        ("source_line", INT, lambda s: s.source_line),
    ]),
    "timeline_events": ("timeline", [
        ("occurred_at", INSTANT, lambda e: e.occurred_at),
        ("description", TEXT, lambda e: e.description),
        ("source_line", INT, lambda e: e.source_line),
    ]),
    "lessons": ("lessons", [
        ("kind", TEXT, lambda x: x.kind),
        ("text", TEXT, lambda x: x.text),
    ]),
}

INCIDENT_COLUMNS: list[Column] = [
    ("incident_id", TEXT, lambda i: i.incident_id),
    ("title", TEXT, lambda i: i.title),
    ("severity", TEXT, lambda i: i.severity),
    ("is_public", BOOL, lambda i: i.is_public),
    ("started_at", INSTANT, lambda i: i.started_at),
    ("resolved_at", INSTANT, lambda i: i.resolved_at),
    ("postmortem_id", TEXT, lambda i: i.postmortem_id),
    ("source_path", TEXT, lambda i: i.source_path),
    ("source_line", INT, lambda i: i.source_line),
]

FILE_COLUMNS: list[Column] = [
    ("path", TEXT, lambda r: r.file.path),
    ("kind", TEXT, lambda r: r.file.kind),
    ("outcome", TEXT, lambda r: r.outcome),
    ("size_bytes", pa.int64(), lambda r: r.file.size_bytes),
    # TIMESTAMPTZ holds microseconds: the nanoseconds of the file system are truncated
    ("modified_at", INSTANT, lambda r: r.file.modified_ns // 1000),
    ("content_sha256", TEXT, lambda r: r.content_sha256),
]


def table(rows: Sequence[T], columns: list[Column], **constant: tuple[pa.DataType, Any]) -> pa.Table:
    """One table from `rows`, a column per (name, type, getter); `constant` columns repeat a value."""
    arrays = {name: pa.array([get(row) for row in rows], type=kind) for name, kind, get in columns}
    for name, (kind, value) in constant.items():
        arrays[name] = pa.array([value] * len(rows), type=kind)
    return pa.table(arrays)


def postmortem_tables(pms: Sequence[Postmortem]) -> dict[str, pa.Table]:
    """Every table that holds a postmortem's content, each row tagged with `pm_index`."""
    indexes = pa.array(range(len(pms)), type=INT)
    tables = {"postmortems": table(pms, POSTMORTEM_COLUMNS).append_column(PM_INDEX, indexes)}
    actions = [(i, a) for i, pm in enumerate(pms) for a in pm.actions]
    tables["actions"] = _tagged(actions, ACTION_COLUMNS)
    for name, (attribute, columns) in CHILD_COLUMNS.items():
        items = [(i, (pm.postmortem_id, position, item))
                 for i, pm in enumerate(pms) for position, item in enumerate(getattr(pm, attribute), 1)]
        child_columns: list[Column] = [
            ("postmortem_id", TEXT, lambda r: r[0]),
            ("position", INT, lambda r: r[1]),
            *[(n, k, _of_item(get)) for n, k, get in columns],
        ]
        tables[name] = _tagged(items, child_columns)
    return tables


def _of_item(get: Callable[[Any], Any]) -> Callable[[tuple[str, int, Any]], Any]:
    return lambda row: get(row[2])


def _tagged(rows: list[tuple[int, Any]], columns: list[Column]) -> pa.Table:
    """A table of the second items of `rows`, with their first items as `pm_index`."""
    items = [item for _, item in rows]
    return table(items, columns).append_column(PM_INDEX, pa.array([i for i, _ in rows], type=INT))


def action_table(actions: Sequence[Action]) -> pa.Table:
    return table(actions, ACTION_COLUMNS)


def incident_table(incidents: Sequence[Incident]) -> pa.Table:
    return table(incidents, INCIDENT_COLUMNS)


def file_table(results: Sequence[FileResult]) -> pa.Table:
    return table(results, FILE_COLUMNS)


def problem_table(problems: Sequence[Problem], load_id: int) -> pa.Table:
    return table(problems, [
        ("path", TEXT, lambda p: p.path),
        ("line", INT, lambda p: p.line),
        ("level", TEXT, lambda p: p.level),
        ("field", TEXT, lambda p: p.field),
        ("message", TEXT, lambda p: p.message),
    ], load_id=(INT, load_id))
