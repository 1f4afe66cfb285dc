"""docs/corpus.md section 1.3, the rules of the second version: every form of a timeline event,
every action header and value, actions written as a list, and nothing dropped without a warning."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import pmanalytics as pm
from pmanalytics.corpus.document import Rejection, decode, parse_postmortem, split_front_matter
from pmanalytics.corpus.markdown import ITEM, ROW, SEPARATOR, Line, cells, scan
from pmanalytics.corpus.records import Postmortem, Problem
from pmanalytics.corpus.settings import CorpusSettings, read_settings
from pmanalytics.corpus.vocabulary import SECTION_INDEX, fold
from pmanalytics.metrics import headline_figures, make_scope

TESTS = Path(__file__).parent
V2_DATA = TESTS / "data" / "contract_v2"
SAMPLE = TESTS.parent / "data" / "sample"


@pytest.fixture(scope="module")
def load_v2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[pm.LoadReport, pm.Database]]]:
    loaded: dict[str, tuple[pm.LoadReport, pm.Database]] = {}
    for name in ("timeline", "actions", "actions_list"):
        db_path = tmp_path_factory.mktemp(f"v2_{name}") / "pm.duckdb"
        loaded[name] = (pm.load(V2_DATA / name, db_path), pm.open_database(db_path))
    yield loaded
    for _, db in loaded.values():
        db.close()


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def rows(db: pm.Database, table: str, postmortem_id: str, columns: str) -> list[tuple[object, ...]]:
    frame = db.sql(f"SELECT {columns} FROM {table} WHERE postmortem_id = ? ORDER BY position", [postmortem_id])
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def warnings_of(report: pm.LoadReport, path: str) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.field, p.message) for p in report.problems if p.path == path]


EVENTS = "occurred_at, description, source_line"


# --- timeline ------------------------------------------------------------------------------


def test_timeline_corpus_counts(load_v2):
    report, _ = load_v2["timeline"]
    # no_time_understood, chronologie_sans_heure: one each; impossible_time: two
    assert report.counts == {"loaded": 9, "rejected": 0, "skipped": 0, "warnings": 4}


def test_every_english_form_of_an_event(load_v2):
    _, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-FORMS", EVENTS) == [
        (utc("2026-03-04 09:12"), "Full date and time, em dash", 11),
        (utc("2026-03-04 09:17"), "Zone written, then a colon", 12),
        (utc("2026-03-04 09:20"), "One-digit hour, en dash", 13),
        (utc("2026-03-04 14:05"), "Twelve-hour clock in the afternoon", 14),
        (utc("2026-03-04 14:30"), "Lower case pm, hyphen", 15),
    ]


def test_french_hours_with_and_without_minutes(load_v2):
    _, db = load_v2["timeline"]
    # started_at is written at +01:00: 14h is 13:00 UTC
    assert rows(db, "timeline_events", "TL2-FR", EVENTS) == [
        (utc("2026-03-04 13:00"), "Alerte reçue par l'astreinte", 11),
        (utc("2026-03-04 13:05"), "Retour arrière de la configuration", 12),
        (utc("2026-03-04 13:42"), "Service rétabli", 13),
        (utc("2026-03-04 14:10"), "Incident clos", 17),
    ]


def test_table_rows_take_the_offset_of_started_at(load_v2):
    _, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-TABLE", EVENTS) == [
        (utc("2026-03-04 08:12"), "New pool configuration deployed", 13),
        (utc("2026-03-04 08:31"), "Correlation with the 09:12 deployment", 14),
    ]


def test_twelve_hour_clock_through_midnight(load_v2):
    _, db = load_v2["timeline"]
    # started 23:40 at -05:00; 12:20 AM is 00:20, earlier than 11:55 PM: the next day
    assert rows(db, "timeline_events", "TL2-MIDNIGHT", EVENTS) == [
        (utc("2026-03-05 04:40"), "Nightly batch started late", 11),
        (utc("2026-03-05 04:55"), "Queue kept growing", 12),
        (utc("2026-03-05 05:20"), "Queue growth reported", 13),
        (utc("2026-03-05 06:05"), "Batch finished", 14),
    ]


def test_a_date_before_a_french_hour(load_v2):
    _, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-DATE-H", EVENTS) == [
        (utc("2023-11-08 14:02"), "Mise à jour de la configuration des résolveurs", 11),
        (utc("2023-11-08 14:42"), "Service rétabli pour tous les clients", 12),
    ]


def test_a_timeline_without_any_time_gives_one_warning(load_v2):
    report, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-NONE", EVENTS) == []
    # two list items and one table data row (the header row is not an item)
    ((line, key, message),) = warnings_of(report, "no_time_understood.md")
    assert (line, key) == (9, "timeline")
    assert message.startswith("timeline: 3 items, no time understood")


def test_a_french_timeline_without_any_time_gives_one_warning(load_v2):
    report, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-AUCUNE", EVENTS) == []
    ((line, key, message),) = warnings_of(report, "chronologie_sans_heure.md")
    assert (line, key) == (9, "timeline")
    assert message.startswith("timeline: 1 item, no time understood")


def test_a_timeline_of_prose_gives_no_warning(load_v2):
    report, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-PROSE", EVENTS) == []
    assert warnings_of(report, "prose_only.md") == []


def test_an_impossible_time_is_skipped_with_a_warning(load_v2):
    report, db = load_v2["timeline"]
    assert rows(db, "timeline_events", "TL2-IMPOSSIBLE", EVENTS) == [(utc("2026-03-04 09:05"), "Alert fired", 11)]
    assert warnings_of(report, "impossible_time.md") == [
        (12, "timeline", "timeline: time '13:05 PM' not understood; event skipped"),
        (13, "timeline", "timeline: time '9h75' not understood; event skipped"),
    ]


# --- actions -------------------------------------------------------------------------------

ACTIONS = (
    "action_id, position, description, action_type, owner, due_date::VARCHAR, "
    "status, status_as_written, closed_date::VARCHAR, source_line"
)


def test_actions_corpus_counts(load_v2):
    report, _ = load_v2["actions"]
    # sre_workbook_form: one type warning; no_action_column: one warning
    assert report.counts == {"loaded": 4, "rejected": 0, "skipped": 0, "warnings": 2}


def test_the_sre_workbook_table_gives_actions(load_v2):
    _, db = load_v2["actions"]
    assert rows(db, "actions", "ACT2-SRE", ACTIONS) == [
        ("n/a", 1, "Update the playbook for cascading failures", "short", "jennifer", None, "open", None, None, 13),
        ("b/4242", 2, "Balance load between clusters", "long", "martin", None, "open", None, None, 14),
        ("b/4243", 3, "Schedule a cascading failure test", None, "docbrown", None, "open", None, None, 15),
        ("b/4244", 4, "Review the paging policy", None, "jennifer", None, "open", None, None, 16),
        ("b/4245", 5, "Run the index job continuously", None, "agoogler", None, "open", None, None, 17),
    ]


def test_a_type_not_understood_is_kept_as_written_with_one_warning_per_table(load_v2):
    report, db = load_v2["actions"]
    extras = [json.loads(e) if e else None for (e,) in rows(db, "actions", "ACT2-SRE", "extra_json")]
    assert extras == [None, None, {"type": "process"}, {"type": "other"}, {"type": "process"}]
    ((line, key, message),) = warnings_of(report, "sre_workbook_form.md")
    assert (line, key) == (11, "type")
    assert "'process', 'other'" in message
    assert "3 rows" in message


def test_the_other_english_headers_in_another_order(load_v2):
    _, db = load_v2["actions"]
    assert rows(db, "actions", "ACT2-EN", ACTIONS) == [
        ("GH-1", 1, "Rewrite the cache layer", "long", "team-web", "2026-06-30", "cancelled", "won't do", None, 13),
        ("GH-2", 2, "Add jitter to cache expiry", "short", "team-web", "2026-03-20", "open", "todo", None, 14),
        ("GH-3", 3, "Page on the 503 rate", "short", "team-sre", "2026-03-10", "done", "done", "2026-03-09", 15),
    ]


def test_the_other_french_headers_in_another_order(load_v2):
    _, db = load_v2["actions"]
    assert rows(db, "actions", "ACT2-FR", ACTIONS) == [
        ("BUG-1", 1, "Ajouter une alerte sur la file", "short", "équipe-sre", "2026-04-01", "open", "à faire",
         None, 13),
        ("BUG-2", 2, "Documenter la bascule", "long", "équipe-dba", "2026-03-15", "done", "Terminé",
         "2026-03-14", 14),
        ("BUG-3", 3, "Migrer le cron", "long", "équipe-sre", "2026-05-01", "cancelled", "annulé", None, 15),
    ]


def test_a_table_without_an_action_column_gives_one_warning_naming_its_headers(load_v2):
    report, db = load_v2["actions"]
    assert rows(db, "actions", "ACT2-NOCOL", ACTIONS) == []
    ((line, key, message),) = warnings_of(report, "no_action_column.md")
    assert (line, key) == (11, "actions")
    assert "'Step', 'Owner', 'Status'" in message


def test_list_items_are_actions_without_a_status(load_v2):
    report, db = load_v2["actions_list"]
    assert report.counts == {"loaded": 2, "rejected": 0, "skipped": 0, "warnings": 2}
    # the item nested below the second one is a detail of it, not an action
    assert rows(db, "actions", "ACT2-LIST-EN", ACTIONS) == [
        ("ACT2-LIST-EN#1", 1, "Add an alert on the 503 rate", None, None, None, "unknown", None, None, 11),
        ("ACT2-LIST-EN#2", 2, "Validate configurations in CI", None, None, None, "unknown", None, None, 12),
        ("ACT2-LIST-EN#3", 3, "Numbered items are actions too", None, None, None, "unknown", None, None, 14),
    ]
    ((line, key, message),) = warnings_of(report, "list_items_en.md")
    assert (line, key) == (11, "actions")
    assert message.startswith("3 actions without a status")


def test_one_warning_for_the_list_items_of_two_french_sections(load_v2):
    report, db = load_v2["actions_list"]
    assert rows(db, "actions", "ACT2-LIST-FR", "action_id, description, status, source_line") == [
        ("ACT2-LIST-FR#1", "Ajouter une alerte sur le taux de 503", "unknown", 11),
        ("ACT2-LIST-FR#2", "Valider les configurations en CI", "unknown", 12),
        ("ACT2-LIST-FR#3", "Revoir le runbook de bascule", "unknown", 18),
    ]
    ((line, _, message),) = warnings_of(report, "liste_fr_deux_sections.md")
    assert line == 11
    assert message.startswith("3 actions without a status")


def test_an_action_without_a_status_counts_as_not_done(load_v2):
    _, db = load_v2["actions_list"]
    figures = headline_figures(db, make_scope(db, "2026Q1", as_of="2026-04-15"))
    assert (figures["actions"]["total"], figures["actions"]["done"]) == (6, 0)


# --- nothing dropped -------------------------------------------------------------------------


def _documents() -> list[Path]:
    return sorted([*(TESTS / "data").rglob("*.md"), *SAMPLE.rglob("*.md")])


def _settings_for(path: Path) -> CorpusSettings:
    """The settings of the nearest folder above `path` with a pmanalytics.toml; defaults when broken."""
    for folder in path.parents:
        if (folder / "pmanalytics.toml").is_file():
            try:
                return read_settings(folder)
            except Exception:  # a broken settings file is the subject of other tests
                return CorpusSettings()
    return CorpusSettings()


def _sections(body: str, first_line: int) -> list[tuple[str | None, int, list[Line]]]:
    """(section, heading line, lines) for each level-2 heading that is not indented."""
    found: list[tuple[str | None, int, list[Line]]] = []
    for line in scan(body, first_line):
        if line[4] == "##" and not line[3]:
            found.append((SECTION_INDEX.get(fold(line[5].strip("# "))), line[1], []))
        elif found:
            found[-1][2].append(line)
    return found


def _items(lines: list[Line]) -> list[Line]:
    """Top-level list items (indent up to 3) with text, and table rows with text that are not headers."""
    kept = []
    for index, line in enumerate(lines):
        kind, indent, content = line[0], line[3], line[5]
        header = index + 1 < len(lines) and lines[index + 1][0] == SEPARATOR
        if (kind == ITEM and indent <= 3 and content.strip()) or (kind == ROW and not header and any(cells(content))):
            kept.append(line)
    return kept


def _starts_with_a_time(line: Line) -> bool:
    text = (cells(line[5])[0] if line[0] == ROW else line[5]).strip().lstrip("*_")
    return text[:1].isdigit()


def _dropped(pm_: Postmortem, problems: list[Problem], body: str, first_line: int) -> list[str]:
    """The items of timeline and actions sections that gave nothing and are covered by no warning."""
    warned = {p.line for p in problems if p.level == "warning"}
    event_lines = {e.source_line for e in pm_.timeline}
    action_lines = {a.source_line for a in pm_.actions}
    dropped = []
    for section, heading_line, lines in _sections(body, first_line):
        items = _items(lines)
        if section == "timeline":
            # an item that begins with a time is an event or warned; a section with items
            # gives an event or its warning (items without a time among events are notes)
            timed = [i for i in items if _starts_with_a_time(i)]
            dropped += [f"timeline {i[1]}" for i in timed if i[1] not in event_lines | warned]
            if items and heading_line not in warned and not event_lines & {i[1] for i in items}:
                dropped.append(f"timeline section {heading_line}")
        elif section == "actions":
            has_table = any(line[0] == ROW for line in lines)
            for item in items:
                if has_table and item[0] == ITEM:
                    continue  # a section with a table: its list items are not actions
                if item[1] not in action_lines and item[1] not in warned and not _table_warned(lines, item, warned):
                    dropped.append(f"actions {item[1]}")
            if not has_table and items and not any("without a status" in p.message for p in problems):
                dropped.append(f"actions section {heading_line}: no warning for the actions without a status")
    return dropped


def _table_warned(lines: list[Line], row: Line, warned: set[int | None]) -> bool:
    """A row whose table has a warning on its header line."""
    index = lines.index(row)
    while index > 0 and lines[index - 1][0] in (ROW, SEPARATOR):
        index -= 1
    return lines[index][1] in warned


def test_nothing_is_dropped_without_a_warning() -> None:
    documents = _documents()
    checked = 0
    dropped: dict[str, list[str]] = {}
    for path in documents:
        data = path.read_bytes()
        try:
            postmortem, ctx = parse_postmortem(str(path), data, _settings_for(path))
        except Rejection:
            continue  # a rejected file loads nothing
        _, body, first_line = split_front_matter(decode(data))
        checked += 1
        if missing := _dropped(postmortem, ctx.problems, body, first_line):
            dropped[str(path.relative_to(TESTS.parent))] = missing
    assert checked > 300  # the sample alone holds 298 postmortems
    assert dropped == {}
