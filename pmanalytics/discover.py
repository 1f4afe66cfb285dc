"""Stage 1: find the files of a corpus and say what each one is (contract sections 1–3).

Nothing is read here but names and sizes. Symbolic links are never followed out of
the corpus, and folders are walked without following links (no loops). A sub-folder
that cannot be listed is reported (rejected), never silently left out.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from pmanalytics.errors import CorpusError
from pmanalytics.fields import Rejection
from pmanalytics.records import CorpusFile, FileKind
from pmanalytics.settings import SETTINGS_FILE

EXPORT_STEMS = ("postmortems", "actions", "incidents")
EXPORT_SUFFIXES = (".csv", ".json", ".ndjson")


def discover(corpus: Path) -> list[CorpusFile]:
    """Every postmortem, export and settings file of the corpus, in path order."""
    root = _check_root(corpus)
    found: list[CorpusFile] = []
    unreadable: list[OSError] = []
    for directory, subdirs, names in os.walk(root, followlinks=False, onerror=unreadable.append):
        subdirs.sort()
        relative_dir = Path(directory).relative_to(root)
        in_skipped_dir = any(part.startswith(("_", ".")) for part in relative_dir.parts)
        for name in names:
            relative = (relative_dir / name).as_posix()
            kind = _kind(name, relative_dir == Path("."), in_skipped_dir)
            if kind is None:
                continue
            found.append(_describe(root, relative, kind))
    for error in unreadable:
        folder = _unreadable_folder(root, error)
        if folder is not None:
            found.append(folder)
    found.sort(key=lambda f: f.path)
    return found


def _check_root(corpus: Path) -> Path:
    try:
        exists, is_dir = corpus.exists(), corpus.is_dir()
    except OSError as exc:
        raise CorpusError(f"{corpus}: cannot be reached ({exc.strerror or exc}; check the permissions "
                          "of the folders above it)") from None
    if not exists:
        raise CorpusError(f"{corpus}: no such folder (give the folder that holds your postmortems)")
    if not is_dir:
        raise CorpusError(f"{corpus}: not a folder (give the folder that holds your postmortems)")
    if not os.access(corpus, os.R_OK | os.X_OK):
        raise CorpusError(f"{corpus}: folder cannot be read (check its permissions)")
    try:
        os.scandir(corpus).close()
    except OSError as exc:
        raise CorpusError(f"{corpus}: folder cannot be read ({exc.strerror or exc}; check its permissions)") from None
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
        path=printable_path(relative),
        absolute=absolute,
        kind=kind,
        size_bytes=info.st_size if info else -1,
        modified_ns=info.st_mtime_ns if info else 0,
    )


def printable_path(relative: str) -> str:
    """The path as text that can be printed and stored: bytes of a name that are not UTF-8
    (which Python keeps as lone surrogates) are written `\\xff`. The file is opened by its
    real name (`CorpusFile.absolute`)."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return relative


def _unreadable_folder(root: Path, error: OSError) -> CorpusFile | None:
    """A sub-folder that `os.walk` could not list, as an entry that will be rejected with the reason
    (see `link_escapes`); None for one inside a skipped folder (its files would be skipped)."""
    if error.filename is None:
        return None
    try:
        relative = Path(os.fsdecode(error.filename)).relative_to(root)
    except ValueError:
        return None
    if relative == Path(".") or any(part.startswith(("_", ".")) for part in relative.parts):
        return None
    return CorpusFile(path=printable_path(relative.as_posix() + "/"), absolute=os.fsdecode(error.filename),
                      kind="postmortem", size_bytes=0, modified_ns=0)


def link_escapes(root: Path, file: CorpusFile) -> bool:
    """True when the file is a symbolic link whose target lies outside the corpus.

    Called before a file is opened, it also refuses, by raising :class:`Rejection` with the
    reason, what must never be opened: a link loop, a link to nothing, a folder that could not
    be listed, and anything that is not a regular file (opening a named pipe would block the
    load forever; a device could be endless).
    """
    try:
        if stat.S_ISLNK(os.lstat(file.absolute).st_mode):
            try:
                target = Path(file.absolute).resolve()
            except (OSError, RuntimeError):
                raise Rejection("symbolic link loop (fix or remove the link)", None) from None
            if not target.is_relative_to(root):
                return True
        info = os.stat(file.absolute)
    except FileNotFoundError:
        if os.path.islink(file.absolute):
            raise Rejection("symbolic link to a file that does not exist (fix or remove the link)", None) from None
        return False  # gone since it was found: reading it says so
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Rejection("symbolic link loop (fix or remove the link)", None) from None
        return False  # reading it gives the reason
    if stat.S_ISDIR(info.st_mode):
        try:
            os.scandir(file.absolute).close()
        except OSError as exc:
            raise Rejection(f"folder cannot be read: {exc.strerror or exc} (check its permissions; "
                            "the postmortems in it are not loaded)", None) from None
        raise Rejection("a folder named like a file (rename it)", None)
    if not stat.S_ISREG(info.st_mode):
        raise Rejection(f"not a regular file but a {_file_type(info.st_mode)} (a postmortem must be a "
                        "plain file; remove it from the corpus)", None)
    return False


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
