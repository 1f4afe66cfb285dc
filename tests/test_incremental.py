"""A reload reads only what changed, and leaves exactly what a load from scratch leaves.

Each test loads a corpus, changes it, reloads into the same database, then loads the
changed corpus from scratch into another database and compares the two table by table
(every row, in any order), and the two load reports.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import pmanalytics as pm
from pmanalytics.ingest import parse
from pmanalytics.tools.sample import write_sample

TABLES_COMPARED = (
    "postmortems", "services", "teams", "tags", "root_causes", "sections", "timeline_events",
    "actions", "lessons", "incidents", "files", "load_problems", "settings", "meta", "parse_cache", "postmortem_words",
)


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted; problems without their load_id (checked to be the last)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES_COMPARED}
        rows["load_problems"] = con.execute(
            "SELECT * EXCLUDE (load_id) FROM load_problems ORDER BY ALL").fetchall()
        assert con.execute("SELECT DISTINCT load_id = (SELECT max(load_id) FROM loads) FROM load_problems"
                           ).fetchall() in ([], [(True,)])
        return rows
    finally:
        con.close()


def load_history(db: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT load_id, files_seen, loaded, rejected, skipped, warnings, corpus_fingerprint "
                           "FROM loads ORDER BY load_id").fetchall()
    finally:
        con.close()


def reload_and_compare(corpus: Path, db: Path, tmp_path: Path, *, incremental: bool = True) -> pm.LoadReport:
    """Reload `corpus` into `db`; check it equals a load from scratch; return the reload's report."""
    loads_before = len(load_history(db))
    report = pm.load(corpus, db)
    if incremental:
        assert report.files_read < report.files_seen, "the reload read everything"
    else:
        assert report.files_read == report.files_seen
    scratch = tmp_path / f"scratch-{loads_before}.duckdb"
    cold = pm.load(corpus, scratch)
    assert cold.files_read == cold.files_seen
    reloaded, expected = snapshot(db), snapshot(scratch)
    for table in TABLES_COMPARED:
        assert reloaded[table] == expected[table], f"table {table} differs from a load from scratch"
    assert (report.counts, report.problems, report.corpus_fingerprint) == (
        cold.counts, cold.problems, cold.corpus_fingerprint)
    history = load_history(db)
    assert [row[0] for row in history] == list(range(1, loads_before + 2))
    assert history[-1][1:] == load_history(scratch)[-1][1:]
    return report


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    write_sample(folder, count=160, seed=11, end_quarter="2026Q2")
    return folder


@pytest.fixture
def db(corpus: Path, tmp_path: Path) -> Path:
    path = tmp_path / "pm.duckdb"
    report = pm.load(corpus, path)
    assert report.files_read == report.files_seen
    return path


