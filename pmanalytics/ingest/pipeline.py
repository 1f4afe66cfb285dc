"""The loading pipeline: discover → parse → validate → store, each step in its own module.

`load` writes the database; `check` is a load into a throwaway database, so the two
always agree on what is rejected and why, and a check streams as a load does.

A load streams: parse workers hand over batches of files whose postmortems are already
table rows, the cross-file rules see the batches in path order, and the rows go into
the new database as they come, so memory stays flat at any corpus size. A reload reads
only the files that changed (see `incremental`) and applies them to a copy of the
previous database; either way the database ends up the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pmanalytics import __version__
from pmanalytics.corpus.records import CorpusFile, FileResult, PostmortemRef, Problem
from pmanalytics.corpus.settings import CorpusSettings, read_settings, settings_path
from pmanalytics.database import resolve_db_path
from pmanalytics.ingest.discover import discover_all
from pmanalytics.ingest.incremental import Plan, encode_result, is_cached, plan_reload
from pmanalytics.ingest.store import Build, LoadRecord, rebuild, settings_sha256
from pmanalytics.ingest.validate import Validator

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    from pmanalytics.ingest.parse import Batch, Progress

# the tables `blameless_findings` reads, in the order it takes them
BLAMELESS_TABLES = ("postmortems", "sections", "root_causes", "timeline_events", "lessons")


@dataclass(frozen=True)
class LoadReport:
    """What a load or a check found: the counts of docs/corpus.md section 5 and every problem."""

    corpus_path: Path
    db_path: Path | None
    files_seen: int
    loaded: int
    rejected: int
    skipped: int
    warnings: int
    problems: tuple[Problem, ...]
    corpus_fingerprint: str
    duration_seconds: float
    settings: CorpusSettings
    files_read: int = 0  # files read and parsed: all of them, unless a reload found most unchanged
    not_read_paths: tuple[str, ...] = ()  # files that look like postmortems but are not *.md (docs/corpus.md 1)

    @property
    def not_read(self) -> int:
        """How many files look like postmortems but are not read, not being named `*.md`."""
        return len(self.not_read_paths)

    @property
    def counts(self) -> dict[str, int]:
        return {"loaded": self.loaded, "rejected": self.rejected,
                "skipped": self.skipped, "warnings": self.warnings}


def load(
    corpus: str | Path,
    db: str | Path | None = None,
    *,
    settings: str | Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load the corpus folder into the database at `db` (default: see `resolve_db_path`).

    `settings` names a `pmanalytics.toml` to use instead of the corpus's own (for a
    corpus you cannot write to). A database already loaded from this corpus is updated
    with the files that changed since; the result is the same as loading everything.

    >>> report = load("data/sample")              # doctest: +SKIP
    >>> report.counts                             # doctest: +SKIP
    {'loaded': 298, 'rejected': 2, 'skipped': 2, 'warnings': 6}
    """
    return _load(corpus, db, settings, workers, progress, on_total, count_words=True)


def _load(
    corpus: str | Path,
    db: str | Path | None,
    settings: str | Path | None,
    workers: int | None,
    progress: Progress | None,
    on_total: Callable[[int], None] | None,
    *,
    count_words: bool,
) -> LoadReport:
    """`load`; `count_words=False` leaves out the word counts of related incidents (see `store.rebuild`)."""
    started = time.monotonic()
    corpus, override = Path(corpus), _path(settings)
    db_path = resolve_db_path(db)
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(_early_workers(workers)) if _reads_every_file(corpus, db_path) else None
        with _collector_paused():
            discovery = discover_all(corpus)
        files = discovery.files
        corpus_settings = read_settings(corpus, override)
        root = corpus.resolve()
        read = _Reader(corpus_settings, root, workers, progress, on_total, pool)
        with rebuild(db_path, count_words=count_words) as build:
            with _collector_paused():
                plan = plan_reload(db_path, files, root, __version__, settings_sha256(corpus_settings))
            files_read = _load_all(build, files, read) if plan is None else _load_changes(build, plan, read)
            known = None  # the fingerprint, when the previous one still holds
            if plan is not None and plan.same_contents() and override is None:
                known = plan.previous_fingerprint
            summary = build.summary(_settings_digest(settings_path(corpus, override)), fingerprint=known)
            report = LoadReport(
                corpus_path=root,
                db_path=db_path,
                files_seen=len(files),
                loaded=summary.loaded,
                rejected=summary.rejected,
                skipped=summary.skipped,
                warnings=summary.warnings,
                problems=summary.problems,
                corpus_fingerprint=summary.fingerprint,
                duration_seconds=time.monotonic() - started,
                settings=corpus_settings,
                files_read=files_read,
                not_read_paths=tuple(discovery.not_read),
            )
            build.finish(_record(report))
    return report


