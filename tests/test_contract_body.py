"""Contract 1.3: body sections, timeline events, action tables and lessons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

import pmanalytics as pm


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def rows(db, table: str, postmortem_id: str, columns: str, order: str = "position") -> list:
    frame = db.sql(
        f"SELECT {columns} FROM {table} WHERE postmortem_id = ? ORDER BY {order}", [postmortem_id]
    )
    return [
        tuple(None if (not isinstance(v, list) and pd.isna(v)) else v for v in row)
        for row in frame.itertuples(index=False)
    ]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- sections ------------------------------------------------------------------------------


def test_sections_corpus_loads_without_problems(load_corpus):
    report, _ = load_corpus("sections")
    assert report.counts == {"loaded": 6, "rejected": 0, "skipped": 0, "warnings": 0}


def test_every_english_heading(load_corpus):
    _, db = load_corpus("sections")
    assert rows(db, "sections", "SEC-EN", "position, section, heading, body") == [
        (1, "context", "Context and impact", "Body 1."),
        (2, "context", "Context", "Body 2."),
        (3, "context", "Impact", "Body 3."),
        (4, "context", "Summary", "Body 4."),
        (5, "timeline", "Timeline", "Body 5."),
        (6, "root_causes", "Root cause analysis", "Body 6."),
        (7, "root_causes", "Root causes", "Body 7."),
        (8, "root_causes", "Contributing factors", "Body 8."),
        (9, "actions", "Corrective actions", "Body 9."),
        (10, "actions", "Action items", "Body 10."),
        (11, "actions", "Remediation", "Body 11."),
        (12, "lessons", "Lessons learned", "Body 12."),
        (13, "lessons", "Lessons", "Body 13."),
        (14, "follow_up", "Follow-up", "Body 14."),
        (15, "follow_up", "Follow up", "Body 15."),
    ]


def test_every_french_heading(load_corpus):
    _, db = load_corpus("sections")
    assert rows(db, "sections", "SEC-FR", "position, section, heading, body") == [
        (1, "context", "Contexte et impact", "Texte 1."),
        (2, "context", "Contexte", "Texte 2."),
        (3, "context", "Résumé", "Texte 3."),
        (4, "timeline", "Timeline précise", "Texte 4."),
        (5, "timeline", "Chronologie", "Texte 5."),
        (6, "timeline", "Déroulé", "Texte 6."),
        (7, "root_causes", "Analyse des causes profondes", "Texte 7."),
        (8, "root_causes", "Causes profondes", "Texte 8."),
        (9, "root_causes", "Causes racines", "Texte 9."),
        (10, "root_causes", "Facteurs contributifs", "Texte 10."),
        (11, "actions", "Actions correctives", "Texte 11."),
        (12, "actions", "Plan d'action", "Texte 12."),
        (13, "lessons", "Enseignements", "Texte 13."),
        (14, "lessons", "Leçons apprises", "Texte 14."),
        (15, "follow_up", "Suivi", "Texte 15."),
    ]


def test_heading_line_numbers(load_corpus):
    _, db = load_corpus("sections")
    # the front matter is 7 lines, then a blank line: the first heading is on line 9
    lines = [r[0] for r in rows(db, "sections", "SEC-EN", "source_line")]
    assert lines == list(range(9, 38, 2))


def test_headings_ignore_numbers_emoji_case_and_accents(load_corpus):
    _, db = load_corpus("sections")
    assert rows(db, "sections", "SEC-DECORATED", "heading, section") == [
        ("1. Contexte", "context"),
        ("🔥 Timeline", "timeline"),
        ("2) CHRONOLOGIE", "timeline"),
        ("3) Root causes", "root_causes"),
        ("📋 4. Plan d’action", "actions"),
        ("LEÇONS APPRISES", "lessons"),
        ("lecons apprises", "lessons"),
        ("6. suivi ✅", "follow_up"),
        ("10. Resume", "context"),
    ]


def test_unknown_sections_are_kept_as_text(load_corpus):
    _, db = load_corpus("sections")
    assert rows(db, "sections", "SEC-UNKNOWN", "position, section, heading, body") == [
        (1, None, "Glossary",
         "SLO: service level objective.\n\n### A level-3 heading stays in the body\n\nMore text."),
        (2, None, "Annexe : captures d'écran", "Voir le ticket OPS-12."),
    ]


def test_level_two_lines_inside_fences_are_not_headings(load_corpus):
    _, db = load_corpus("sections")
    assert rows(db, "sections", "SEC-FENCES", "position, section, heading, body, source_line") == [
        (1, "context", "Context",
         "```bash\n## a shell comment, not a heading\necho done\n```\n\n"
         "~~~markdown\n## Not a heading either\n~~~", 9),
        (2, "timeline", "Timeline", "- 17:05 — after the fences", 20),
    ]
    assert rows(db, "timeline_events", "SEC-FENCES", "occurred_at, description") == [
        (utc("2026-03-13 17:05"), "after the fences"),
    ]


def test_a_fence_closes_only_with_its_own_marker(load_corpus):
    _, db = load_corpus("sections")
    got = rows(db, "sections", "SEC-NESTED-FENCES", "section, heading")
    assert got == [("context", "Context"), ("lessons", "Lessons")]
    assert rows(db, "lessons", "SEC-NESTED-FENCES", "kind, text") == [(None, "Fences nest")]


# --- timeline ------------------------------------------------------------------------------


def test_timeline_corpus_loads_without_problems(load_corpus):
    report, _ = load_corpus("timeline")
    assert report.counts == {"loaded": 5, "rejected": 0, "skipped": 0, "warnings": 0}


def test_timeline_list_item_separators(load_corpus):
    _, db = load_corpus("timeline")
    got = rows(db, "timeline_events", "TL-SEPARATORS", "position, occurred_at, description, source_line")
    assert got == [
        (1, utc("2026-03-04 09:12"), "Full date, em dash", 13),
        (2, utc("2026-03-04 09:15"), "Zone written, then a colon", 14),
        (3, utc("2026-03-04 09:20"), "En dash", 15),
        (4, utc("2026-03-04 09:25"), "Hyphen", 16),
        (5, utc("2026-03-04 09:30"), "Colon right after the time", 17),
        # line 18 has no time, line 20 is not a list item
        (6, utc("2026-03-04 09:40"), "Star bullet", 19),
    ]


def test_timeline_table_rows(load_corpus):
    _, db = load_corpus("timeline")
    got = rows(db, "timeline_events", "TL-TABLE", "occurred_at, description, source_line")
    assert got == [
        (utc("2026-03-04 14:02"), "Error rate above 5 %", 13),
        (utc("2026-03-04 14:10"), "Rollback started", 14),
        (utc("2026-03-04 14:31"), "Error rate back to normal", 16),
    ]


def test_timeline_through_midnight_rolls_to_the_next_day(load_corpus):
    _, db = load_corpus("timeline")
    got = rows(db, "timeline_events", "TL-MIDNIGHT", "occurred_at, description")
    assert got == [
        (utc("2026-03-04 23:30"), "Début des erreurs"),
        (utc("2026-03-04 23:50"), "Astreinte prévenue"),
        (utc("2026-03-05 00:15"), "Cause trouvée"),
        (utc("2026-03-05 01:40"), "Correctif déployé"),
    ]


def test_timeline_times_take_the_offset_written_on_started_at(load_corpus):
    _, db = load_corpus("timeline")
    got = rows(db, "timeline_events", "TL-OFFSET", "occurred_at, description")
    assert got == [
        (utc("2026-03-04 09:05"), "Takes +01:00 from started_at"),  # 10:05+01:00
        (utc("2026-03-04 10:30"), "Written in UTC"),
        (utc("2026-03-04 09:40"), "Back to the started_at offset"),  # 10:40+01:00
    ]


def test_timeline_lines_inside_a_code_block_are_not_events(load_corpus):
    _, db = load_corpus("timeline")
    got = rows(db, "timeline_events", "TL-FENCED", "occurred_at, source_line")
    assert got == [(utc("2026-03-04 09:05"), 11), (utc("2026-03-04 09:10"), 19)]


def test_timeline_without_any_offset_uses_the_corpus_time_zone(load_corpus):
    report, db = load_corpus("timeline_paris")
    assert report.counts == {"loaded": 2, "rejected": 0, "skipped": 0, "warnings": 0}
    got = rows(db, "timeline_events", "TLP-NAIVE", "occurred_at, description")
    assert got == [
        (utc("2026-07-15 08:05"), "Alerte reçue"),  # 10:05 CEST
        (utc("2026-07-15 08:20"), "Bascule lancée"),
    ]


def test_timeline_offset_on_started_at_beats_the_corpus_time_zone(load_corpus):
    _, db = load_corpus("timeline_paris")
    got = rows(db, "timeline_events", "TLP-WRITTEN", "occurred_at")
    assert got == [(utc("2026-07-15 08:05"),)]


# --- actions -------------------------------------------------------------------------------

ACTION_COLUMNS = (
    "action_id, position, description, action_type, owner, due_date::VARCHAR AS due, "
    "status, status_as_written, closed_date::VARCHAR AS closed, source_line"
)


def test_actions_corpus_counts(load_corpus):
    report, _ = load_corpus("actions")
    assert report.counts == {"loaded": 8, "rejected": 0, "skipped": 0, "warnings": 1}


def test_action_table_with_english_headers(load_corpus):
    _, db = load_corpus("actions")
    assert rows(db, "actions", "ACT-EN", ACTION_COLUMNS) == [
        ("OPS-101", 1, "Add a canary stage to the deploy pipeline", "long", "team-platform",
         "2026-04-30", "in_progress", "in_progress", None, 13),
        ("OPS-102", 2, "Roll back the bad flag", "short", "team-payments",
         "2026-03-17", "done", "done", "2026-03-16", 14),
        ("OPS-103", 3, "Page the database team automatically", "long", "team-sre",
         "2026-05-15", "open", "open", None, 15),
    ]


def test_action_table_with_french_headers(load_corpus):
    _, db = load_corpus("actions")
    assert rows(db, "actions", "ACT-FR", ACTION_COLUMNS) == [
        ("JIRA-7", 1, "Ajouter une alerte sur la file d'attente", "short", "équipe-sre",
         "2026-03-20", "done", "fait", "2026-03-18", 13),
        ("JIRA-8", 2, "Revoir le quota du cluster", "long", "équipe-plateforme",
         "2026-06-30", "in_progress", "en cours", None, 14),
    ]


def test_action_table_with_the_other_french_headers(load_corpus):
    _, db = load_corpus("actions")
    assert rows(db, "actions", "ACT-FR-2", ACTION_COLUMNS) == [
        ("R-1", 1, "Documenter la procédure de bascule", None, "équipe-dba",
         "2026-04-01", "done", "terminé", "2026-03-28", 13),
    ]


def test_columns_in_another_order_extra_column_kept_default_ids(load_corpus):
    _, db = load_corpus("actions")
    got = rows(db, "actions", "ACT-ORDER", ACTION_COLUMNS + ", extra_json")
    assert [r[:-1] for r in got] == [
        ("ACT-ORDER#1", 1, "Fix the cache key", None, "team-web",
         "2026-03-10", "done", "done", "2026-03-09", 13),
        ("ACT-ORDER#2", 2, "Load-test the checkout", None, "team-web",
         "2026-04-10", "open", "open", None, 14),
    ]
    assert [json.loads(r[-1]) for r in got] == [
        {"Link": "https://tracker.example/WEB-1"},
        {"Link": "https://tracker.example/WEB-2"},
    ]


def test_actions_read_back_as_dates(load_corpus):
    _, db = load_corpus("actions")
    frame = db.sql("SELECT due_date, closed_date FROM actions WHERE action_id = 'OPS-102'")
    assert frame["due_date"].iloc[0].date() == day("2026-03-17")
    assert frame["closed_date"].iloc[0].date() == day("2026-03-16")


TYPES = [
    ("a", "short"), ("b", "short"), ("c", "short"), ("d", "short"), ("e", "short"),
    ("f", "short"), ("g", "long"), ("h", "long"), ("i", "long"), ("j", "long"), ("k", "long"),
    ("l", None),
]


def test_every_action_type_alias(load_corpus):
    # short, short-term, court terme, hotfix, immédiat, Short-Term,
    # long, long-term, long terme, prévention, LONG TERME, (empty)
    _, db = load_corpus("actions")
    got = rows(db, "actions", "ACT-TYPE", "action_id, description, action_type")
    assert got == [(f"ACT-TYPE#{i}", d, t) for i, (d, t) in enumerate(TYPES, start=1)]


STATUSES = [
    ("a", "open", "open", None),
    ("b", "open", "ouvert", None),
    ("c", "open", "à faire", None),
    ("d", "open", "todo", None),
    ("e", "open", "A FAIRE", None),
    ("f", "in_progress", "in_progress", None),
    ("g", "in_progress", "en cours", None),
    ("h", "done", "done", "2026-03-20"),
    ("i", "done", "fait", "2026-03-21"),
    ("j", "done", "terminé", "2026-03-22"),
    ("k", "done", "clos", "2026-03-23"),
    ("l", "done", "closed", "2026-03-24"),
    ("m", "done", "Fait", None),
    ("n", "cancelled", "cancelled", None),
    ("o", "cancelled", "annulé", None),
    ("p", "cancelled", "won't do", None),
    ("q", "cancelled", "Won’t do", None),
]


@pytest.mark.parametrize(("position", "expected"), list(enumerate(STATUSES, start=1)))
def test_every_action_status_alias(load_corpus, position, expected):
    _, db = load_corpus("actions")
    got = rows(
        db, "actions", "ACT-STATUS",
        "description, status, status_as_written, closed_date::VARCHAR",
    )
    assert len(got) == len(STATUSES)
    assert got[position - 1] == expected


def test_unknown_action_status_is_kept_with_one_warning(load_corpus):
    report, db = load_corpus("actions")
    assert rows(db, "actions", "ACT-UNKNOWN", "description, status, status_as_written") == [
        ("Rotate the credentials", "done", "done"),
        ("Move the cron to the scheduler", "unknown", "blocked"),
    ]
    (warning,) = [p for p in report.problems if p.path == "actions_unknown_status.md"]
    assert (warning.level, warning.line, warning.field) == ("warning", 14, "status")
    assert "blocked" in warning.message
    assert str(warning).startswith("actions_unknown_status.md:14: warning: ")


def test_action_table_in_the_follow_up_section(load_corpus):
    _, db = load_corpus("actions")
    assert rows(db, "actions", "ACT-SUIVI", ACTION_COLUMNS) == [
        ("ACT-SUIVI#1", 1, "Ajouter un test de charge", None, "équipe-qa",
         "2026-04-15", "open", "ouvert", None, 17),
        ("ACT-SUIVI#2", 2, "Mettre à jour le runbook", None, "équipe-sre",
         "2026-03-31", "done", "fait", None, 18),
    ]


def test_markdown_actions_are_not_from_the_tracker(load_corpus):
    _, db = load_corpus("actions")
    frame = db.sql(
        "SELECT count(*) AS n, count(*) FILTER (WHERE is_from_tracker OR is_tracker_updated) AS t, "
        "count(DISTINCT source_path) AS files FROM actions"
    )
    assert frame.iloc[0].tolist() == [3 + 2 + 1 + 2 + 12 + 17 + 2 + 2, 0, 8]


# --- lessons -------------------------------------------------------------------------------


def test_lessons_corpus_loads_without_problems(load_corpus):
    report, _ = load_corpus("lessons")
    assert report.counts == {"loaded": 4, "rejected": 0, "skipped": 0, "warnings": 0}


@pytest.mark.parametrize(
    ("postmortem_id", "expected"),
    [
        ("LES-EN-H3", [
            ("went_well", "The rollback took two minutes"),
            ("went_well", "Alerts fired within a minute"),
            ("went_wrong", "Nobody owned the feature flag"),
            ("lucky", "It happened on a quiet Tuesday morning"),
        ]),
        ("LES-FR-BOLD", [
            ("went_well", "La bascule automatique"),
            ("went_wrong", "Un runbook à jour"),
            ("went_wrong", "Une alerte sur la latence"),
            ("lucky", "Peu de trafic à 3 h du matin"),
        ]),
        ("LES-FR-H3", [
            ("went_wrong", "La page de statut est restée verte"),
            ("went_well", "L'équipe support a été prévenue tôt"),
            ("lucky", "Le disque de secours était vide"),
        ]),
        ("LES-EN-BOLD", [
            ("went_well", "Clear incident command"),
            ("went_wrong", "The status page was updated late"),
            ("lucky", "The backup had finished ten minutes earlier"),
        ]),
    ],
)
def test_lessons_by_kind(load_corpus, postmortem_id, expected):
    _, db = load_corpus("lessons")
    assert rows(db, "lessons", postmortem_id, "kind, text") == expected


def test_a_time_range_is_not_read_as_an_offset(tmp_path: Path) -> None:
    """`09:05-09:20` is a range: the event is at 09:05 in started_at's offset, not at UTC-09:20."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "range.md").write_text(
        "---\nid: R-1\ntitle: Range\nseverity: S3\nstarted_at: 2026-03-04T09:00:00+01:00\n"
        "resolved_at: 2026-03-04T10:00:00+01:00\n---\n\n## Timeline\n- 09:05-09:20 — failover ran\n",
        encoding="utf-8",
    )
    pm.load(corpus, tmp_path / "db.duckdb")
    with pm.open_database(tmp_path / "db.duckdb") as db:
        events = db.table("timeline_events")
    assert [str(t) for t in events["occurred_at"]] == ["2026-03-04 08:05:00+00:00"]
    assert list(events["description"]) == ["09:20 — failover ran"]
