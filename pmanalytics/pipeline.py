"""The loading pipeline: discover → parse → validate → store, each step in its own module.

`load` writes the database; `check` runs the same steps but stores nothing, so the two
always agree on what is rejected and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pmanalytics import __version__
from pmanalytics.database import resolve_db_path
from pmanalytics.discover import discover
from pmanalytics.parse import Progress, parse_files
from pmanalytics.records import Problem
from pmanalytics.settings import CorpusSettings, read_settings, settings_path
from pmanalytics.store import LoadRecord, write_database
from pmanalytics.validate import ValidCorpus, validate

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class LoadReport:
    """What a load or a check found: the counts of contract section 5 and every problem."""

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
    corpus you cannot write to).

    >>> report = load("data/sample")              # doctest: +SKIP
    >>> report.counts                             # doctest: +SKIP
    {'loaded': 298, 'rejected': 2, 'skipped': 2, 'warnings': 6}
    """
    db_path = resolve_db_path(db)
    report, valid = _run(Path(corpus), _path(settings), workers, progress, on_total, db_path)
    record = LoadRecord(
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
    write_database(valid, report.settings, record, db_path)
    return report


def check(
    corpus: str | Path,
    *,
    settings: str | Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate the corpus without writing anything."""
    report, _ = _run(Path(corpus), _path(settings), workers, progress, None, None)
    return report


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _run(
    corpus: Path,
    settings_override: Path | None,
    workers: int | None,
    progress: Progress | None,
    on_total: Callable[[int], None] | None,
    db_path: Path | None,
) -> tuple[LoadReport, ValidCorpus]:
    started = time.monotonic()
    files = discover(corpus)
    settings = read_settings(corpus, settings_override)
    if on_total is not None:
        on_total(len(files))
    root = corpus.resolve()
    results = list(parse_files(files, settings, root, workers=workers, progress=progress))
    valid = validate(results)
    report = LoadReport(
        corpus_path=root,
        db_path=db_path,
        files_seen=len(files),
        loaded=valid.loaded,
        rejected=valid.rejected,
        skipped=valid.skipped,
        warnings=valid.warnings,
        problems=tuple(valid.problems),
        corpus_fingerprint=_fingerprint(valid, settings_path(corpus, settings_override)),
        duration_seconds=time.monotonic() - started,
        settings=settings,
    )
    return report, valid


def _fingerprint(valid: ValidCorpus, settings_file: Path | None) -> str:
    """SHA-256 over every read file's path and content hash, and the settings file."""
    digest = hashlib.sha256()
    for result in valid.results:
        if result.content_sha256:
            digest.update(f"{result.file.path}\0{result.content_sha256}\n".encode())
    if settings_file is not None:
        digest.update(hashlib.sha256(settings_file.read_bytes()).hexdigest().encode())
    return digest.hexdigest()


def check_blameless(
    corpus: str | Path, *, settings: str | Path | None = None, workers: int | None = None
) -> tuple[LoadReport, pd.DataFrame]:
    """`check`, plus the sentences that blame people (see `figures.blameless`), nothing written."""
    from pmanalytics.figures.blameless import blameless_findings
    from pmanalytics.store import postmortem_frames

    report, valid = _run(Path(corpus), _path(settings), workers, None, None, None)
    frames = postmortem_frames(valid.postmortems)
    findings = blameless_findings(frames["postmortems"], frames["sections"], frames["root_causes"],
                                  frames["timeline_events"], frames["lessons"])
    return report, findings