def _reads_every_file(corpus: Path, db_path: Path) -> bool:
    """Whether the load will read every file, known before listing the corpus: no database yet."""
    try:
        return corpus.is_dir() and (not db_path.exists() or db_path.stat().st_size == 0)
    except OSError:
        return False


def _early_workers(workers: int | None) -> contextlib.AbstractContextManager[ProcessPoolExecutor]:
    """The parse workers, started before the corpus is listed (see `parse.started_workers`)."""
    from pmanalytics.ingest.parse import started_workers

    return started_workers(workers)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Listing a corpus and planning a reload make an object or two per file and no reference
    cycles: Python's cycle collector would walk them again and again for nothing (it took
    as long as the listing itself for 100,000 files)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Reader:
    """How to parse: settings, corpus root, workers and progress reporting."""

    settings: CorpusSettings
    root: Path
    workers: int | None
    progress: Progress | None
    on_total: Callable[[int], None] | None
    pool: ProcessPoolExecutor | None = None  # workers already started, for a load from scratch

    def batches(self, files: list[CorpusFile], build: Build) -> Iterator[Batch]:
        """The batches of `files`; the rows of exports go through files in the build's `rows_folder`."""
        if self.on_total is not None:
            self.on_total(len(files))
        if not files:
            return iter(())  # importing the parser and pyarrow took 0.1 s of a reload that finds nothing changed
        from pmanalytics.ingest.parse import parse_batches

        return parse_batches(files, self.settings, self.root, workers=self.workers, progress=self.progress,
                             rows_folder=build.rows_folder, pool=self.pool)


def _load_all(build: Build, files: list[CorpusFile], read: _Reader) -> int:
    """A load from scratch: every file, streamed batch by batch into an empty database."""
    batches = read.batches(files, build)
    first = next(batches, None)  # forks the parse workers before the database and its threads exist
    build.start_empty(read.settings, __version__)
    validator = Validator()
    cache: dict[str, tuple[str | None, str]] = {}
    for batch in itertools.chain([first] if first else [], batches):
        for result in batch.results:
            if is_cached(result.file):  # as read: the overlay below changes it
                cache[result.file.path] = (result.content_sha256, encode_result(result))
            validator.add(result)
        build.add_rows(batch)
        build.add_results([result for result in batch.results if validator.is_final(result)])
    build.reject_duplicate_incidents()
    build.apply_tracker(validator)
    build.add_results(validator.trackers)
    build.replace_cache(cache)
    return len(files)


def _load_changes(build: Build, plan: Plan, read: _Reader) -> int:
    """A reload: the files of `plan.fresh` replace their previous rows in a copy of the database.

    The cross-file rules run on the fresh results, on the unchanged postmortems that
    share an id with them (read back from the database: they may keep the id or lose
    it) and on the tracker rows naming the postmortems deleted or written (the others
    keep what the previous load decided; see `validate.TrackerPart`); only what the rules
    decide for the fresh files, and for the unchanged postmortems that lost their id, is
    written. When no file was added, changed or removed, the rules would decide what they
    decided last time: only the touched files' times change. Exports are never read again
    (a changed export makes the reload a full load): the stored incidents keep their one
    row per id.

    The previous rows of the files read again or removed are deleted while the workers
    parse, once they are forked. The cycle collector is paused from there: the rest makes
    objects for the files read and a tracker's rows, and no cycles, and the collector
    walked the 100,000 files of the plan again at each of its passes (0.9 s of a 1 %
    reload of 100,000 postmortems).
    """
    parsed = read.batches(plan.fresh, build)
    first = next(parsed, None)  # forks the parse workers before the database and its threads exist
    with _collector_paused():
        build.start_from_previous()
        gone = [f.path for f in plan.fresh] + plan.removed
        deleted = build.postmortem_ids_of(gone) if gone else []
        build.delete_postmortems(deleted)
        batches = [first, *parsed] if first else []
        return _apply_changes(build, plan, batches, deleted)


