"""Related incidents (metrics/similarity.py): a hand-written corpus whose neighbours are known.

Two failures are each told twice under different categories, once in French and once in
English: a Redis cache whose memory filled up (`capacity` then `config`), and an expired TLS
certificate (`dependency` then no category at all). Two other postmortems, on the same
services, tell unrelated stories.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.metrics import make_scope
from pmanalytics.metrics.similarity import RECURRENCE_THRESHOLD, missed_recurrences, similar, stop_words


def _postmortem(pid: str, title: str, started: str, service: str, lang: str, causes: list[str], context: str,
                timeline: list[str]) -> str:
    heads = {"en": ("Context", "Timeline"), "fr": ("Contexte", "Chronologie")}[lang]
    lines = ["---", f"id: {pid}", f'title: "{title}"', "severity: S2", f"started_at: {started}T10:00",
             f"resolved_at: {started}T12:00", f"lang: {lang}", f"services: [{service}]"]
    if causes:
        lines += ["root_causes:", *(f'  - "{cause}"' for cause in causes)]
    lines += ["---", "", f"## {heads[0]}", "", context, "", f"## {heads[1]}", ""]
    lines += [f"- {10 + n}:00 — {event}" for n, event in enumerate(timeline)]
    return "\n".join(lines) + "\n"


CORPUS = {
    "FR-1.md": _postmortem(
        "FR-1", "Mémoire saturée du cache Redis", "2026-01-10", "panier", "fr",
        ["capacity: La mémoire du cache Redis était saturée par les clés de session sans expiration."],
        "Le cache Redis du panier a saturé sa mémoire : les clés de session sans expiration remplissaient la mémoire.",
        ["mémoire du cache Redis saturée", "évictions des clés de session"]),
    "FR-2.md": _postmortem(
        "FR-2", "Évictions massives dans le cache Redis", "2026-02-20", "panier", "fr",
        ["config: Les clés de session étaient écrites sans expiration dans le cache Redis."],
        "La mémoire du cache Redis était SATURÉE ; les CLÉS DE SESSION n'avaient pas d'expiration.",
        ["évictions dans le cache Redis", "mémoire saturée par les clés de session"]),
    "FR-3.md": _postmortem(
        "FR-3", "Lenteur de la facturation mensuelle", "2026-02-25", "panier", "fr",
        ["software: Une requête SQL de facturation parcourait toute la table des factures."],
        "La facturation mensuelle a pris six heures : une requête parcourait toute la table des factures.",
        ["facturation en retard", "index ajouté sur la table des factures"]),
    "EN-1.md": _postmortem(
        "EN-1", "Expired TLS certificate broke the gateway", "2026-03-01", "gateway", "en",
        ["dependency: The TLS certificate of the gateway expired; renewal was never automated."],
        "The TLS certificate of the gateway expired and browsers refused the handshake.",
        ["certificate expiry alert missed", "handshake failures on the gateway"]),
    "EN-2.md": _postmortem(
        "EN-2", "Gateway handshakes failed after a certificate expired", "2026-04-15", "gateway", "en", [],
        "Browsers refused the TLS handshake: the certificates of the gateway had expired, renewal manual.",
        ["handshake failures", "expired certificates renewed by hand"]),
    "EN-3.md": _postmortem(
        "EN-3", "Slow search results after a reindex", "2026-04-20", "gateway", "en",
        ["deployment: A full reindex ran during business hours."],
        "Search results were slow for two hours while a full reindex ran during business hours.",
        ["reindex started", "search latency back to normal"]),
}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("similar")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    report = pm.load(corpus, root / "pm.duckdb")
    assert report.counts["loaded"] == len(CORPUS)
    return root / "pm.duckdb"


@pytest.fixture
def db(db_path: Path) -> pm.Database:
    return pm.open_database(db_path)


@pytest.mark.parametrize(("asked", "expected"), [("FR-1", "FR-2"), ("FR-2", "FR-1"), ("EN-2", "EN-1")])
def test_the_same_failure_under_other_categories_comes_first(db: pm.Database, asked: str, expected: str) -> None:
    found = pm.similar(db, asked, top=5)
    assert found["id"].iloc[0] == expected
    assert 0 < found["score"].iloc[0] <= 1
    assert asked not in set(found["id"])
    assert list(found["score"]) == sorted(found["score"], reverse=True)


def test_accents_case_and_plurals_are_folded_into_the_shared_words(db: pm.Database) -> None:
    french = similar(db, "FR-1", top=1)["shared_terms"].iloc[0]
    assert {"redis", "cache", "memoire", "saturee", "cle", "session", "expiration"} <= set(french)
    english = similar(db, "EN-2", top=1)["shared_terms"].iloc[0]
    assert {"certificate", "expired", "handshake", "tls"} <= set(english)
    assert not {"les", "des", "the", "gateway", "panier"} & (set(french) | set(english))  # stop words, service names


def test_unrelated_postmortems_score_low(db: pm.Database) -> None:
    scores = dict(zip(*similar(db, "FR-1", top=5)[["id", "score"]].T.values, strict=True))
    assert scores["FR-2"] >= RECURRENCE_THRESHOLD
    assert scores.get("FR-3", 0) < RECURRENCE_THRESHOLD / 2
    assert not {"EN-1", "EN-2", "EN-3"} & set(scores)  # no word in common with the English ones


def test_missed_recurrences_are_the_two_pairs_whose_categories_differ(db: pm.Database) -> None:
    pairs = missed_recurrences(db, make_scope(db, None, as_of="2026-06-30"))
    assert sorted(zip(pairs["postmortem_id"], pairs["earlier_postmortem_id"], strict=True)) == [
        ("EN-2", "EN-1"), ("FR-2", "FR-1")]
    assert set(pairs["service_names"]) == {"panier", "gateway"}
    assert (pairs["score"] >= RECURRENCE_THRESHOLD).all()
    en = pairs[pairs["postmortem_id"] == "EN-2"].iloc[0]
    assert en["days_between"] == pytest.approx(45)


def test_missed_recurrences_keep_to_the_window_and_the_scope(db: pm.Database) -> None:
    in_march = missed_recurrences(db, make_scope(db, "2026-03-01..2026-03-31", as_of="2026-06-30"))
    assert in_march.empty  # EN-1 is the earlier of its pair, FR-2 started in February
    pairs = missed_recurrences(db, make_scope(db, "2026Q2", as_of="2026-06-30"))
    assert list(pairs["postmortem_id"]) == ["EN-2"]


def test_a_shared_category_is_a_recurrence_already(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("FR-1.md", "FR-2.md"):
        text = CORPUS[name].replace('"config: ', '"capacity: ')
        (corpus / name).write_text(text, encoding="utf-8")
    pm.load(corpus, tmp_path / "pm.duckdb")
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        assert missed_recurrences(db, make_scope(db, None, as_of="2026-06-30")).empty


def test_cli_json_shape(db_path: Path) -> None:
    result = CliRunner().invoke(cli, ["similar", "EN-1", "--db", str(db_path), "--top", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [set(row) for row in rows] == [{"id", "title", "score", "shared_terms"}]
    assert rows[0]["id"] == "EN-2"
    assert rows[0]["title"] == "Gateway handshakes failed after a certificate expired"
    assert all(0 <= row["score"] <= 1 and isinstance(row["shared_terms"], list) for row in rows)


def test_cli_unknown_id_is_one_line_and_exit_2(db_path: Path) -> None:
    result = CliRunner().invoke(cli, ["similar", "PM-0000", "--db", str(db_path)])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no postmortem 'PM-0000'" in result.stderr


def test_stop_words_are_package_data_per_language() -> None:
    words = stop_words()
    assert set(words) == {"en", "fr"}
    assert "the" in words["en"] and "avec" in words["fr"]
