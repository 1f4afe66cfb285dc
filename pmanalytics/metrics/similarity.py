"""Related incidents: postmortems ranked by how alike their text is, and likely recurrences the categories miss.

The text of a postmortem is its title, its context section, the summaries of its root
causes and its timeline. Each becomes words: case and accents folded (`Déploiement` and
`deploiement` are one word), numbers and words of one or two letters dropped, the stop words
of the postmortem's language dropped (`similarity_stopwords.toml`, package data; both lists
when the language is unknown), and a final plural `s` removed (`certificates` → `certificate`,
`certificats` → `certificat`). Words weigh TF-IDF as scikit-learn's `TfidfVectorizer` with
`sublinear_tf=True` weighs them: (1 + ln count) × (ln((1 + N) / (1 + postmortems with the
word)) + 1), each postmortem's weights scaled to length 1; the score of two postmortems is the
cosine of their weights, in [0, 1], over every postmortem of the database (the rarity of a
word is the corpus's, whatever the scope).

The load counts each postmortem's words as it stores it (`postmortem_words`, `ingest/store.py`):
reading every text again took most of the time of each call. The queries here weigh those
counts (stop words, service names and plurals are theirs to apply, so that the stored words
depend on nothing but the postmortem's own text). A database written before that table
existed has its words read from the text, as the load would have stored them.

Likely recurrences the categories miss: two postmortems on a shared service, the later one in
the scope and the earlier within the recurrence window before it (settings `recurrence_days`,
as for recurrence: docs/corpus.md section 4, item 5), whose texts score at least
`RECURRENCE_THRESHOLD`, and which cite no category in common (`other`, or no category at all,
counts as none): the recurrence figure cannot see them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError
from pmanalytics.ingest.store import FOLDED_WORDS, POSTMORTEM_WORDS, WORDS_TABLE
from pmanalytics.metrics.headline import recurrence_params
from pmanalytics.metrics.scope import Scope, run_rows
from pmanalytics.rulefiles import entry, read_rules

STOP_WORDS_FILE = "similarity_stopwords.toml"
RECURRENCE_THRESHOLD = 0.5  # cosine from which two postmortems on one service describe the same failure
SHARED_TERMS = 8  # words listed per pair, those that weigh most in the score first
PAIRS_TABLE = "pm_similarity_pairs"  # temporary tables of the connection, dropped after each query
WEIGHTS_TABLE = "pm_similarity_weights"
SCORES_TABLE = "pm_similarity_scores"
EXACT = "DECIMAL(38, 24)"  # sums in it are exact, whatever the order of their terms


def _tfidf(words: str) -> str:
    """`raw_weights` (postmortem_id, term, weight before scaling) and `norms` (postmortem_id, norm),
    from the word counts of the relation `words` (postmortem_id, part, word, occurrences).

    The product of two postmortems' weights of a term, scaled to length 1, is taken as
    (weight × weight) / (norm × norm), and sums are made in `EXACT` decimals: the last digit
    of a floating-point sum depends on the order of its terms, which parallel aggregation
    does not fix. A tie (two terms, or two postmortems, equal in exact arithmetic) is then a
    tie every time, broken as the ORDER BY says, not by rounding.
    """
    return f"""
    stop_words AS (
        SELECT unnest($stop_langs) AS lang, unnest($stop_words) AS word
        UNION ALL  -- the words of service names, in every language: a service is not what happened to it
        SELECT l.lang, n.word
        FROM (SELECT DISTINCT unnest($stop_langs) AS lang) l,
             (SELECT DISTINCT unnest({FOLDED_WORDS.format("service_name")}) AS word FROM services) n
    ),
    terms AS (
        SELECT w.postmortem_id,
               CASE WHEN length(w.word) > 3 AND w.word LIKE '%s' AND NOT regexp_matches(w.word, '(ss|us|is)$')
                    THEN w.word[:-2] ELSE w.word END AS term,
               w.occurrences
        FROM {words} w JOIN postmortems p USING (postmortem_id)
        ANTI JOIN stop_words s ON s.lang = coalesce(p.lang, '') AND s.word = w.word
    ),
    counts AS (SELECT postmortem_id, term, sum(occurrences) AS n FROM terms GROUP BY ALL),
    idf AS (
        SELECT term, ln((1 + (SELECT count(*) FROM postmortems)) / (1 + count(*))) + 1 AS idf
        FROM counts GROUP BY term
    ),
    raw_weights AS (
        SELECT c.postmortem_id, c.term, (1 + ln(c.n)) * i.idf AS weight FROM counts c JOIN idf i USING (term)
    ),
    norms AS (
        SELECT postmortem_id, sqrt(sum((weight * weight)::{EXACT})::DOUBLE) AS norm
        FROM raw_weights GROUP BY postmortem_id
    )
"""


class UnknownPostmortem(PmanalyticsError):
    """The postmortem asked about is not in the database."""


@cache
def stop_words() -> dict[str, tuple[str, ...]]:
    """The stop words of each language, from the package's data file."""
    table = read_rules("pmanalytics.metrics", STOP_WORDS_FILE)
    where = f"pmanalytics/metrics/{STOP_WORDS_FILE}"
    return {lang: tuple(str(word) for word in entry(table, lang, list, where)) for lang in sorted(table)}


