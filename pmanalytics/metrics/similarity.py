"""Related incidents: postmortems ranked by how alike their text is, and likely recurrences the categories miss.

The text of a postmortem is its title, its context section, the summaries of its root
causes and its timeline. Each becomes words: case and accents folded (`Déploiement` and
`deploiement` are one word), numbers and words of one or two letters dropped, the stop words
of the postmortem's language dropped (`similarity_stopwords.toml`, package data; both lists
when the language is unknown), and a final plural `s` removed (`certificates` → `certificate`,
`certificats` → `certificat`). Words weigh TF-IDF as scikit-learn's `TfidfVectorizer` with
`sublinear_tf=True` weighs them: (1 + ln count) × (ln((1 + N) / (1 + postmortems with the
word)) + 1), each postmortem's weights scaled to length 1; the score of two postmortems is the
cosine of their weights, in [0, 1]. All of it is one DuckDB query, over every postmortem of
the database (the rarity of a word is the corpus's, whatever the scope).

Likely recurrences the categories miss: two postmortems on a shared service, the later one in
the scope and the earlier within the recurrence window before it (settings `recurrence_days`,
as for recurrence: docs/corpus.md section 4, item 5), whose texts score at least
`RECURRENCE_THRESHOLD`, and which cite no category in common (`other`, or no category at all,
counts as none): the recurrence figure cannot see them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.headline import recurrence_params
from pmanalytics.metrics.scope import Scope, run_rows
from pmanalytics.rulefiles import entry, read_rules

STOP_WORDS_FILE = "similarity_stopwords.toml"
RECURRENCE_THRESHOLD = 0.5  # cosine from which two postmortems on one service describe the same failure
SHARED_TERMS = 8  # words listed per pair, those that weigh most in the score first
WEIGHTS_TABLE = "pm_similarity_weights"  # a temporary table of the connection, dropped after each query

TFIDF = """
    texts AS (
        SELECT postmortem_id, lang, title AS text FROM postmortems
        UNION ALL SELECT s.postmortem_id, p.lang, s.body
        FROM sections s JOIN postmortems p USING (postmortem_id) WHERE s.section = 'context'
        UNION ALL SELECT r.postmortem_id, p.lang, r.summary
        FROM root_causes r JOIN postmortems p USING (postmortem_id) WHERE r.summary IS NOT NULL
        UNION ALL SELECT t.postmortem_id, p.lang, t.description
        FROM timeline_events t JOIN postmortems p USING (postmortem_id)
    ),
    words AS (
        SELECT postmortem_id, lang, unnest(regexp_extract_all(lower(strip_accents(text)), '[a-z][a-z0-9]{2,}')) AS word
        FROM texts
    ),
    stop_words AS (
        SELECT unnest($stop_langs) AS lang, unnest($stop_words) AS word
        UNION ALL  -- the words of service names, in every language: a service is not what happened to it
        SELECT l.lang, n.word
        FROM (SELECT DISTINCT unnest($stop_langs) AS lang) l,
             (SELECT DISTINCT unnest(regexp_extract_all(lower(strip_accents(service_name)), '[a-z][a-z0-9]{2,}'))
              AS word FROM services) n
    ),
    terms AS (
        SELECT w.postmortem_id,
               CASE WHEN length(w.word) > 3 AND w.word LIKE '%s' AND NOT regexp_matches(w.word, '(ss|us|is)$')
                    THEN w.word[:-2] ELSE w.word END AS term
        FROM words w ANTI JOIN stop_words s ON s.lang = coalesce(w.lang, '') AND s.word = w.word
    ),
    counts AS (SELECT postmortem_id, term, count(*) AS n FROM terms GROUP BY ALL),
    idf AS (
        SELECT term, ln((1 + (SELECT count(*) FROM postmortems)) / (1 + count(*))) + 1 AS idf
        FROM counts GROUP BY term
    ),
    raw_weights AS (
        SELECT c.postmortem_id, c.term, (1 + ln(c.n)) * i.idf AS weight FROM counts c JOIN idf i USING (term)
    ),
    weights AS (
        SELECT postmortem_id, term, weight / sqrt(sum(weight * weight) OVER (PARTITION BY postmortem_id)) AS weight
        FROM raw_weights
    )
"""
"""`weights`: (postmortem_id, term, weight), each postmortem's weights of length 1."""


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


