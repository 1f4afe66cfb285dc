"""Related incidents (metrics/similarity.py): a hand-written corpus whose neighbours are known.

Two failures are each told twice under different categories, once in French and once in
English: a Redis cache whose memory filled up (`capacity` then `config`), and an expired TLS
certificate (`dependency` then no category at all). Two other postmortems, on the same
services, tell unrelated stories.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
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


# --- the words stored at load (postmortem_words), and what the figures make of them ----------------


def _write(corpus: Path, files: dict[str, str], settings: str = "") -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    if settings:
        (corpus / "pmanalytics.toml").write_text(settings, encoding="utf-8")
    return corpus


def _words(db_path: Path) -> list[tuple[object, ...]]:
    with pm.open_database(db_path) as db:
        return db.con.execute("SELECT * FROM postmortem_words ORDER BY ALL").fetchall()


def _figures(db_path: Path) -> tuple[list[list[object]], list[list[object]]]:
    """similar() for every postmortem and the likely recurrences of all time, as plain rows."""
    with pm.open_database(db_path) as db:
        ids = [row[0] for row in db.con.execute("SELECT postmortem_id FROM postmortems ORDER BY 1").fetchall()]
        related = [[pid, *row] for pid in ids for row in similar(db, pid, top=10).values.tolist()]
        pairs = missed_recurrences(db, make_scope(db, None, as_of="2026-12-31")).values.tolist()
    return related, pairs


def test_the_load_stores_each_part_s_folded_words_with_their_counts(db: pm.Database) -> None:
    rows = db.con.execute("SELECT part, word, occurrences FROM postmortem_words WHERE postmortem_id = 'FR-2' "
                          "AND part IN ('title', 'context') ORDER BY ALL").fetchall()
    # "Évictions massives dans le cache Redis"; "La mémoire du cache Redis était SATURÉE ; les CLÉS DE
    # SESSION n'avaient pas d'expiration.": folded, without the words of one or two letters (la, du, de, n', d')
    title = ["cache", "dans", "evictions", "massives", "redis"]
    context = ["avaient", "cache", "cles", "etait", "expiration", "les", "memoire", "pas", "redis", "saturee",
               "session"]
    assert rows == [("context", word, 1) for word in context] + [("title", word, 1) for word in title]
    timeline = dict(db.con.execute("SELECT word, occurrences FROM postmortem_words WHERE postmortem_id = 'FR-1' "
                                   "AND part = 'timeline'").fetchall())
    # "mémoire du cache Redis saturée", "évictions des clés de session": stop words stay (the query drops them)
    assert timeline == {"memoire": 1, "cache": 1, "redis": 1, "saturee": 1, "evictions": 1, "des": 1, "cles": 1,
                        "session": 1}


def test_a_reload_leaves_the_words_and_the_figures_of_a_load_from_scratch(tmp_path: Path) -> None:
    corpus = _write(tmp_path / "corpus", CORPUS)
    pm.load(corpus, tmp_path / "reloaded.duckdb")
    (corpus / "FR-3.md").write_text(CORPUS["FR-3.md"].replace("toute la table", "toute la table des clés"),
                                    encoding="utf-8")
    (corpus / "EN-3.md").unlink()
    moved = CORPUS["EN-1.md"].replace("id: EN-1", "id: EN-4").replace("2026-03-01", "2026-05-01")
    (corpus / "EN-4.md").write_text(moved, encoding="utf-8")
    report = pm.load(corpus, tmp_path / "reloaded.duckdb")
    assert report.files_read < report.files_seen  # a reload, not a load from scratch
    pm.load(corpus, tmp_path / "scratch.duckdb")
    assert _words(tmp_path / "reloaded.duckdb") == _words(tmp_path / "scratch.duckdb")
    assert {row[0] for row in _words(tmp_path / "reloaded.duckdb")} == {"FR-1", "FR-2", "FR-3", "EN-1", "EN-2", "EN-4"}
    assert _figures(tmp_path / "reloaded.duckdb") == _figures(tmp_path / "scratch.duckdb")


def test_a_database_from_before_the_stored_words_gives_the_same_figures(tmp_path: Path) -> None:
    corpus = _write(tmp_path / "corpus", CORPUS)
    pm.load(corpus, tmp_path / "new.duckdb")
    pm.load(corpus, tmp_path / "old.duckdb")
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("DROP TABLE postmortem_words")  # as an earlier pmanalytics wrote it
    assert _figures(tmp_path / "old.duckdb") == _figures(tmp_path / "new.duckdb")  # read from the text
    report = pm.load(corpus, tmp_path / "old.duckdb")  # nothing changed: the reload adds the words of every one
    assert report.files_read == 0
    assert _words(tmp_path / "old.duckdb") == _words(tmp_path / "new.duckdb")


@pytest.mark.parametrize(("days", "listed"), [("45", True), ("44.99", False)])
def test_a_pair_exactly_one_window_apart_is_listed(tmp_path: Path, days: str, listed: bool) -> None:
    # EN-1 started on 1 March at 10:00 UTC, EN-2 on 15 April at 10:00: 45 days apart
    files = {name: CORPUS[name] for name in ("EN-1.md", "EN-2.md", "FR-1.md", "FR-2.md")}
    corpus = _write(tmp_path / "corpus", files, settings=f"recurrence_days = {days}\n")
    pm.load(corpus, tmp_path / "pm.duckdb")
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        pairs = missed_recurrences(db, make_scope(db, None, as_of="2026-06-30"))
    expected = [("EN-2", "EN-1"), ("FR-2", "FR-1")] if listed else [("FR-2", "FR-1")]  # FR: 41 days apart
    assert sorted(zip(pairs["postmortem_id"], pairs["earlier_postmortem_id"], strict=True)) == expected


def test_postmortems_with_the_same_text_tie_and_are_listed_by_id(tmp_path: Path) -> None:
    copies = {f"EN-1{suffix}.md": CORPUS["EN-1.md"].replace("id: EN-1", f"id: EN-1{suffix}") for suffix in "CAB"}
    corpus = _write(tmp_path / "corpus", {**CORPUS, **copies})
    pm.load(corpus, tmp_path / "pm.duckdb")
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        found = similar(db, "EN-2", top=4)
        assert list(found["id"]) == ["EN-1", "EN-1A", "EN-1B", "EN-1C"]
        assert found["score"].nunique() == 1  # the same words weigh the same: equal to the last digit
        assert found["shared_terms"].map(tuple).nunique() == 1
        copies_found = similar(db, "EN-1B", top=3)
        assert copies_found["id"].tolist() == ["EN-1", "EN-1A", "EN-1C"]
        assert copies_found["score"].nunique() == 1 and copies_found["score"].iloc[0] == pytest.approx(1.0)