def postmortem_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("PM-*.md"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def with_id(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("id:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no id in {path}")


def tracker_rows(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "actions.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def file_of(corpus: Path, postmortem_id: str) -> Path:
    return next(p for p in postmortem_files(corpus) if with_id(p) == postmortem_id)


def test_nothing_changed_reads_nothing(corpus: Path, db: Path, tmp_path: Path) -> None:
    report = reload_and_compare(corpus, db, tmp_path)
    assert report.files_read == 0
    assert report.rejected > 0  # the sample's broken files: not read again, since no other file changed


def test_changed_added_and_deleted_files(corpus: Path, db: Path, tmp_path: Path) -> None:
    files = postmortem_files(corpus)
    edit(files[3], "title: ", "title: Revised - ")
    edit(files[10], "## ", "## Notes\nA new section.\n\n## ", )
    files[20].unlink()
    files[21].unlink()
    shutil.copy(files[30], corpus / "2026" / "PM-2026-9001.md")
    edit(corpus / "2026" / "PM-2026-9001.md", f"id: {with_id(files[30])}", "id: PM-2026-9001")
    (corpus / "2026" / "PM-2026-9002.md").write_text("---\ntitle: no id\n---\n", encoding="utf-8")
    report = reload_and_compare(corpus, db, tmp_path)
    assert report.files_read <= 4 + report.rejected


def test_a_new_file_takes_the_id_of_a_later_unchanged_one_then_gives_it_back(
    corpus: Path, db: Path, tmp_path: Path
) -> None:
    later = postmortem_files(corpus)[-1]
    earlier = corpus / "0000-first.md"  # sorts before every folder: it wins the id
    shutil.copy(later, earlier)
    edit(earlier, "title: ", "title: Copy - ")
    reload_and_compare(corpus, db, tmp_path)
    with pm.open_database(db) as con:
        outcome = con.sql("SELECT outcome FROM files WHERE path = ?", [later.relative_to(corpus).as_posix()])
        assert list(outcome["outcome"]) == ["rejected"]
    earlier.unlink()
    reload_and_compare(corpus, db, tmp_path)


def test_a_new_file_with_a_taken_id_is_rejected(corpus: Path, db: Path, tmp_path: Path) -> None:
    first = postmortem_files(corpus)[0]
    shutil.copy(first, corpus / "zz-duplicate.md")
    report = reload_and_compare(corpus, db, tmp_path)
    assert any("duplicate id" in p.message and p.path == "zz-duplicate.md" for p in report.problems)


def test_changes_to_postmortems_the_tracker_updates(corpus: Path, db: Path, tmp_path: Path) -> None:
    rows = [r for r in tracker_rows(corpus) if r["id"]]
    assert len(rows) >= 3, "the sample has tracker rows"
    renamed, deleted = file_of(corpus, rows[0]["postmortem_id"]), file_of(corpus, rows[-1]["postmortem_id"])
    edit(renamed, f"| {rows[0]['id']} |", f"| {rows[0]['id']}-RENAMED |")  # the tracker row no longer matches
    deleted.unlink()  # its tracker rows now name a postmortem that is not in the corpus
    reload_and_compare(corpus, db, tmp_path)
    deleted.write_bytes(b"")  # and back, as an empty file (rejected)
    reload_and_compare(corpus, db, tmp_path)


def test_a_touched_file_keeps_its_rows_and_gets_its_new_time(corpus: Path, db: Path, tmp_path: Path) -> None:
    touched = postmortem_files(corpus)[5]
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    with pm.open_database(db) as con:
        rejected = corpus / con.sql("SELECT path FROM files WHERE outcome = 'rejected' LIMIT 1")["path"][0]
    os.utime(rejected, ns=(stat.st_atime_ns, stat.st_mtime_ns + 7_000_000_000))
    report = reload_and_compare(corpus, db, tmp_path)
    assert report.files_read == 0


def test_a_change_to_an_export_reads_everything(corpus: Path, db: Path, tmp_path: Path) -> None:
    with (corpus / "actions.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{with_id(postmortem_files(corpus)[0])},NEW-1,open,,A new action from the tracker,sre,,\n")
    reload_and_compare(corpus, db, tmp_path, incremental=False)


def test_other_settings_read_everything(corpus: Path, db: Path, tmp_path: Path) -> None:
    with (corpus / "pmanalytics.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[category_aliases]\n"cosmic-rays" = "infrastructure"\n')
    reload_and_compare(corpus, db, tmp_path, incremental=False)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Parallel parsing and many batches, even for a small corpus."""
    monkeypatch.setattr(parse, "PARALLEL_FROM_FILES", 1)
    monkeypatch.setattr(parse, "BATCH_FILES", 7)
    yield


def test_parallel_batches_give_the_same_database(
    small_batches: None, corpus: Path, tmp_path: Path
) -> None:
    later = postmortem_files(corpus)[-1]
    shutil.copy(later, corpus / "0000-first.md")  # a duplicate id across batches
    parallel = pm.load(corpus, tmp_path / "parallel.duckdb", workers=2)
    serial = pm.load(corpus, tmp_path / "serial.duckdb", workers=1)
    assert snapshot(tmp_path / "parallel.duckdb") == snapshot(tmp_path / "serial.duckdb")
    assert (parallel.counts, parallel.problems) == (serial.counts, serial.problems)
    assert pm.check(corpus, workers=2).problems == parallel.problems


TRACKED = """---
id: PM-{n}
title: Tracked {n}
severity: S2
started_at: 2026-02-0{n}T10:00:00Z
resolved_at: 2026-02-0{n}T12:00:00Z
---

## Corrective actions
| ID | Action | Owner | Due | Status | Closed |
|---|---|---|---|---|---|
| A-1 | First | sre | 2026-03-01 | open | |
| A-1 | Same id, other progress | sre | 2026-03-01 | in progress | |
| A-2 | Second | sre | 2026-03-01 | done | 2026-02-20 |
| | No id | sre | | open | |
"""

TRACKER = """postmortem_id,id,status,closed,action,owner
PM-1,A-1,,2026-03-02,,
PM-1,A-2,cancelled,,,
PM-1,NEW-1,open,,Added by the tracker,sre
PM-1,NEW-1,done,2026-03-05,,
PM-1,,open,,Added without an id,sre
PM-1,A-9,done,,,
PM-2,A-1,done,2026-03-03,,
PM-404,A-1,done,,,
"""


# (postmortem_id, action_id, position, description, status, closed_date, is_from_tracker, is_tracker_updated)
TRACKED_ACTIONS = [
    ("PM-1", "A-1", 1, "First", "open", "2026-03-02", False, True),  # no status: only the closed date
    ("PM-1", "A-1", 2, "Same id, other progress", "in_progress", "2026-03-02", False, True),
    ("PM-1", "A-2", 3, "Second", "cancelled", None, False, True),  # the tracker's (empty) closed date wins
    ("PM-1", "PM-1#4", 4, "No id", "open", None, False, False),
    ("PM-1", "NEW-1", None, "Added by the tracker", "done", "2026-03-05", True, True),  # added, then updated
    ("PM-1", "PM-1#6", None, "Added without an id", "open", None, True, False),
    ("PM-2", "A-1", 1, "First", "done", "2026-03-03", False, True),
    ("PM-2", "A-1", 2, "Same id, other progress", "done", "2026-03-03", False, True),
    ("PM-2", "A-2", 3, "Second", "done", "2026-02-20", False, False),
    ("PM-2", "PM-2#4", 4, "No id", "open", None, False, False),
    ("PM-3", "A-1", 1, "First", "open", None, False, False),
    ("PM-3", "A-1", 2, "Same id, other progress", "in_progress", None, False, False),
    ("PM-3", "A-2", 3, "Second", "done", "2026-02-20", False, False),
    ("PM-3", "PM-3#4", 4, "No id", "open", None, False, False),
]


def test_the_tracker_overlay_on_stored_actions(tmp_path: Path) -> None:
    corpus = tmp_path / "tracked"
    corpus.mkdir()
    for n in (1, 2, 3):
        (corpus / f"pm-{n}.md").write_text(TRACKED.format(n=n), encoding="utf-8")
    (corpus / "actions.csv").write_text(TRACKER, encoding="utf-8")
    report = pm.load(corpus, tmp_path / "pm.duckdb")
    assert [(p.path, p.line, p.level, p.message) for p in report.problems if p.level == "error"] == [
        ("actions.csv", 7, "error", "action A-9 matches no action of 'PM-1' and has no Action text to add it"),
        ("actions.csv", 9, "error", "action for postmortem 'PM-404', which is not in the corpus (fix postmortem_id)"),
    ]
    assert pm.check(corpus).problems == report.problems
    con = duckdb.connect(str(tmp_path / "pm.duckdb"), read_only=True)
    try:
        stored = con.execute(
            "SELECT postmortem_id, action_id, position, description, status, strftime(closed_date, '%Y-%m-%d'), "
            "is_from_tracker, is_tracker_updated FROM actions ORDER BY postmortem_id, position NULLS LAST, action_id"
        ).fetchall()
    finally:
        con.close()
    assert stored == TRACKED_ACTIONS
    edit(corpus / "pm-1.md", "| A-2 | Second |", "| A-3 | Second, renamed |")  # a tracker row stops matching
    reload_and_compare(corpus, tmp_path / "pm.duckdb", tmp_path)
    (corpus / "pm-2.md").unlink()  # its tracker row now names a postmortem not in the corpus
    reload_and_compare(corpus, tmp_path / "pm.duckdb", tmp_path)


def test_a_database_of_an_older_schema_is_loaded_again_from_scratch(corpus: Path, db: Path, tmp_path: Path) -> None:
    # A schema-1 database had `resolved_at NOT NULL`: an incremental reload of a postmortem without it
    # would fail there, so a database of another schema is rebuilt, never patched.
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE postmortems ALTER COLUMN resolved_at SET NOT NULL")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    path = postmortem_files(corpus)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("resolved_at:")) + "\n",
                    encoding="utf-8")
    report = reload_and_compare(corpus, db, tmp_path, incremental=False)
    assert any("resolved_at" in problem.message for problem in report.problems)


# (postmortem_id, id, status, closed, action, owner): rows whose verdict a reload changes
CHANGING_TRACKER = [
    ("PM-1", "A-1", "", "2026-03-02", "", ""),
    ("PM-3", "A-9", "done", "2026-03-09", "", ""),  # matches nothing (rejected) until pm-3 has an A-9
    ("PM-1", "A-2", "cancelled", "", "", ""),
    ("PM-4", "A-1", "done", "2026-03-04", "", ""),  # names a postmortem not in the corpus until it is added
    ("PM-1", "", "open", "", "Added without an id", "sre"),  # its id counts pm-1's actions
    ("PM-2", "A-1", "done", "2026-03-03", "", ""),  # its postmortem goes
    ("PM-1", "PM-1#5", "done", "2026-03-06", "", ""),  # the row added above, or pm-1's fifth action once it has one
    ("PM-4", "A-7", "", "", "", ""),  # never matches: rejected whenever PM-4 is kept
    ("PM-404", "A-1", "done", "", "", ""),
]
TRACKER_HEADER = ("postmortem_id", "id", "status", "closed", "action", "owner")


def write_tracker(corpus: Path, rows: list[tuple[str, ...]], suffix: str) -> None:
    """`rows` as actions.<suffix>; in JSON, empty cells are left out."""
    items = [{key: value for key, value in zip(TRACKER_HEADER, row, strict=True) if value} for row in rows]
    path = corpus / f"actions.{suffix}"
    if suffix == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([TRACKER_HEADER, *rows])
    elif suffix == "ndjson":
        path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    else:
        path.write_text(json.dumps(items, indent=1), encoding="utf-8")


@pytest.mark.parametrize("exports", [("csv",), ("ndjson",), ("json",), ("csv", "ndjson"), ("csv", "json")])
def test_reloads_change_what_the_tracker_rows_do(exports: tuple[str, ...], tmp_path: Path) -> None:
    """Tracker rows naming postmortems added, changed, removed, or moved to another file; split
    over two exports, a postmortem's rows are in both (a JSON array has no lines: its rows
    are all overlaid again)."""
    corpus, db = tmp_path / "tracked", tmp_path / "pm.duckdb"
    corpus.mkdir()
    for n in (1, 2, 3, 5, 6, 7, 8, 9):  # the reloads read fewer than half of the files
        (corpus / f"pm-{n}.md").write_text(TRACKED.format(n=n), encoding="utf-8")
    for index, suffix in enumerate(exports):
        write_tracker(corpus, CHANGING_TRACKER[index :: len(exports)], suffix)
    first = pm.load(corpus, db)
    assert sum("not in the corpus" in p.message for p in first.problems) == 3  # PM-4 twice, PM-404

    (corpus / "pm-4.md").write_text(TRACKED.format(n=4), encoding="utf-8")
    edit(corpus / "pm-3.md", "| A-2 | Second |", "| A-9 | Ninth | sre | 2026-03-01 | open | |\n| A-2 | Second |")
    edit(corpus / "pm-1.md", "| | No id |", "| | Fifth, no id | sre | | open | |\n| | No id |")
    reload_and_compare(corpus, db, tmp_path)
    (corpus / "pm-2.md").unlink()
    reload_and_compare(corpus, db, tmp_path)
    moved = TRACKED.format(n=1).replace("| A-2 | Second |", "| A-3 | Third |")
    (corpus / "0-first.md").write_text(moved, encoding="utf-8")  # takes PM-1 from pm-1.md
    report = reload_and_compare(corpus, db, tmp_path)
    assert any(p.path == "pm-1.md" and "duplicate id" in p.message for p in report.problems)
    (corpus / "0-first.md").unlink()  # and gives it back
    reload_and_compare(corpus, db, tmp_path)


def test_a_reload_parsed_in_parallel_batches(small_batches: None, corpus: Path, db: Path, tmp_path: Path) -> None:
    """The previous rows go while workers parse the files read again, batch after batch."""
    files = postmortem_files(corpus)
    for path in files[5:40:3]:
        edit(path, "title: ", "title: Revised - ")
    files[50].unlink()
    shutil.copy(files[60], corpus / "0000-first.md")  # a duplicate id, in the first batch
    report = reload_and_compare(corpus, db, tmp_path)
    assert report.files_read > parse.BATCH_FILES


def test_an_unchanged_reload_sees_new_bytes_in_settings_given_from_outside(corpus: Path, tmp_path: Path) -> None:
    """The fingerprint of a reload that found every file as it was is the previous one, but for
    settings given with `settings=`: their bytes are not among the corpus's files."""
    settings = tmp_path / "elsewhere.toml"
    settings.write_bytes((corpus / "pmanalytics.toml").read_bytes())
    db = tmp_path / "override.duckdb"
    first = pm.load(corpus, db, settings=settings)
    with settings.open("a", encoding="utf-8") as handle:
        handle.write("\n# a comment: other bytes, the same settings\n")
    again = pm.load(corpus, db, settings=settings)
    cold = pm.load(corpus, tmp_path / "cold.duckdb", settings=settings)
    assert again.files_read == 0
    assert again.corpus_fingerprint == cold.corpus_fingerprint != first.corpus_fingerprint