@contextmanager
def _weights(db: Database) -> Iterator[str]:
    """The weights as a temporary table, for the time of one query.

    Built first, in a statement of its own: in one query with the pairs, DuckDB's planner may
    join the weights with each other before it narrows them to the pairs, which takes minutes.
    """
    db.con.execute(f"CREATE OR REPLACE TEMP TABLE {WEIGHTS_TABLE} AS WITH {TFIDF} SELECT * FROM weights",
                   _stop_word_params())
    try:
        yield WEIGHTS_TABLE
    finally:
        db.con.execute(f"DROP TABLE IF EXISTS {WEIGHTS_TABLE}")


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
    with _weights(db) as weights:
        return db.con.execute(f"""
            WITH asked AS (SELECT term, weight FROM {weights} WHERE postmortem_id = $id),
            scores AS (
                SELECT w.postmortem_id, sum(w.weight * a.weight) AS score,
                       list(w.term ORDER BY w.weight * a.weight DESC, w.term)[:$shared] AS shared_terms
                FROM {weights} w JOIN asked a USING (term)
                WHERE w.postmortem_id <> $id
                GROUP BY w.postmortem_id
            )
            SELECT s.postmortem_id AS id, p.title, least(s.score, 1.0) AS score, s.shared_terms
            FROM scores s JOIN postmortems p USING (postmortem_id)
            ORDER BY s.score DESC, id
            LIMIT $top
        """, {"id": found[0], "top": max(0, int(top)), "shared": SHARED_TERMS}).df().pipe(_listed)


def missed_recurrences(db: Database, scope: Scope, threshold: float = RECURRENCE_THRESHOLD) -> pd.DataFrame:
    """Pairs of postmortems alike enough to be one failure recurring, which share no category.

    Columns: postmortem_id, started_at, earlier_postmortem_id, earlier_started_at, days_between,
    service_names, score, shared_terms (a list), title, earlier_title; the most alike first.
    """
    scoped = run_rows(db, "ids AS (SELECT postmortem_id FROM scoped_postmortems) "
                          "SELECT coalesce(list(postmortem_id), []) AS ids FROM ids", scope)[0]["ids"]
    with _weights(db) as weights:
        return db.con.execute(f"""
            WITH pairs AS (
                SELECT later.postmortem_id, earlier.postmortem_id AS earlier_postmortem_id,
                       list(DISTINCT ls.service_name ORDER BY ls.service_name) AS service_names
                FROM postmortems later
                JOIN services ls ON ls.postmortem_id = later.postmortem_id
                JOIN services es ON es.service_name = ls.service_name
                JOIN postmortems earlier ON earlier.postmortem_id = es.postmortem_id
                WHERE later.postmortem_id IN (SELECT unnest($scoped))
                  AND earlier.started_at < later.started_at
                  AND epoch(later.started_at) - epoch(earlier.started_at) <= $window_seconds
                  AND NOT EXISTS (
                      SELECT 1 FROM root_causes lc JOIN root_causes ec ON ec.category = lc.category
                      WHERE lc.postmortem_id = later.postmortem_id AND ec.postmortem_id = earlier.postmortem_id
                        AND lc.category <> 'other')
                GROUP BY ALL
            ),
            products AS (
                SELECT pr.postmortem_id, pr.earlier_postmortem_id, lw.term, lw.weight * ew.weight AS product
                FROM pairs pr
                JOIN {weights} lw ON lw.postmortem_id = pr.postmortem_id
                JOIN {weights} ew ON ew.postmortem_id = pr.earlier_postmortem_id AND ew.term = lw.term
            ),
            scores AS (
                SELECT postmortem_id, earlier_postmortem_id, least(sum(product), 1.0) AS score
                FROM products GROUP BY ALL HAVING sum(product) >= $threshold
            ),
            shared AS (  -- listed for the pairs kept only: a list per candidate pair costs more than the scores
                SELECT postmortem_id, earlier_postmortem_id,
                       list(term ORDER BY product DESC, term)[:$shared] AS shared_terms
                FROM products SEMI JOIN scores USING (postmortem_id, earlier_postmortem_id)
                GROUP BY ALL
            )
            SELECT s.postmortem_id, later.started_at, s.earlier_postmortem_id,
                   earlier.started_at AS earlier_started_at,
                   (epoch(later.started_at) - epoch(earlier.started_at)) / 86400 AS days_between,
                   array_to_string(pr.service_names, ', ') AS service_names, s.score, sh.shared_terms,
                   later.title, earlier.title AS earlier_title
            FROM scores s
            JOIN pairs pr USING (postmortem_id, earlier_postmortem_id)
            JOIN shared sh USING (postmortem_id, earlier_postmortem_id)
            JOIN postmortems later ON later.postmortem_id = s.postmortem_id
            JOIN postmortems earlier ON earlier.postmortem_id = s.earlier_postmortem_id
            ORDER BY s.score DESC, later.started_at, s.postmortem_id, s.earlier_postmortem_id
        """, {"scoped": scoped, "threshold": threshold, "shared": SHARED_TERMS,
              "window_seconds": recurrence_params(scope)["window_seconds"]}).df().pipe(_listed)


def _listed(frame: pd.DataFrame) -> pd.DataFrame:
    """`shared_terms` as Python lists (DuckDB gives NumPy arrays)."""
    return frame.assign(shared_terms=frame["shared_terms"].map(list))
