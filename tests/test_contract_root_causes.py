"""Contract 1.2: root causes, their two forms, French aliases, unknown and human-error."""

from __future__ import annotations

import pandas as pd
import pytest


def causes(db, postmortem_id: str) -> list[tuple]:
    rows = db.sql(
        "SELECT position, category, category_as_written, summary, tags, is_human_error "
        "FROM root_causes WHERE postmortem_id = ? ORDER BY position",
        [postmortem_id],
    )
    return [
        tuple(None if (not isinstance(v, bool) and pd.isna(v)) else v for v in row)
        for row in rows.itertuples(index=False)
    ]


def warnings_of(report, path: str) -> list:
    return [p for p in report.problems if p.path == path and p.level == "warning"]


def test_root_causes_corpus_counts(load_corpus):
    report, _ = load_corpus("root_causes")
    # one warning each: the unknown category, human-error, erreur humaine
    assert report.counts == {"loaded": 9, "rejected": 0, "skipped": 0, "warnings": 3}


def test_mapping_form(load_corpus):
    _, db = load_corpus("root_causes")
    assert causes(db, "RC-MAPPING") == [
        (1, "config", "config", "A feature flag was flipped for every region at once",
         "feature-flags;eu-west", False),
        (2, "deployment", "déploiement", "Le retour arrière a pris 40 minutes", None, False),
        (3, "monitoring", "monitoring", None, None, False),
    ]


def test_string_form_category_colon_summary(load_corpus):
    _, db = load_corpus("root_causes")
    assert causes(db, "RC-STRING") == [
        (1, "software", "software", "null pointer in the nightly billing job", None, False),
        # only the first colon separates the category
        (2, "capacity", "capacity", "queue at its quota: 10k messages", None, False),
        (3, "data", "data", None, None, False),
    ]


def test_string_form_without_quotes(load_corpus):
    """`- dependency: text` unquoted is a one-key YAML mapping; it means the string form."""
    report, db = load_corpus("root_causes")
    assert causes(db, "RC-UNQUOTED") == [
        (1, "dependency", "dependency", "the payment provider timed out", None, False),
        (2, "deployment", "mise en production", "le canari a été sauté", None, False),
    ]
    assert warnings_of(report, "root_causes_string_form_unquoted.md") == []


ENGLISH = [
    "config", "deployment", "software", "capacity", "dependency", "infrastructure", "data",
    "security", "monitoring", "communication", "process", "tech-debt",
]


def test_every_english_category_name(load_corpus):
    _, db = load_corpus("root_causes")
    got = causes(db, "RC-ENGLISH")
    assert [(c[0], c[1], c[2]) for c in got] == [
        (i, name, name) for i, name in enumerate(ENGLISH, start=1)
    ]


FRENCH = [
    ("configuration", "config"),
    ("déploiement", "deployment"),
    ("mise en production", "deployment"),
    ("logiciel", "software"),
    ("bug", "software"),
    ("capacité", "capacity"),
    ("saturation", "capacity"),
    ("dépendance", "dependency"),
    ("infrastructure", "infrastructure"),
    ("réseau", "infrastructure"),
    ("matériel", "infrastructure"),
    ("données", "data"),
    ("sécurité", "security"),
    ("supervision", "monitoring"),
    ("alerting", "monitoring"),
    ("communication", "communication"),
    ("processus", "process"),
    ("organisation", "process"),
    ("dette technique", "tech-debt"),
    ("dette", "tech-debt"),
]


@pytest.mark.parametrize(("position", "written", "category"),
                         [(i, w, c) for i, (w, c) in enumerate(FRENCH, start=1)])
def test_french_alias(load_corpus, position, written, category):
    _, db = load_corpus("root_causes")
    row = causes(db, "RC-FRENCH")[position - 1]
    assert row[:3] == (position, category, written)
    assert bool(row[5]) is False


def test_french_aliases_keep_their_summaries(load_corpus):
    _, db = load_corpus("root_causes")
    got = causes(db, "RC-FRENCH")
    assert len(got) == 20
    assert got[1][3] == "version 4.2 déployée un vendredi"
    assert got[15][3] == "le support n'a pas été prévenu"


CASE_AND_ACCENTS = [
    ("DÉPLOIEMENT", "deployment"),
    ("Reseau", "infrastructure"),
    ("CAPACITE", "capacity"),
    ("Dependance", "dependency"),
    ("Mise En Production", "deployment"),
    ("SECURITE", "security"),
    ("DONNÉES", "data"),
    ("Dette Technique", "tech-debt"),
    ("MATERIEL", "infrastructure"),
    ("CONFIG", "config"),
    ("Tech-Debt", "tech-debt"),
    ("Supervision", "monitoring"),
]


def test_categories_ignore_case_and_accents(load_corpus):
    _, db = load_corpus("root_causes")
    got = [(c[2], c[1]) for c in causes(db, "RC-CASE")]
    assert got == CASE_AND_ACCENTS


def test_unknown_category_is_other_kept_as_written_with_one_warning(load_corpus):
    report, db = load_corpus("root_causes")
    assert causes(db, "RC-UNKNOWN") == [
        (1, "config", "config", "a timeout was lowered", None, False),
        (2, "other", "Cosmic-Rays", "a bit flipped in RAM", None, False),
    ]
    (warning,) = warnings_of(report, "root_causes_unknown_category.md")
    assert "Cosmic-Rays" in warning.message
    assert warning.field == "root_causes"


@pytest.mark.parametrize(
    ("postmortem_id", "path", "expected"),
    [
        ("RC-HUMAN", "root_causes_human_error.md",
         [(1, "other", "human-error", "an operator ran the cleanup script on production",
           None, True)]),
        ("RC-HUMAINE", "root_causes_erreur_humaine.md",
         [(1, "other", "Erreur Humaine", "mauvaise commande lancée", None, True),
          (2, "process", "processus", "aucune double validation", None, False)]),
    ],
)
def test_human_error_is_other_with_a_blameless_warning(
    load_corpus, postmortem_id, path, expected
):
    report, db = load_corpus("root_causes")
    assert causes(db, postmortem_id) == expected
    (warning,) = warnings_of(report, path)
    written = expected[0][2]
    assert written in warning.message
    # the warning says what to write instead: a system condition, under a real category
    assert "process:" in warning.message
    assert warning.field == "root_causes"
    assert warning.line == 7


def test_other_categories_give_no_warning(load_corpus):
    report, _ = load_corpus("root_causes")
    quiet = [
        "root_causes_mapping_form.md", "root_causes_string_form.md",
        "root_causes_english_names.md", "root_causes_french_aliases.md",
        "root_causes_case_and_accents.md",
    ]
    assert [p for p in report.problems if p.path in quiet] == []
