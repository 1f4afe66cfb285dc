"""Stage 2: read every file of the corpus into records, in worker processes.

Each file is read once: its bytes give both the content hash (for the corpus
fingerprint and incremental reloads) and the records. A file that cannot be read or
parsed becomes a rejected :class:`FileResult` with a one-line reason; nothing a file
holds can stop the others.

`parse_batches` gives :class:`Batch` es (for `load`, and `check`, which is a load into
a throwaway database): runs of consecutive files whose postmortems and incidents are
already Arrow tables (built in the worker, see `tables`), with only light references
left in the results. Pickling whole records back from the workers costs as much as
parsing them; Arrow buffers cost almost nothing. A few batches per worker are in
flight, so memory stays flat whatever the corpus size. Exports (`actions.*`,
`incidents.*`, `postmortems.*`) are the longest tasks: they are handed to the workers
first. Only the tracker rows come back as records: the overlay needs them.

Workers are forked (a fork server or spawn would run again a user's script that lacks
an `if __name__ == "__main__"` guard): `parse_batches` starts them before the caller
opens the database it builds, they freeze what they inherit (`gc.freeze`) so that the
garbage collector does not walk it again and again, and they exit when the loading
process dies, so that a killed load leaves no orphans waiting forever for work.
Everything is parsed in workers, even with one file to read: parsing leaves a
fragmented heap behind (130 MB for 100,000 incident rows, measured), which goes away
with the worker.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pmanalytics.corpus.document import decode, parse_postmortem
from pmanalytics.corpus.exports import read_export
from pmanalytics.corpus.fields import Rejection
from pmanalytics.corpus.records import CorpusFile, FileResult, Incident, IncidentRef, Postmortem, PostmortemRef, Problem
from pmanalytics.corpus.settings import CorpusSettings
from pmanalytics.ingest import arrow_tables as tables
from pmanalytics.ingest.arrow_tables import incident_table, postmortem_tables
from pmanalytics.ingest.discover import link_escapes

MAX_FILE_BYTES = 10_000_000
MAX_EXPORT_BYTES = 500_000_000
PARALLEL_FROM_FILES = 400
BATCH_FILES = 250  # files per batch: big enough for bulk inserts, small enough to keep workers busy
WINDOW_PER_WORKER = 3  # batches in flight per worker
WATCH_PARENT_SECONDS = 1.0

Progress = Callable[[int], None]


@dataclass
class Batch:
    """Consecutive files, parsed: their results, with postmortems and incidents as references,
    and their rows."""

    results: list[FileResult]
    refs: list[PostmortemRef] = field(default_factory=list)  # refs[i] is the postmortem of pm_index i
    incident_refs: list[IncidentRef] = field(default_factory=list)  # likewise for incident_index
    tables: dict[str, pa.Table] = field(default_factory=dict)


def parse_batches(
    files: list[CorpusFile],
    settings: CorpusSettings,
    root: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Iterator[Batch]:
    """Batches covering `files`, in their order: over `workers` processes for large corpora, else one."""
    workers = _workers(workers) if len(files) >= PARALLEL_FROM_FILES else 1
    units = _units(files)
    if units:
        tables.prepare()
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        for batch in _in_order(pool, units, settings, root, workers * WINDOW_PER_WORKER):
            if progress is not None:
                progress(len(batch.results))
            yield batch


def parse_batch(files: list[CorpusFile], settings: CorpusSettings, root: Path) -> Batch:
    """Parse `files` and turn their postmortems and incidents into tables, keeping references."""
    results = _parse_chunk(files, settings, root)
    postmortems = [pm for r in results for pm in r.postmortems if isinstance(pm, Postmortem)]
    incidents = [i for r in results for i in r.incidents if isinstance(i, Incident)]
    batch = Batch(results, tables={**postmortem_tables(postmortems), "incidents": incident_table(incidents)})
    for result in results:
        refs = [PostmortemRef(pm.postmortem_id, pm.source_path, pm.source_line, pm.source_format)
                for pm in result.postmortems]
        incident_refs = [IncidentRef(i.incident_id, i.source_path, i.source_line) for i in result.incidents]
        result.postmortems, result.incidents = list(refs), list(incident_refs)
        batch.refs.extend(refs)
        batch.incident_refs.extend(incident_refs)
    return batch


def _workers(workers: int | None) -> int:
    return workers if workers is not None else (os.cpu_count() or 1)


def _units(files: list[CorpusFile]) -> list[list[CorpusFile]]:
    """Runs of at most BATCH_FILES consecutive files; each export is a run of its own."""
    units: list[list[CorpusFile]] = []
    for is_export, run in itertools.groupby(files, key=_is_export):
        group = list(run)
        size = 1 if is_export else BATCH_FILES
        units.extend(group[i : i + size] for i in range(0, len(group), size))
    return units


def _is_export(file: CorpusFile) -> bool:
    return file.kind == "export"


def _in_order(
    pool: ProcessPoolExecutor, units: list[list[CorpusFile]], settings: CorpusSettings, root: Path, window: int
) -> Iterator[Batch]:
    """The batches of `units` in order: exports submitted first, the other runs `window` at a time."""
    exports = {id(unit): pool.submit(parse_batch, unit, settings, root) for unit in units if _is_export(unit[0])}
    markdown = iter([unit for unit in units if not _is_export(unit[0])])
    in_flight: deque[Future[Batch]] = deque()

    def submit_next() -> None:
        for unit in itertools.islice(markdown, 1):
            in_flight.append(pool.submit(parse_batch, unit, settings, root))

    for _ in range(window):
        submit_next()
    for unit in units:
        if _is_export(unit[0]):
            yield exports.pop(id(unit)).result()
            continue
        batch = in_flight.popleft().result()
        submit_next()
        yield batch


def _start_worker() -> None:
    """Freeze what the worker inherits; exit when the loading process dies, whatever killed it."""
    gc.freeze()
    parent = os.getppid()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_PARENT_SECONDS)
        os._exit(1)  # a killed load must not leave workers waiting forever for work

    threading.Thread(target=watch_parent, daemon=True).start()


def _parse_chunk(files: list[CorpusFile], settings: CorpusSettings, root: Path) -> list[FileResult]:
    return [parse_file(f, settings, root) for f in files]


def parse_file(file: CorpusFile, settings: CorpusSettings, root: Path) -> FileResult:
    """Read and parse one file; never raises for anything the file holds."""
    if file.kind == "skipped":
        return FileResult(file, "skipped")
    result = FileResult(file, "read")
    try:
        data = _read(file, root)
        result.content_sha256 = hashlib.sha256(data).hexdigest()
        if file.kind == "postmortem":
            postmortem, ctx = parse_postmortem(file.path, data, settings)
            result.outcome = "loaded"
            result.postmortems.append(postmortem)
            result.problems.extend(ctx.problems)
        elif file.kind == "export":
            read_export(result, decode(data), settings)
    except Rejection as exc:
        _reject(result, str(exc), exc.line)
        result.problems.extend(exc.also)  # the file's other problems: all of them in one run
    except RecursionError:
        _reject(result, "nested too deeply to read", None)
    return result


def _reject(result: FileResult, reason: str, line: int | None) -> None:
    result.outcome = "rejected"
    result.rejected = 1
    result.postmortems.clear()
    result.problems = [Problem(result.file.path, line, "error", reason)]


def _read(file: CorpusFile, root: Path) -> bytes:
    limit = MAX_EXPORT_BYTES if file.kind == "export" else MAX_FILE_BYTES
    if link_escapes(root, file):
        raise Rejection("symbolic link to a file outside the corpus (copy the file in instead)", None)
    if file.size_bytes > limit:
        raise Rejection(
            f"file of {file.size_bytes / 1e6:.1f} MB is over the {limit // 1_000_000} MB limit "
            "(split it or move attachments out of the corpus)", None
        )
    try:
        with open(file.absolute, "rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise Rejection("a folder named like a file (rename it)", None) from None
    except OSError as exc:
        raise Rejection(f"cannot be read: {exc.strerror or exc} (check its permissions)", None) from None
    if len(data) > limit:
        raise Rejection(f"file is over the {limit // 1_000_000} MB limit", None)
    return data
