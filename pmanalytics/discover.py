"""Stage 1: find the files of a corpus and say what each one is (contract sections 1–3).

Nothing is read here but names and sizes. Symbolic links are never followed out of
the corpus, and folders are walked without following links (no loops).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pmanalytics.errors import CorpusError
from pmanalytics.records import CorpusFile, FileKind
from pmanalytics.settings import SETTINGS_FILE

EXPORT_STEMS = ("postmortems", "actions", "incidents")
EXPORT_SUFFIXES = (".csv", ".json", ".ndjson")


def discover(corpus: Path) -> list[CorpusFile]:
    """Every postmortem, export and settings file of the corpus, in path order."""
    root = _check_root(corpus)
    found: list[CorpusFile] = []
    for directory, subdirs, names in os.walk(root, followlinks=False):
        subdirs.sort()
        relative_dir = Path(directory).relative_to(root)
        in_skipped_dir = any(part.startswith(("_", ".")) for part in relative_dir.parts)
        for name in names:
            relative = (relative_dir / name).as_posix()
            kind = _kind(name, relative_dir == Path("."), in_skipped_dir)
            if kind is None:
                continue
            found.append(_describe(root, relative, kind))
    found.sort(key=lambda f: f.path)
    return found


def _check_root(corpus: Path) -> Path:
    if not corpus.exists():
        raise CorpusError(f"{corpus}: no such folder (give the folder that holds your postmortems)")
    if not corpus.is_dir():
        raise CorpusError(f"{corpus}: not a folder (give the folder that holds your postmortems)")
    if not os.access(corpus, os.R_OK | os.X_OK):
        raise CorpusError(f"{corpus}: folder cannot be read (check its permissions)")
    return corpus.resolve()


def _kind(name: str, at_root: bool, in_skipped_dir: bool) -> FileKind | None:
    lowered = name.lower()
    if lowered.endswith(".md"):
        if in_skipped_dir or name.startswith(("_", ".")) or lowered == "readme.md":
            return "skipped"
        return "postmortem"
    if at_root and name == SETTINGS_FILE:
        return "settings"
    if at_root and not in_skipped_dir:
        stem, _, suffix = lowered.rpartition(".")
        if stem in EXPORT_STEMS and f".{suffix}" in EXPORT_SUFFIXES:
            return "export"
    return None


def _describe(root: Path, relative: str, kind: FileKind) -> CorpusFile:
    absolute = os.path.join(root, relative)
    try:
        info = os.stat(absolute)
    except OSError:
        info = None
    return CorpusFile(
        path=relative,
        absolute=absolute,
        kind=kind,
        size_bytes=info.st_size if info else -1,
        modified_ns=info.st_mtime_ns if info else 0,
    )


def link_escapes(root: Path, file: CorpusFile) -> bool:
    """True when the file is a symbolic link whose target lies outside the corpus."""
    try:
        if not stat.S_ISLNK(os.lstat(file.absolute).st_mode):
            return False
        target = Path(file.absolute).resolve()
    except (OSError, RuntimeError):
        return True
    return not target.is_relative_to(root)
