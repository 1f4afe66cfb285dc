"""The baseline of the benchmark: what a user would write in a notebook without pmanalytics.

python-frontmatter reads each file (libyaml's C loader when present, as pmanalytics), a
regular expression reads the action table, and the rows go into DuckDB through pandas
DataFrames. It does far less than `pmanalytics load`: no validation, no warnings, no
sections, timeline, lessons or root causes, no tracker overlay, no incidents, no
parallelism; and to reload it reads everything again. Like a careful notebook it
writes a new file and renames it over the old one.

    python benchmarks/baseline.py CORPUS DB
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import duckdb
import frontmatter
import pandas as pd

ACTIONS_HEADING = re.compile(r"^## +.*(?:action|remediation|plan d)", re.IGNORECASE | re.MULTILINE)
NEXT_HEADING = re.compile(r"^## ", re.MULTILINE)
TABLE_ROW = re.compile(r"^\|(.+)\|[ \t]*$", re.MULTILINE)
SEPARATOR = re.compile(r"^[\s|:-]+$")
KEYS = ("id", "title", "severity", "status", "public", "started_at", "detected_at", "mitigated_at",
        "resolved_at", "published_at")
TIMESTAMPS = ("started_at", "detected_at", "mitigated_at", "resolved_at", "published_at")


def read_postmortem(path: Path) -> tuple[dict[str, Any], list[dict[str, str]]]:
    post = frontmatter.load(path)
    record = {key: post.metadata.get(key) for key in KEYS}
    record["services"] = ";".join(map(str, _as_list(post.metadata.get("services"))))
    record["teams"] = ";".join(map(str, _as_list(post.metadata.get("teams"))))
    record["path"] = str(path)
    return record, read_actions(str(record["id"]), post.content)


def read_actions(postmortem_id: str, body: str) -> list[dict[str, str]]:
    heading = ACTIONS_HEADING.search(body)
    if heading is None:
        return []
    end = NEXT_HEADING.search(body, heading.end())
    rows = [[cell.strip() for cell in row.split("|")]
            for row in TABLE_ROW.findall(body, heading.end(), end.start() if end else len(body))]
    rows = [row for row in rows if not SEPARATOR.match("|".join(row))]
    if not rows:
        return []
    header = [name.lower() for name in rows[0]]
    return [{"postmortem_id": postmortem_id, **dict(zip(header, row, strict=False))} for row in rows[1:]]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def main(corpus: Path, db: Path) -> None:
    postmortems: list[dict[str, Any]] = []
    actions: list[dict[str, str]] = []
    for path in sorted(corpus.rglob("*.md")):
        if path.name.startswith(("_", ".")) or path.name.lower() == "readme.md":
            continue
        try:
            record, rows = read_postmortem(path)
        except Exception:  # a broken file: a notebook skips it
            continue
        postmortems.append(record)
        actions.extend(rows)
    frame = pd.DataFrame(postmortems).astype({key: "string" for key in KEYS})
    for key in TIMESTAMPS:
        frame[key] = pd.to_datetime(frame[key], utc=True, errors="coerce", format="mixed")
    action_frame = pd.DataFrame(actions).astype("string")
    temporary = db.with_name(db.name + ".tmp")
    temporary.unlink(missing_ok=True)
    con = duckdb.connect(str(temporary))
    con.execute("CREATE TABLE postmortems AS SELECT * FROM frame")
    con.execute("CREATE TABLE actions AS SELECT * FROM action_frame")
    con.close()
    os.replace(temporary, db)
    print(f"{len(frame)} postmortems, {len(action_frame)} actions")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
