"""Stage 2: read every file of the corpus into records, in worker processes.

Each file is read once: its bytes give both the content hash (for the corpus
fingerprint and incremental reloads) and the records. A file that cannot be read or
parsed becomes a rejected :class:`FileResult` with a one-line reason; nothing a file
holds can stop the others.

`parse_batches` gives :class:`Batch` es (for `load`, and `check`, which is a load into
a throwaway database): runs of consecutive files whose postmortems and incidents are
already Arrow tables (built in the worker, see `tables`), with only light references
to the postmortems left in the results. Pickling whole records back from the workers
costs as much as parsing them; Arrow buffers cost almost nothing. A few batches per
worker are in flight, so memory stays flat whatever the corpus size. Exports
(`actions.*`, `incidents.*`, `postmortems.*`) are the longest tasks: they are handed to
the workers first, and their rows, made 10,000 at a time, go to Parquet files
(`rows_folder`) that DuckDB reads itself (`store`): neither process ever holds a whole
export, whatever its size. (Handed to DuckDB as Arrow tables, rows cost the loading
process memory that DuckDB does not give back: 220 MB for 1.4 million incident rows,
measured, against 50 MB through Parquet.) An incident row leaves nothing else behind:
the rule on incident ids runs in the database. Only the tracker rows come back as
records: the overlay needs them.

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

import contextlib
import gc
import hashlib
import itertools
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from pmanalytics.corpus.document import decode, parse_postmortem
from pmanalytics.corpus.exports import read_export
from pmanalytics.corpus.fields import Rejection
from pmanalytics.corpus.records import CorpusFile, FileResult, Postmortem, PostmortemRef, Problem
from pmanalytics.corpus.settings import CorpusSettings
from pmanalytics.errors import PmanalyticsError
from pmanalytics.ingest import arrow_tables as tables
from pmanalytics.ingest.arrow_tables import incident_table, postmortem_tables
from pmanalytics.ingest.discover import link_escapes

MAX_FILE_BYTES = 10_000_000
MAX_EXPORT_BYTES = 500_000_000
EXPORT_BLOCK_BYTES = 1 << 20  # an export is checked a block at a time
PARALLEL_FROM_FILES = 400
BATCH_FILES = 250  # files per batch: big enough for bulk inserts, small enough to keep workers busy
WINDOW_PER_WORKER = 3  # batches in flight per worker
WATCH_PARENT_SECONDS = 1.0
WORKER_GC_OBJECTS = 100_000  # new objects between two collections of the youngest generation

Progress = Callable[[int], None]


@dataclass
class Batch:
    """Consecutive files, parsed: their results, with postmortems as references, and their rows."""

    results: list[FileResult]
    refs: list[PostmortemRef] = field(default_factory=list)  # refs[i] is the postmortem of pm_index i
    tables: dict[str, pa.Table] = field(default_factory=dict)
    row_files: dict[str, str] = field(default_factory=dict)  # table → Parquet file of more of its rows (an export's)


def parse_batches(
    files: list[CorpusFile],
    settings: CorpusSettings,
    root: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    rows_folder: Path | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[Batch]:
    """Batches covering `files`, in their order: over `workers` processes for large corpora, else one.

    The rows of each export go to files in `rows_folder` (created here when there is an
    export; the caller removes it), or stay in memory when it is None. A worker never
    creates it: one still parsing after a failed load ended cannot leave it behind.
    `pool` holds workers already started (`started_workers`), shut down here once the last
    batch is out, as workers started here are: their memory goes as the load's end begins.
    """
    units = _units(files)
    if units:
        tables.prepare()
    if rows_folder is not None and any(_is_export(unit[0]) for unit in units):
        rows_folder.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        count = _workers(workers)
        if pool is None:
            count = count if len(files) >= PARALLEL_FROM_FILES else 1
            pool = ProcessPoolExecutor(max_workers=count, initializer=_start_worker)
        stack.enter_context(pool)
        for batch in _in_order(pool, units, settings, root, count * WINDOW_PER_WORKER, rows_folder):
            if progress is not None:
                progress(len(batch.results))
            yield batch


@contextlib.contextmanager
def started_workers(workers: int | None = None) -> Iterator[ProcessPoolExecutor]:
    """Parse workers forked now, for `parse_batches(pool=...)`, and shut down after the block.

    For a load that will read every file: forked before the corpus is listed, the workers
    do not carry the listing's 100,000 file records (34 MB, counted again in each worker's
    memory). The fork start method starts every worker at the first task.
    """
    tables.prepare()
    with ProcessPoolExecutor(max_workers=_workers(workers), initializer=_start_worker) as pool:
        pool.submit(os.getpid).result()
        yield pool


def parse_batch(
    files: list[CorpusFile], settings: CorpusSettings, root: Path, rows_folder: Path | None = None
) -> Batch:
    """Parse `files` and turn their postmortems and incidents into tables, keeping references to the postmortems.

    An export is turned into tables as it is read, a chunk of rows at a time (`spill`),
    which go to files in `rows_folder` when one is given; the other files all at once at
    the end, in memory. An export refused halfway (not valid CSV) leaves no rows.
    """
    batch = Batch([])
    rows = _Rows(rows_folder if _is_export(files[0]) else None)

    def spill(*results: FileResult) -> None:
        for name, made in _spilled(batch, results).items():
            rows.add(name, made)

    try:
        batch.results = [parse_file(file, settings, root, spill) for file in files]
        spill(*batch.results)
        if _is_export(files[0]) and batch.results[0].outcome == "rejected":
            rows.discard()  # what was read before the file turned out bad
        batch.tables, batch.row_files = rows.finish()
    except BaseException:
        rows.discard()
        raise
    return batch


class _Rows:
    """Where the rows of a batch go as they are made: in memory, or appended to one Parquet file
    per table in `folder`, so that the worker holds one chunk of an export at a time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.parts: dict[str, list[pa.Table]] = {}
        self.writers: dict[str, tuple[str, Any]] = {}  # table → (path, its pyarrow.parquet.ParquetWriter)

    def add(self, name: str, rows: pa.Table) -> None:
        if self.folder is None:
            self.parts.setdefault(name, []).append(rows)
        elif rows.num_rows:
            self._writer(self.folder, name, rows.schema).write_table(rows)

    def _writer(self, folder: Path, name: str, schema: pa.Schema) -> Any:
        if name not in self.writers:
            import pyarrow.parquet as pq  # only for exports

            handle, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".parquet", dir=folder)
            os.close(handle)
            self.writers[name] = (path, pq.ParquetWriter(path, schema))
        return self.writers[name][1]

    def finish(self) -> tuple[dict[str, pa.Table], dict[str, str]]:
        """(the tables held in memory, the files written: table → path), the files closed."""
        for _, writer in self.writers.values():
            writer.close()
        return ({name: pa.concat_tables(parts) for name, parts in self.parts.items()},
                {name: path for name, (path, _) in self.writers.items()})

    def discard(self) -> None:
        """Forget every row: the tables in memory, the files written."""
        self.parts.clear()
        for path, writer in self.writers.values():
            with contextlib.suppress(Exception):  # a writer that failed may not close cleanly
                writer.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        self.writers.clear()


