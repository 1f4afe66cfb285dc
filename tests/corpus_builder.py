"""Small corpora written by tests: one Markdown postmortem per call, loaded into a database.

Shared by the figure tests, so that every hand-made corpus is written the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pmanalytics as pm

# (id, type, owner, due, status, closed): "" leaves a cell empty
Action = tuple[str, str, str, str, str, str]

# The example object of contract 4.2, as written there (values are only examples).
CONTRACT_EXAMPLE = {
    "period": "2026Q1",
    "as_of": "2026-04-15T00:00:00+00:00",
    "incidents": 42,
    "postmortems": 40,
    "published": 35,
    "required": 12,
    "coverage": 0.833,
    "overdue_postmortems": 1,
    "time_to_postmortem_hours": {"n": 35, "median": 51.0, "p90": 160.2, "within_deadline_rate": 0.62,
                                 "left_out": 0},
    "time_to_detect_minutes": {"n": 38, "median": 6.0, "p90": 31.5, "left_out": 0},
    "time_to_mitigate_minutes": {"n": 30, "median": 44.0, "p90": 210.0, "left_out": 1},
    "time_to_resolve_minutes": {"n": 40, "median": 95.0, "p90": 600.0, "left_out": 0},
    "actions": {"total": 120, "done": 80, "completion_rate": 0.667, "on_time_rate": 0.7, "overdue": 12,
                "median_days_to_close": 21.0},
    "recurrence": {"recurring": 5, "rate": 0.125, "with_open_fix": 2},
    "root_causes": {"config": 10, "deployment": 5, "other": 1},
    "load": {"loaded": 300, "rejected": 2, "skipped": 1, "warnings": 7},
}


def postmortem(
    pid: str,
    *,
    started: str,
    resolved: str,
    severity: str = "S2",
    detected: str | None = None,
    mitigated: str | None = None,
    published: str | None = None,
    public: bool = False,
    services: Sequence[str] = (),
    teams: Sequence[str] = (),
    root_causes: Sequence[str] = (),
    actions: Sequence[Action] = (),
) -> str:
    """A Markdown postmortem; `root_causes` are "category: summary"."""
    lines = ["---", f"id: {pid}", f"title: Incident {pid}", f"severity: {severity}", f"started_at: {started}"]
    lines += [f"{key}: {value}" for key, value in
              (("detected_at", detected), ("mitigated_at", mitigated), ("resolved_at", resolved),
               ("published_at", published)) if value]
    if public:
        lines.append("public: true")
    if services:
        lines.append(f"services: [{', '.join(services)}]")
    if teams:
        lines.append(f"teams: [{', '.join(teams)}]")
    if root_causes:
        lines.append("root_causes:")
        lines += [f'  - "{cause}"' for cause in root_causes]
    lines += ["---", "", "## Summary", "", "Short.", ""]
    if actions:
        lines += ["## Corrective actions", "", "| ID | Action | Type | Owner | Due | Status | Closed |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {aid} | Fix {aid} | {kind} | {owner} | {due} | {status} | {closed} |"
                  for aid, kind, owner, due, status, closed in actions]
    return "\n".join(lines) + "\n"


def build(root: Path, files: dict[str, str], name: str = "corpus") -> Path:
    """Write the corpus files, load them, return the database path."""
    corpus = root / name
    corpus.mkdir()
    for relative, text in files.items():
        path = corpus / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    db = root / f"{name}.duckdb"
    pm.load(corpus, db)
    return db


def two_published_two_drafts() -> dict[str, str]:
    """As of 2026-04-01 00:00: published 10 h and 60 h after resolution; drafts 100 h (03-27 20:00) and
    200 h (03-23 16:00) old. Kaplan–Meier: at 10 h r = 4 → S = 3/4; at 60 h r = 3 → S = 3/4 · 2/3 = 1/2,
    so the median with drafts is 60 h and 1 − S(72 h) = 50 %; published only: median 35 h, 100 %."""
    return {"p1.md": postmortem("P1", started="2026-03-02T08:00:00Z", resolved="2026-03-02T10:00:00Z",
                                published="2026-03-02T20:00:00Z"),
            "p2.md": postmortem("P2", started="2026-03-10T08:00:00Z", resolved="2026-03-10T10:00:00Z",
                                published="2026-03-12T22:00:00Z"),
            "d1.md": postmortem("D1", started="2026-03-27T18:00:00Z", resolved="2026-03-27T20:00:00Z"),
            "d2.md": postmortem("D2", started="2026-03-23T14:00:00Z", resolved="2026-03-23T16:00:00Z")}
