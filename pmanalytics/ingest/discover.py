"""Stage 1: find the files of a corpus and say what each one is (docs/corpus.md sections 1–3).

Nothing is read here but names and sizes, except the first bytes of the rare files that
may be postmortems saved under another name (`looks_like_postmortem`). Symbolic links are
never followed out of the corpus, and folders are walked without following links (no
loops). A sub-folder that cannot be listed is reported (rejected), never silently left out.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from pmanalytics.corpus.fields import Rejection
from pmanalytics.corpus.records import CorpusFile, FileKind
from pmanalytics.corpus.settings import SETTINGS_FILE
from pmanalytics.corpus.vocabulary import SECTION_INDEX, fold
from pmanalytics.errors import CorpusError

EXPORT_STEMS = ("postmortems", "actions", "incidents")
EXPORT_SUFFIXES = (".csv", ".json", ".ndjson")
# names a postmortem is sometimes saved under instead of `.md` (docs/corpus.md section 1, extension)
OTHER_SUFFIXES = ("", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".txt", ".text")
NOT_READ_REASON = "looks like a postmortem but is not named *.md"
NOT_READ_HINT = "rename it to .md"
PEEK_BYTES = 4096
_FRONT_MATTER_START = re.compile(r"\A\ufeff?---[ \t]*\r?\n")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class Discovery:
    """What `discover_all` found: the files the loader reads, and those it does not read although
    they look like postmortems (paths, in order)."""

    files: list[CorpusFile]
    not_read: list[str]


def discover(corpus: Path) -> list[CorpusFile]:
    """Every postmortem, export and settings file of the corpus, in path order."""
    return discover_all(corpus).files


def discover_all(corpus: Path) -> Discovery:
    """`discover`, plus the files that look like postmortems but are not named `*.md`."""
    root = _check_root(corpus)
    found: list[CorpusFile] = []
    not_read: list[str] = []
    folders = [""]
    while folders:
        _list_folder(root, folders.pop(), found, folders, not_read)
    found.sort(key=lambda f: f.path)
    not_read.sort()
    return Discovery(found, not_read)


def _list_folder(
    root: Path, relative_dir: str, found: list[CorpusFile], folders: list[str], not_read: list[str]
) -> None:
    """Add the files of one folder to `found` and its sub-folders to `folders`; a folder that
    cannot be listed is added as an entry that will be rejected with the reason (`link_escapes`).
    A file that looks like a postmortem under another name goes to `not_read`.

    As `os.walk` without following links: a link to a folder is neither listed nor walked.
    A corpus of 100,000 files spends most of its listing time in `stat`: nothing else here
    may cost more than it.
    """
    in_skipped_dir = any(part.startswith(("_", ".")) for part in relative_dir.split("/"))
    prefix = f"{relative_dir}/" if relative_dir else ""
    try:
        with os.scandir(os.path.join(root, relative_dir)) as entries:
            for entry in entries:
                name = entry.name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not entry.is_symlink():
                        folders.append(prefix + name)
                    continue
                kind = _kind(name, not relative_dir, in_skipped_dir)
                if kind is not None:
                    found.append(_describe(entry, prefix + name, kind))
                elif not in_skipped_dir and looks_like_postmortem(entry):
                    not_read.append(printable_path(prefix + name))
    except OSError as error:
        if relative_dir and not in_skipped_dir:  # the root was checked before
            found.append(CorpusFile(path=printable_path(relative_dir + "/"), absolute=os.fsdecode(
                error.filename or os.path.join(root, relative_dir)), kind="postmortem", size_bytes=0, modified_ns=0))


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
    if name.endswith(".md") and not in_skipped_dir and name[0] not in "_." and len(name) != len("readme.md"):
        return "postmortem"  # nearly every file, told without lowering its name
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


def looks_like_postmortem(entry: os.DirEntry[str]) -> bool:
    """A file the loader does not read that is probably a postmortem saved under another name:
    not hidden nor `_`-prefixed, no README, a plain file (never a link) named without an
    extension or `.markdown`, `.txt`… (OTHER_SUFFIXES), whose first 4 KB are UTF-8 text that
    opens with front matter or has a heading of a postmortem section (`## Timeline`, `## Root
    causes`…, docs/corpus.md section 1.3): a Makefile's `# comment` is no postmortem.
    """
    name = entry.name
    stem, dot, suffix = name.lower().rpartition(".")
    if not dot or not stem:
        stem, suffix = name.lower(), ""
    elif f".{suffix}" not in OTHER_SUFFIXES:
        return False
    if name.startswith(("_", ".")) or stem == "readme":
        return False
    try:
        if not entry.is_file(follow_symlinks=False):
            return False
        with open(entry.path, "rb") as handle:
            head = handle.read(PEEK_BYTES)
    except OSError:
        return False
    text = _utf8(head)
    if text is None or "\x00" in text:
        return False
    if _FRONT_MATTER_START.match(text):
        return True
    return any(fold(match.group(1)) in SECTION_INDEX for match in _HEADING.finditer(text))


def _utf8(head: bytes) -> str | None:
    """The bytes as text, allowing a character cut at the end of the peek; None when not UTF-8."""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8")
        return None


def _describe(entry: os.DirEntry[str], relative: str, kind: FileKind) -> CorpusFile:
    path = relative if relative.isascii() and "\\" not in relative else printable_path(relative)
    try:
        info = entry.stat()
    except OSError:
        return CorpusFile(path, entry.path, kind, -1, 0)
    return CorpusFile(path, entry.path, kind, info.st_size, info.st_mtime_ns)


def printable_path(relative: str) -> str:
    """The path as text that can be printed and stored, without losing anything: bytes of a
    name that are not UTF-8 (which Python keeps as lone surrogates) are written `\\xff`, and
    so a backslash is written twice (`\\\\`), or the name holding the four characters `\\xff`
    would be stored as the one holding the byte. The file is opened by its real name
    (`CorpusFile.absolute`)."""
    escaped = relative.replace("\\", "\\\\")
    try:
        escaped.encode("utf-8")
    except UnicodeEncodeError:
        return escaped.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return escaped


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
