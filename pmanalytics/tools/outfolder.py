"""Write a folder of results whole or not at all: into a temporary folder beside it, renamed at the end.

`export` and `migrate` write many files; a failure midway (a full disk, a database error)
must not leave half a folder that looks complete. `staged(out, error)` yields a new folder
`.<out name>.<random>.tmp` beside `out`. When the block ends without error, its content
becomes `out`: one rename when `out` is absent or empty; with `--force` over a folder that
has files, each file is moved in, replacing the one of the same name. Otherwise the
temporary folder is removed and `out` is left as it was, and an `OSError` (or a
:class:`WriteFailed`) becomes one line naming the file of `out` it was for.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from pmanalytics.errors import PmanalyticsError


class WriteFailed(Exception):
    """A file of the temporary folder could not be written, for a reason that is not an OSError (DuckDB's)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.filename = str(path)
        self.reason = reason


@contextlib.contextmanager
def staged(out: Path, error: Callable[[str], PmanalyticsError]) -> Iterator[Path]:
    """A new temporary folder beside `out`, whose content replaces `out` if the block succeeds."""
    staging = _new_staging(out, error)
    try:
        try:
            yield staging
        except (OSError, WriteFailed) as exc:
            reason = exc.reason if isinstance(exc, WriteFailed) else (exc.strerror or str(exc))
            raise error(f"{_shown(exc.filename, staging, out)}: cannot be written ({reason}); "
                        f"nothing was written to {out}") from None
        _publish(staging, out, error)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _new_staging(out: Path, error: Callable[[str], PmanalyticsError]) -> Path:
    """`os.mkdir` (unlike `tempfile.mkdtemp`) applies the umask, so that `out` gets the usual permissions."""
    final = out.absolute()
    staging = final.parent / f".{final.name}.{secrets.token_hex(6)}.tmp"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise error(f"{out}: cannot be created ({exc.strerror or exc})") from None
    return staging


def _publish(staging: Path, out: Path, error: Callable[[str], PmanalyticsError]) -> None:
    try:
        if out.is_dir() and any(out.iterdir()):
            _move_files(staging, out)
        else:
            os.replace(staging, out)  # POSIX rename replaces an empty folder
    except OSError as exc:
        raise error(f"{_shown(exc.filename, staging, out)}: cannot be put in place ({exc.strerror or exc})") from None


def _move_files(staging: Path, out: Path) -> None:
    for source in sorted(staging.rglob("*")):
        if source.is_file():
            destination = out / source.relative_to(staging)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, destination)


def _shown(filename: str | bytes | None, staging: Path, out: Path) -> str:
    """The path in `out` of a file of `staging` (as the user knows it), else `out`."""
    if isinstance(filename, str):
        with contextlib.suppress(ValueError):
            return str(out / Path(filename).absolute().relative_to(staging))
    return str(out)