def _stop_word_params() -> dict[str, list[str]]:
    """(language, word) as two lists; language "" (not known) has the words of every language."""
    lists = stop_words()
    lists = {**lists, "": tuple(sorted({word for words in lists.values() for word in words}))}
    pairs = [(lang, word) for lang, words in lists.items() for word in words]
    return {"stop_langs": [lang for lang, _ in pairs], "stop_words": [word for _, word in pairs]}


def _weighing(db: Database) -> str:
    """The CTEs of `_tfidf` over the stored words or, in a database written before they were
    stored, over the words read from the text (the same rows, slower)."""
    stored = db.con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = current_schema() AND table_name = $name",
                            {"name": WORDS_TABLE}).fetchone()
    if stored is not None and stored[0]:
        return _tfidf(WORDS_TABLE)
    return f"words_read AS ({POSTMORTEM_WORDS}), " + _tfidf("words_read")


@contextmanager
def _dropped_after(db: Database, *tables: str) -> Iterator[None]:
    """Temporary tables of the connection, dropped when the block ends."""
    try:
        yield
    finally:
        for table in tables:
            db.con.execute(f"DROP TABLE IF EXISTS {table}")


def similar(db: Database, postmortem_id: str, top: int = 5) -> pd.DataFrame:
    """The `top` postmortems whose text is most like that of `postmortem_id`, best first.

    Columns: id, title, score (cosine in [0, 1]), shared_terms (the folded words both use, those
    that weigh most in the score first). Postmortems that share no word are not listed; the
    postmortem is found whatever the case of `postmortem_id`.
    """
    found = db.con.execute("SELECT postmortem_id FROM postmortems WHERE lower(postmortem_id) = lower($id) "
                           "ORDER BY postmortem_id = $id DESC LIMIT 1", {"id": postmortem_id}).fetchone()
    if found is None:
        raise UnknownPostmortem(f"{db.path}: no postmortem {postmortem_id!r} "
                                "(the ids are those of the front matter's `id`, e.g. PM-2026-014)")
    return db.con.execute(f"""
        WITH {_weighing(db)},
        asked AS (
            SELECT w.term, w.weight, n.norm FROM raw_weights w JOIN norms n USING (postmortem_id)
            WHERE w.postmortem_id = $id
        ),
        products AS (
            SELECT w.postmortem_id, w.term, (w.weight * a.weight) / (n.norm * a.norm) AS product
            FROM raw_weights w JOIN asked a USING (term) JOIN norms n USING (postmortem_id)
            WHERE w.postmortem_id <> $id
        ),
        best AS (
            SELECT postmortem_id, sum(product::{EXACT})::DOUBLE AS score FROM products GROUP BY postmortem_id
            ORDER BY score DESC, postmortem_id LIMIT $top
        ),
        shared AS (  -- listed for the best only: a sorted list for every postmortem took half the query
            SELECT postmortem_id, list(term ORDER BY product DESC, term)[:$shared] AS shared_terms
            FROM products SEMI JOIN best USING (postmortem_id) GROUP BY postmortem_id
        )
        SELECT b.postmortem_id AS id, p.title, least(b.score, 1.0) AS score, s.shared_terms
        FROM best b JOIN shared s USING (postmortem_id) JOIN postmortems p USING (postmortem_id)
        ORDER BY b.score DESC, id
    """, {**_stop_word_params(), "id": found[0], "top": max(0, int(top)), "shared": SHARED_TERMS}
    ).df().pipe(_listed)


