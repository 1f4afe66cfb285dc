"""Reloads are all-or-nothing: crashes, readers holding the file, and concurrent loads."""

from __future__ import annotations

import hashlib
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import duckdb
import pytest

import pmanalytics as pm

DOC = """---
id: PM-{n}
title: Incident {n}
severity: S{s}
started_at: 2026-02-{d:02d}T10:00:00Z
resolved_at: 2026-02-{d:02d}T12:00:00Z
services: [svc-{m}]
root_causes: ["config: change {n}"]
---

## Timeline
- 10:00 — start
- 11:00 — mitigated

## Actions
| Action | Owner | Status |
|---|---|---|
| Fix {n} | team-{m} | open |
"""


def write_corpus(folder: Path, count: int, offset: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(offset, offset + count):
        text = DOC.format(n=n, s=n % 4 + 1, d=n % 28 + 1, m=n % 5)
        (folder / f"pm-{n:05d}.md").write_text(text, encoding="utf-8")
    return folder


def load_killed_after(corpus: Path, db: Path, seconds: float) -> None:
    """`pmanalytics load` in a process of its own, killed (SIGKILL) after `seconds`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pmanalytics", "load", str(corpus), "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def count_postmortems(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM postmortems").fetchall()[0][0])
    finally:
        con.close()


def test_reload_replaces_content_and_keeps_history(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    corpus = write_corpus(tmp_path / "c", 3)
    pm.load(corpus, db)
    (corpus / "pm-00001.md").unlink()
    write_corpus(corpus, 2, offset=10)
    pm.load(corpus, db)
    with pm.open_database(db) as con:
        ids = sorted(con.table("postmortems")["postmortem_id"])
        assert ids == ["PM-0", "PM-10", "PM-11", "PM-2"]
        assert sorted(con.table("actions")["description"]) == ["Fix 0", "Fix 10", "Fix 11", "Fix 2"]
        assert list(con.table("loads")["loaded"]) == [3, 4]
        assert list(con.table("loads")["load_id"]) == [1, 2]


def test_a_reader_keeps_its_view_while_a_reload_runs(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    corpus = write_corpus(tmp_path / "c", 5)
    pm.load(corpus, db)
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, duckdb\n"
         f"con = duckdb.connect({str(db)!r}, read_only=True)\n"
         "print(con.execute('select count(*) from postmortems').fetchall()[0][0], flush=True)\n"
         "sys.stdin.readline()\n"
         "print(con.execute('select count(*) from postmortems').fetchall()[0][0], flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert reader.stdout is not None and reader.stdin is not None
    assert reader.stdout.readline().strip() == "5"
    write_corpus(corpus, 3, offset=100)
    pm.load(corpus, db)  # the reader holds the old file open, read-only
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "5"  # its view is unchanged
    assert reader.wait(timeout=30) == 0
    assert count_postmortems(db) == 8


def test_two_loads_at_once_run_one_after_the_other(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    small = write_corpus(tmp_path / "small", 10)
    large = write_corpus(tmp_path / "large", 600, offset=1000)
    commands = [
        [sys.executable, "-m", "pmanalytics", "load", str(corpus), "--db", str(db)]
        for corpus in (large, small)
    ]
    processes = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
    results = [p.wait(timeout=120) for p in processes]
    assert results == [0, 0]
    assert count_postmortems(db) in (10, 600)  # one whole load or the other, never a mix
    with pm.open_database(db) as con:
        assert len(con.table("loads")) == 2


@pytest.mark.slow
def test_a_load_killed_at_random_points_leaves_the_previous_database(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    pm.load(write_corpus(tmp_path / "before", 7), db)
    big = write_corpus(tmp_path / "big", 1500, offset=5000)
    rng = random.Random(20261126)
    outcomes = []
    for _ in range(6):
        load_killed_after(big, db, rng.uniform(0.3, 2.5))
        count = count_postmortems(db)  # opens: the file is never left broken
        assert count in (7, 1500)
        outcomes.append(count)
        if count == 1500:  # the load finished before the kill: start again from the old corpus
            pm.load(tmp_path / "before", db)
    assert 7 in outcomes
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".pm.duckdb")]
    pm.load(tmp_path / "before", db)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")], leftovers


def first_words_of_titles(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {row[0].split()[0] for row in con.execute("SELECT title FROM postmortems").fetchall()}
    finally:
        con.close()


@pytest.mark.slow
def test_a_reload_in_place_killed_at_random_points_leaves_one_whole_database(tmp_path: Path) -> None:
    """A reload with few changes writes the database in place, in one transaction: a kill
    before the commit leaves the old content, after it the new one; never a mix."""
    db = tmp_path / "pm.duckdb"
    corpus = write_corpus(tmp_path / "c", 3000)
    pm.load(corpus, db)
    rng = random.Random(20261127)
    kept_old = []
    for attempt in range(5):
        word = f"Edit{attempt}"
        for path in sorted(corpus.glob("pm-*.md"))[:900]:  # under half the files: a reload, not a full load
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"^title: .*$", f"title: {word} incident", text, count=1, flags=re.MULTILINE),
                            encoding="utf-8")
        before = first_words_of_titles(db)
        load_killed_after(corpus, db, rng.uniform(0.2, 3.0))
        after = first_words_of_titles(db)  # opens: the file is never left broken
        assert count_postmortems(db) == 3000
        assert after in (before, {"Incident", word}), after
        kept_old.append(after == before)
        pm.load(corpus, db)  # whatever the kill left, the next load brings the database up to date
        assert first_words_of_titles(db) == {"Incident", word}
    assert True in kept_old, "every reload finished before its kill: kill sooner"


def test_a_reload_with_few_changes_writes_in_place_without_copying(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    corpus = write_corpus(tmp_path / "c", 10)
    pm.load(corpus, db)
    write_corpus(corpus, 2, offset=100)
    with mock.patch("pmanalytics.ingest.store.shutil.copyfile", side_effect=AssertionError("copied")) as copy:
        report = pm.load(corpus, db)
    assert copy.call_count == 0 and report.files_read == 2 and count_postmortems(db) == 12
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".wal"))]


def test_a_reader_waits_for_a_reload_in_place(tmp_path: Path) -> None:
    """While a reload holds the file (DuckDB's lock), opening it waits instead of failing."""
    db = tmp_path / "pm.duckdb"
    pm.load(write_corpus(tmp_path / "c", 3), db)
    writer = duckdb.connect(str(db))  # what a reload in place holds
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys, pmanalytics as pm\n"
         f"print(len(pm.open_database({str(db)!r}).table('postmortems')))"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    still_waiting = reader.poll() is None
    writer.close()
    out, err = reader.communicate(timeout=60)
    assert still_waiting, f"the reader did not wait for the writer: {out}{err}"
    assert out.strip() == "3", err


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    pm.load(write_corpus(tmp_path / "c", 1), db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(pm.PmanalyticsError, match="newer pmanalytics"):
        pm.open_database(db)


def test_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(pm.PmanalyticsError, match="run `pmanalytics load CORPUS` first"):
        pm.open_database(tmp_path / "none.duckdb")


def test_the_fingerprint_is_the_hash_of_every_file_in_path_order(tmp_path: Path) -> None:
    """Computed in chunks by `load`, at once by `check`: both are the documented hash."""
    corpus = write_corpus(tmp_path / "c", 25)
    (corpus / "README.md").write_text("not a postmortem: skipped, never read\n", encoding="utf-8")
    expected = hashlib.sha256("".join(
        f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n"
        for path in sorted(corpus.glob("pm-*.md"))).encode()).hexdigest()
    with mock.patch("pmanalytics.ingest.store.FINGERPRINT_ROWS", 4):
        loaded = pm.load(corpus, tmp_path / "pm.duckdb")
    assert loaded.corpus_fingerprint == pm.check(corpus).corpus_fingerprint == expected