def _spilled(batch: Batch, results: Sequence[FileResult]) -> dict[str, pa.Table]:
    """The tables of the postmortems and incidents `results` hold as records, taken out of them.

    Postmortems become references (appended to the batch's, whose positions the tables'
    `pm_index` column gives): the rule on postmortem ids needs them. Incidents leave
    nothing: the rule on incident ids runs on the stored rows.
    """
    postmortems = [pm for r in results for pm in r.postmortems if isinstance(pm, Postmortem)]
    incidents = [i for r in results for i in r.incidents]
    made = {**postmortem_tables(postmortems), "incidents": incident_table(incidents)}
    if batch.refs:
        import pyarrow.compute as pc  # only for exports of more than one chunk: slow to import (70 ms)

        for name, rows in made.items():
            if tables.PM_INDEX in rows.column_names:
                column = rows.column_names.index(tables.PM_INDEX)
                offset = pc.add(rows[tables.PM_INDEX], pa.scalar(len(batch.refs), tables.INT))
                made[name] = rows.set_column(column, tables.PM_INDEX, offset)
    for result in results:
        result.postmortems = [_reference(pm, batch.refs) for pm in result.postmortems]
        result.incidents.clear()
    return made


def _reference(pm: Postmortem | PostmortemRef, refs: list[PostmortemRef]) -> PostmortemRef:
    if isinstance(pm, PostmortemRef):
        return pm
    refs.append(PostmortemRef(pm.postmortem_id, pm.source_path, pm.source_line, pm.source_format))
    return refs[-1]


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
    pool: ProcessPoolExecutor, units: list[list[CorpusFile]], settings: CorpusSettings, root: Path, window: int,
    rows_folder: Path | None,
) -> Iterator[Batch]:
    """The batches of `units` in order: exports submitted first, the other runs `window` at a time."""
    exports = {id(unit): pool.submit(parse_batch, unit, settings, root, rows_folder)
               for unit in units if _is_export(unit[0])}
    markdown = iter([unit for unit in units if not _is_export(unit[0])])
    in_flight: deque[Future[Batch]] = deque()

    def submit_next() -> None:
        for unit in itertools.islice(markdown, 1):
            in_flight.append(pool.submit(parse_batch, unit, settings, root))

    for _ in range(window):
        submit_next()
    for unit in units:
        if _is_export(unit[0]):
            yield _result(exports.pop(id(unit)), unit)
            continue
        batch = _result(in_flight.popleft(), unit)
        submit_next()
        yield batch


def _result(future: Future[Batch], unit: list[CorpusFile]) -> Batch:
    """The batch of `unit`; running out of memory (in the worker, or here) is a one-line error."""
    try:
        return future.result()
    except MemoryError:
        where = unit[0].path if len(unit) == 1 else f"{unit[0].path} .. {unit[-1].path}"
        raise PmanalyticsError(f"{where}: not enough memory to load (split large exports, "
                               "or give the load more memory)") from None