def _apply_changes(build: Build, plan: Plan, batches: list[Batch], deleted: list[str]) -> int:
    """`_load_changes` once the fresh files are parsed and the `deleted` postmortems deleted."""
    written: list[FileResult] = []
    losers: list[FileResult] = []
    if plan.fresh or plan.removed:
        fresh = [result for batch in batches for result in batch.results]
        fresh_refs = {ref.postmortem_id for batch in batches for ref in batch.refs}
        holders = _unchanged_holders(build, plan, fresh_refs)
        held_ids = {holder.file.path: holder.postmortems[0].postmortem_id for holder in holders}
        parts = plan.tracker_parts(fresh_refs.union(deleted))
        tracker = plan.tracker() if parts is None else [part.result for part in parts]

        validator = Validator()
        for result in sorted(fresh + holders + tracker, key=lambda r: r.file.path):
            validator.add(result)
        losers = [holder for holder in holders if holder.outcome == "rejected"]
        build.delete_postmortems([held_ids[loser.file.path] for loser in losers])
        for batch in batches:
            build.add_rows(batch)
        fresh_ids = {ref.postmortem_id for result in fresh for ref in result.postmortems}
        build.apply_tracker(validator, rewrite=fresh_ids.__contains__)
        tracker = tracker if parts is None else [part.finish() for part in parts]
        written = fresh + losers + tracker

    loser_paths = {loser.file.path for loser in losers}
    touched = [result for result in plan.touched if result.file.path not in loser_paths]
    build.replace_files([r for r in written if r.file.kind != "export"] + touched, removed=plan.removed)
    build.replace_problems([r.file.path for r in written] + plan.removed, [p for r in written for p in r.problems])
    return len(plan.fresh)


def _unchanged_holders(build: Build, plan: Plan, ids: set[str]) -> list[FileResult]:
    """Results standing for the unchanged files whose postmortem has one of `ids`."""
    return [
        FileResult(plan.files[path], "loaded", sha, postmortems=[PostmortemRef(pm_id, path, line, source_format)])
        for pm_id, path, line, source_format, sha in build.holders(ids)
    ]


def _record(report: LoadReport) -> LoadRecord:
    return LoadRecord(
        loaded_at=dt.datetime.now(dt.UTC),
        corpus_path=str(report.corpus_path),
        corpus_fingerprint=report.corpus_fingerprint,
        files_seen=report.files_seen,
        loaded=report.loaded,
        rejected=report.rejected,
        skipped=report.skipped,
        warnings=report.warnings,
        duration_seconds=report.duration_seconds,
        pmanalytics_version=__version__,
    )


def check(
    corpus: str | Path,
    *,
    settings: str | Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate the corpus without writing anything the user keeps: a load into a throwaway database."""
    with _throwaway_load(corpus, settings, workers, progress) as (report, _):
        return report


def check_blameless(
    corpus: str | Path, *, settings: str | Path | None = None, workers: int | None = None
) -> tuple[LoadReport, pd.DataFrame]:
    """`check`, plus the sentences that blame people (see `lint.blameless`), read from the loaded tables."""
    from pmanalytics.database import open_database
    from pmanalytics.lint.blameless import blameless_findings

    with _throwaway_load(corpus, settings, workers, None) as (report, db_path), open_database(db_path) as db:
        findings = blameless_findings(*(db.table(name) for name in BLAMELESS_TABLES), corpus=report.corpus_path)
    return report, findings


@contextlib.contextmanager
def _throwaway_load(
    corpus: str | Path, settings: str | Path | None, workers: int | None, progress: Progress | None
) -> Iterator[tuple[LoadReport, Path]]:
    """`load` into a database in a new folder of the system's temporary directory, removed after the block.

    The database is given explicitly, so neither `$PMANALYTICS_DB` nor the default one is
    read or written, and the corpus may be read-only. The folder goes whatever ends the
    block: an error, Ctrl-C.
    """
    with tempfile.TemporaryDirectory(prefix="pmanalytics-check-") as folder:
        db_path = Path(folder) / "check.duckdb"
        report = _load(corpus, db_path, settings, workers, progress, None, count_words=False)
        yield replace(report, db_path=None), db_path


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _settings_digest(settings_file: Path | None) -> bytes:
    if settings_file is None:
        return b""
    return hashlib.sha256(settings_file.read_bytes()).hexdigest().encode()
