"""`pmanalytics lab`: JupyterLab on the packaged notebooks, with the database ready.

The database path goes to the notebooks through `$PMANALYTICS_DB`, the same default the
CLI uses, so `open_database()` in any notebook finds it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pmanalytics.database import DB_ENV, open_database, resolve_db_path
from pmanalytics.extras import require_extra
from pmanalytics.report.runner import notebooks_folder


@dataclass(frozen=True)
class LabLaunch:
    argv: list[str]
    env: dict[str, str]


def prepare_lab(
    db: str | Path | None = None, corpus: str | Path | None = None, *, port: int | None = None,
    open_browser: bool = True,
) -> LabLaunch:
    """Load `corpus` when given, check the database opens, and build the JupyterLab command."""
    require_extra("lab", "pmanalytics lab")
    path = resolve_db_path(db).resolve()
    if corpus is not None:
        from pmanalytics.ingest.pipeline import load

        load(corpus, path)
    open_database(path).close()  # a clear error now rather than in the first notebook cell
    argv = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebooks_folder()}"]
    if port is not None:
        argv.append(f"--port={port}")
    if not open_browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:  # Jupyter refuses to run as root without it (containers, CI machines)
        argv.append("--allow-root")
    print(f"pmanalytics lab: database {path}", file=sys.stderr)
    return LabLaunch(argv, {**os.environ, DB_ENV: str(path)})


def launch(launch: LabLaunch) -> None:  # pragma: no cover - replaces the process
    os.execve(launch.argv[0], launch.argv, launch.env)
