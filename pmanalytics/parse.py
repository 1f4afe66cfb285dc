"""Stage 2: read every file of the corpus into records, in worker processes when it pays.

Each file is read once: its bytes give both the content hash (for the corpus
fingerprint and incremental reloads) and the records. A file that cannot be read or
parsed becomes a rejected :class:`FileResult` with a one-line reason; nothing a file
holds can stop the others.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pmanalytics.discover import link_escapes
from pmanalytics.fields import Rejection
from pmanalytics.parse_exports import read_export
from pmanalytics.parse_markdown import decode, parse_postmortem
from pmanalytics.records import CorpusFile, FileResult, Problem
from pmanalytics.settings import CorpusSettings

MAX_FILE_BYTES = 10_000_000
MAX_EXPORT_BYTES = 500_000_000
PARALLEL_FROM_FILES = 400
CHUNK_FILES = 64

Progress = Callable[[int], None]


def parse_files(
    files: list[CorpusFile],
    settings: CorpusSettings,
    root: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Iterator[FileResult]:
    """Results in the order of `files`; parallel over `workers` processes for large corpora."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(files) < PARALLEL_FROM_FILES:
        results: Iterable[FileResult] = (parse_file(f, settings, root) for f in files)
        yield from _counted(results, progress)
        return
    chunks = [files[i : i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        batches = pool.map(_parse_chunk, chunks, [settings] * len(chunks), [root] * len(chunks))
        yield from _counted((r for batch in batches for r in batch), progress)


def _parse_chunk(files: list[CorpusFile], settings: CorpusSettings, root: Path) -> list[FileResult]:
    return [parse_file(f, settings, root) for f in files]


def _counted(results: Iterable[FileResult], progress: Progress | None) -> Iterator[FileResult]:
    for result in results:
        if progress is not None:
            progress(1)
        yield result


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