def _start_worker() -> None:
    """Freeze what the worker inherits, collect cycles seldom; exit when the loading process dies."""
    gc.freeze()
    # A batch's records live until its tables are made, and hold no cycles: collecting every 700
    # new objects (the default) walked them again and again for nothing, 5 % of a worker's CPU
    # (measured); every 100,000 still frees the rare cycles (YAML aliases) soon enough.
    gc.set_threshold(WORKER_GC_OBJECTS)
    parent = os.getppid()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_PARENT_SECONDS)
        os._exit(1)  # a killed load must not leave workers waiting forever for work

    threading.Thread(target=watch_parent, daemon=True).start()


def parse_file(
    file: CorpusFile, settings: CorpusSettings, root: Path, spill: Callable[[FileResult], None] | None = None
) -> FileResult:
    """Read and parse one file; never raises for anything the file holds (see `read_export` for `spill`)."""
    if file.kind == "skipped":
        return FileResult(file, "skipped")
    result = FileResult(file, "read")
    try:
        if file.kind == "export":
            result.content_sha256 = _check_export(file, root)
            with _open(file, encoding="utf-8-sig") as text:  # newlines read as \n, as `decode` does
                read_export(result, text, settings, spill)
            return result
        data = _read(file, root)
        result.content_sha256 = hashlib.sha256(data).hexdigest()
        if file.kind == "postmortem":
            postmortem, ctx = parse_postmortem(file.path, data, settings)
            result.outcome = "loaded"
            result.postmortems.append(postmortem)
            result.problems.extend(ctx.problems)
    except Rejection as exc:
        _reject(result, str(exc), exc.line)
        result.problems.extend(exc.also)  # the file's other problems: all of them in one run
    except RecursionError:
        _reject(result, "nested too deeply to read", None)
    except MemoryError:
        _reject(result, "not enough memory to read this file (split it, or give the load more memory)", None)
    return result


def _reject(result: FileResult, reason: str, line: int | None) -> None:
    result.outcome = "rejected"
    result.rejected = 1
    result.postmortems.clear()
    result.incidents.clear()
    result.actions.clear()
    result.problems = [Problem(result.file.path, line, "error", reason)]


def _check_export(file: CorpusFile, root: Path) -> str:
    """The SHA-256 of an export, once its text is known to be UTF-8 (the checks of `decode`),
    read a block at a time: an export is then parsed as a stream, and must not fail halfway."""
    digest = hashlib.sha256()
    _limit(file, root)
    lines = 0
    with _open(file) as handle:
        while block := handle.read(EXPORT_BLOCK_BYTES):
            block += handle.readline()  # a line is never cut, nor a UTF-8 character
            digest.update(block)
            try:
                decode(block)
            except Rejection as exc:
                raise Rejection(str(exc), None if exc.line is None else exc.line + lines) from None
            lines += block.count(b"\n")
            if handle.tell() > MAX_EXPORT_BYTES:
                raise Rejection(f"file is over the {MAX_EXPORT_BYTES // 1_000_000} MB limit", None)
    return digest.hexdigest()


@contextlib.contextmanager
def _open(file: CorpusFile, encoding: str | None = None) -> Iterator[IO[Any]]:
    try:
        handle = open(file.absolute, "rb") if encoding is None else open(file.absolute, encoding=encoding)  # noqa: SIM115
    except IsADirectoryError:
        raise Rejection("a folder named like a file (rename it)", None) from None
    except OSError as exc:
        raise Rejection(f"cannot be read: {exc.strerror or exc} (check its permissions)", None) from None
    with handle:
        yield handle


def _read(file: CorpusFile, root: Path) -> bytes:
    """The bytes of the file, refused past the size limit even when it grew since it was listed.

    Asked first for its listed size and one byte more: asking for the whole limit at once
    would allocate a buffer of that size for every file (2.5 times the cost of the read).
    """
    limit = _limit(file, root)
    listed = max(file.size_bytes, 0)
    try:
        with open(file.absolute, "rb") as handle:
            data = handle.read(listed + 1)
            if len(data) > listed:  # it grew since it was listed
                data += handle.read(limit + 1 - len(data))
    except IsADirectoryError:
        raise Rejection("a folder named like a file (rename it)", None) from None
    except OSError as exc:
        raise Rejection(f"cannot be read: {exc.strerror or exc} (check its permissions)", None) from None
    if len(data) > limit:
        raise Rejection(f"file is over the {limit // 1_000_000} MB limit", None)
    return data


def _limit(file: CorpusFile, root: Path) -> int:
    """The size limit of the file, once it is known to be inside the corpus and under it by its listed size."""
    limit = MAX_EXPORT_BYTES if file.kind == "export" else MAX_FILE_BYTES
    if link_escapes(root, file):
        raise Rejection("symbolic link to a file outside the corpus (copy the file in instead)", None)
    if file.size_bytes > limit:
        raise Rejection(
            f"file of {file.size_bytes / 1e6:.1f} MB is over the {limit // 1_000_000} MB limit "
            "(split it or move attachments out of the corpus)", None
        )
    return limit