def missed_recurrences(db: Database, scope: Scope, threshold: float = RECURRENCE_THRESHOLD) -> pd.DataFrame:
    """Pairs of postmortems alike enough to be one failure recurring, which share no category.

    Columns: postmortem_id, started_at, earlier_postmortem_id, earlier_started_at, days_between,
    service_names, score, shared_terms (a list), title, earlier_title; the most alike first.

    A statement for each step, each into a temporary table: the candidate pairs (a shared
    service, within the window, no category in common), the weights of the postmortems in
    them, the scores of those pairs that reach the threshold; then those pairs' shared words.
    In one query, DuckDB's planner may join the weights with each other before it narrows
    them to the pairs, which takes minutes.
    """
    scoped = run_rows(db, "ids AS (SELECT postmortem_id FROM scoped_postmortems) "
                          "SELECT coalesce(list(postmortem_id), []) AS ids FROM ids", scope)[0]["ids"]
    window_seconds = recurrence_params(scope)["window_seconds"]
    with _dropped_after(db, PAIRS_TABLE, WEIGHTS_TABLE, SCORES_TABLE):
        _candidate_pairs(db, scoped, window_seconds)
        db.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {WEIGHTS_TABLE} AS
            WITH {_weighing(db)},
            paired AS (
                SELECT postmortem_id, later_key AS pm_key FROM {PAIRS_TABLE}
                UNION SELECT earlier_postmortem_id, earlier_key FROM {PAIRS_TABLE}
            ),
            term_keys AS (SELECT term, (row_number() OVER (ORDER BY term))::INTEGER AS term_key FROM idf)
            SELECT p.pm_key, k.term_key, w.term, w.weight, n.norm
            FROM raw_weights w JOIN paired p USING (postmortem_id) JOIN norms n USING (postmortem_id)
            JOIN term_keys k USING (term)
        """, _stop_word_params())
        db.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {SCORES_TABLE} AS
            SELECT later_key, earlier_key, sum(product::{EXACT})::DOUBLE AS score
            FROM ({_products(PAIRS_TABLE)}) GROUP BY ALL HAVING score >= $threshold
        """, {"threshold": threshold})
        return db.con.execute(f"""
            WITH shared AS (  -- listed for the pairs kept only: a list per candidate pair costs more than the scores
                SELECT later_key, earlier_key, list(term ORDER BY product DESC, term)[:$shared] AS terms
                FROM ({_products(SCORES_TABLE)}) GROUP BY ALL
            )
            SELECT pr.postmortem_id, later.started_at, pr.earlier_postmortem_id,
                   earlier.started_at AS earlier_started_at,
                   (epoch(later.started_at) - epoch(earlier.started_at)) / 86400 AS days_between,
                   array_to_string(pr.service_names, ', ') AS service_names, least(s.score, 1.0) AS score,
                   sh.terms AS shared_terms, later.title, earlier.title AS earlier_title
            FROM {SCORES_TABLE} s
            JOIN {PAIRS_TABLE} pr USING (later_key, earlier_key)
            JOIN shared sh USING (later_key, earlier_key)
            JOIN postmortems later ON later.postmortem_id = pr.postmortem_id
            JOIN postmortems earlier ON earlier.postmortem_id = pr.earlier_postmortem_id
            ORDER BY s.score DESC, later.started_at, pr.postmortem_id, pr.earlier_postmortem_id
        """, {"shared": SHARED_TERMS}).df().pipe(_listed)


def _products(pairs: str) -> str:
    """(later_key, earlier_key, term, product) for each term that the two postmortems of each row
    of `pairs` (a table with those keys) share, with the product of their weights scaled."""
    return f"""
        SELECT pr.later_key, pr.earlier_key, lw.term, (lw.weight * ew.weight) / (lw.norm * ew.norm) AS product
        FROM {pairs} pr
        JOIN {WEIGHTS_TABLE} lw ON lw.pm_key = pr.later_key
        JOIN {WEIGHTS_TABLE} ew ON ew.pm_key = pr.earlier_key AND ew.term_key = lw.term_key
    """


def _candidate_pairs(db: Database, scoped: list[str], window_seconds: float) -> None:
    """The pairs that may be listed, as a temporary table: (postmortem_id, earlier_postmortem_id,
    later_key, earlier_key, service_names), the later in `scoped`, the earlier on one of its
    services within the window before it, no category but `other` in common. The keys number
    the postmortems: the pairs' weights are joined on integers, not on ids (twice as fast).

    Postmortems are put in buckets as wide as the window (and a microsecond), so that the
    earlier of a pair is in the later's bucket or the one before: a service's postmortems are
    joined with those of two buckets, not with all of them (at 10,000 postmortems over ten
    years: 1.1 million rows for the 360,000 pairs, instead of 10.9 million).
    """
    db.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {PAIRS_TABLE} AS
        WITH dated AS (
            SELECT p.postmortem_id, p.started_at, epoch_us(p.started_at) // $bucket_us AS bucket,
                   coalesce(list(DISTINCT r.category) FILTER (r.category <> 'other'), []) AS categories
            FROM postmortems p LEFT JOIN root_causes r USING (postmortem_id)
            GROUP BY p.postmortem_id, p.started_at
        ),
        keyed AS (SELECT *, (row_number() OVER (ORDER BY postmortem_id))::INTEGER AS pm_key FROM dated),
        on_service AS (SELECT s.service_name, k.* FROM services s JOIN keyed k USING (postmortem_id)),
        earlier AS (SELECT *, unnest([bucket, bucket + 1]) AS later_bucket FROM on_service)
        SELECT l.postmortem_id, e.postmortem_id AS earlier_postmortem_id, l.pm_key AS later_key,
               e.pm_key AS earlier_key, list(DISTINCT l.service_name ORDER BY l.service_name) AS service_names
        FROM on_service l JOIN earlier e ON e.service_name = l.service_name AND e.later_bucket = l.bucket
        WHERE l.postmortem_id IN (SELECT unnest($scoped))
          AND e.started_at < l.started_at
          AND epoch(l.started_at) - epoch(e.started_at) <= $window_seconds
          AND NOT list_has_any(l.categories, e.categories)
        GROUP BY ALL
    """, {"scoped": scoped, "window_seconds": window_seconds,
          "bucket_us": math.ceil(window_seconds * 1_000_000) + 1})


def _listed(frame: pd.DataFrame) -> pd.DataFrame:
    """`shared_terms` as Python lists (DuckDB gives NumPy arrays)."""
    return frame.assign(shared_terms=frame["shared_terms"].map(list))
