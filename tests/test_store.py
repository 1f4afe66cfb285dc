"""Reloads are all-or-nothing: crashes, readers holding the file, and concurrent loads."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

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
        process = subprocess.Popen(
            [sys.executable, "-m", "pmanalytics", "load", str(big), "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        count = count_postmortems(db)  # opens: the file is never left broken
        assert count in (7, 1500)
        outcomes.append(count)
        if count == 1500:  # the load finished before the kill: start again from the old corpus
            pm.load(tmp_path / "before", db)
    assert 7 in outcomes
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".pm.duckdb")]
    pm.load(tmp_path / "before", db)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")], leftovers


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
