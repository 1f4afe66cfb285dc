"""What keeps breaking: root-cause categories, their trend, and recurrence (docs/corpus.md section 4, item 5).

A postmortem citing a category twice counts once. Shares are over all the postmortems of
the group, those citing no category included (docs/corpus.md section 4.2 `root_causes`, definition
`root_causes`).
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.groups import quarter_label
from pmanalytics.metrics.headline import EARLIER_OPEN_UNTIL, RECURRENCE_PAIRS, recurrence_params
from pmanalytics.metrics.scope import Scope, run


def root_causes_by_period(db: Database, scope: Scope) -> pd.DataFrame:
    """Count and share of postmortems citing each category, per quarter.

    Columns: period, category, postmortems (citing it), period_postmortems, share.
    """
    return run(db, f"""
        cited AS (
            SELECT DISTINCT {quarter_label("p.started_at")} AS period, r.category, p.postmortem_id
            FROM scoped_postmortems p JOIN root_causes r USING (postmortem_id)
        ),
        totals AS (
            SELECT {quarter_label("p.started_at")} AS period, count(*) AS period_postmortems
            FROM scoped_postmortems p GROUP BY period
        )
        SELECT c.period, c.category, count(*) AS postmortems, t.period_postmortems,
               count(*) / t.period_postmortems AS share
        FROM cited c JOIN totals t USING (period)
        GROUP BY c.period, c.category, t.period_postmortems
        ORDER BY c.period, postmortems DESC, c.category
    """, scope, tz=scope.timezone)


def root_causes_by_service(db: Database, scope: Scope) -> pd.DataFrame:
    """Postmortems per service and category. Columns: service_name, category, postmortems."""
    return run(db, """
        cited AS (
            SELECT DISTINCT s.service_name, r.category, p.postmortem_id
            FROM scoped_postmortems p
            JOIN services s USING (postmortem_id) JOIN root_causes r USING (postmortem_id)
        )
        SELECT service_name, category, count(*) AS postmortems
        FROM cited GROUP BY ALL ORDER BY postmortems DESC, service_name, category
    """, scope)


def category_co_occurrence(db: Database, scope: Scope) -> pd.DataFrame:
    """How often two categories are cited by the same postmortem (each pair once, a < b).

    Columns: category_a, category_b, postmortems.
    """
    return run(db, """
        cited AS (
            SELECT DISTINCT r.postmortem_id, r.category
            FROM root_causes r JOIN scoped_postmortems p USING (postmortem_id)
        )
        SELECT a.category AS category_a, b.category AS category_b, count(*) AS postmortems
        FROM cited a JOIN cited b ON a.postmortem_id = b.postmortem_id AND a.category < b.category
        GROUP BY ALL ORDER BY postmortems DESC, category_a, category_b
    """, scope)


def recurring_pairs(db: Database, scope: Scope) -> pd.DataFrame:
    """Each (earlier → later) pair behind a recurrence, with what they share.

    Columns: postmortem_id, started_at, earlier_postmortem_id, earlier_started_at,
    days_between, service_names, categories, title, earlier_title.
    """
    return run(db, RECURRENCE_PAIRS + """
        SELECT pr.postmortem_id, pr.started_at, pr.earlier_postmortem_id, pr.earlier_started_at,
               (epoch(pr.started_at) - epoch(pr.earlier_started_at)) / 86400 AS days_between,
               array_to_string(pr.service_names, ', ') AS service_names,
               array_to_string(pr.categories, ', ') AS categories,
               later.title, earlier.title AS earlier_title
        FROM recurrence_pairs pr
        JOIN postmortems later ON later.postmortem_id = pr.postmortem_id
        JOIN postmortems earlier ON earlier.postmortem_id = pr.earlier_postmortem_id
        ORDER BY pr.started_at, pr.postmortem_id, pr.earlier_started_at, pr.earlier_postmortem_id
    """, scope, **recurrence_params(scope))


def recurred_with_open_fix(db: Database, scope: Scope) -> pd.DataFrame:
    """Recurring incidents for which an earlier incident's action was still open, naming it.

    Columns: postmortem_id, title, earlier_postmortem_id, action_id, description, owner_team,
    status, due_date.
    """
    return run(db, RECURRENCE_PAIRS + """
        SELECT f.postmortem_id, later.title, f.earlier_postmortem_id, f.action_id, f.description,
               CASE WHEN f.owner IS NULL THEN '(no owner)'
                    WHEN f.owner IN (SELECT team_name FROM teams) THEN f.owner
                    ELSE '(other owner)' END AS owner_team,
               f.status, f.due_date
        FROM open_fixes f JOIN postmortems later ON later.postmortem_id = f.postmortem_id
        ORDER BY later.started_at, f.postmortem_id, f.earlier_postmortem_id, f.action_id
    """, scope, **recurrence_params(scope))


def open_fix_by_incident(db: Database, scope: Scope) -> pd.DataFrame:
    """One row per incident of the scope that recurred while an earlier incident's action was open
    (docs/corpus.md section 4, item 5): the rows of `recurred_with_open_fix`, one per incident.

    `open_then` counts the earlier incidents' actions open when the incident started, `open_now`
    those still open at as_of: not cancelled, and not done and closed by then (a done action
    without a closed date is closed). `service` and `cause` list what the incident
    shares with those earlier incidents, each name once, in the order of `recurring_pairs` (earliest
    earlier incident first, each pair's names sorted); `earlier_postmortem_id` lists those incidents
    sorted. Columns: postmortem_id, service, cause, earlier_postmortem_id, open_then, open_now; the
    most still open first, then the most open then, then by id.

    Computed in the database: the pairs and open actions behind it run to hundreds of thousands of
    rows for a quarter of a large corpus, the table to a few thousand.
    """
    return run(db, RECURRENCE_PAIRS + """,
        fix_actions AS (SELECT DISTINCT postmortem_id, earlier_postmortem_id, action_id FROM open_fixes),
        fix_states AS (
            -- every action of the earlier incident under that id (an id may be written twice)
            SELECT f.postmortem_id, f.earlier_postmortem_id,
                   CASE a.status WHEN 'cancelled' THEN FALSE
                                 WHEN 'done' THEN coalesce(a.closed_date > $as_of_date, FALSE)
                                 ELSE TRUE END AS still_open
            FROM fix_actions f
            JOIN actions a ON a.postmortem_id = f.earlier_postmortem_id AND a.action_id = f.action_id
        ),
        by_incident AS (
            SELECT postmortem_id, count(*) AS open_then, count(*) FILTER (still_open) AS open_now,
                   string_agg(DISTINCT earlier_postmortem_id, ', ' ORDER BY earlier_postmortem_id)
                       AS earlier_postmortem_id
            FROM fix_states GROUP BY postmortem_id
        ),
        shared AS (
            -- the links of those pairs: a pair's services (categories) are those of its links
            SELECT l.postmortem_id, l.earlier_started_at, l.earlier_postmortem_id, l.service_name, l.category
            FROM recurrence_links l
            SEMI JOIN (SELECT DISTINCT postmortem_id, earlier_postmortem_id FROM fix_actions) f
              ON f.postmortem_id = l.postmortem_id AND f.earlier_postmortem_id = l.earlier_postmortem_id
        ),
        first_seen AS (
            -- where each name is first met: pair by pair, the earliest earlier incident first, then
            -- in the pair's sorted names, as `recurring_pairs` lists them ("a, b" read back as names:
            -- a name with ", " in it is two)
            SELECT s.postmortem_id, 'service' AS kind, n.name,
                   min({'at': s.earlier_started_at, 'id': s.earlier_postmortem_id, 'in': s.service_name,
                        'i': n.i}) AS seen
            FROM shared s, unnest(string_split(s.service_name, ', ')) WITH ORDINALITY AS n(name, i)
            WHERE n.name <> '' GROUP BY ALL
            UNION ALL
            SELECT s.postmortem_id, 'cause', n.name,
                   min({'at': s.earlier_started_at, 'id': s.earlier_postmortem_id, 'in': s.category, 'i': n.i})
            FROM shared s, unnest(string_split(s.category, ', ')) WITH ORDINALITY AS n(name, i)
            WHERE n.name <> '' GROUP BY ALL
        ),
        names AS (
            SELECT postmortem_id,
                   string_agg(name, ', ' ORDER BY seen) FILTER (kind = 'service') AS service,
                   string_agg(name, ', ' ORDER BY seen) FILTER (kind = 'cause') AS cause
            FROM first_seen GROUP BY postmortem_id
        )
        SELECT b.postmortem_id, coalesce(n.service, '') AS service, coalesce(n.cause, '') AS cause,
               b.earlier_postmortem_id, b.open_then, b.open_now
        FROM by_incident b LEFT JOIN names n USING (postmortem_id)
        ORDER BY b.open_now DESC, b.open_then DESC, b.postmortem_id
    """, scope, as_of_date=scope.as_of_date, **recurrence_params(scope))


def top_recurring(db: Database, scope: Scope, limit: int = 10) -> pd.DataFrame:
    """Service × category combinations that recur most in the scope.

    Columns: service_name, category, recurring (postmortems that recur on it), postmortems.
    """
    return run(db, RECURRENCE_PAIRS + """,
        shared AS (
            -- each pair's services with each of its categories (the lists of `recurring_pairs`),
            -- from the links: a pair has few, and listing every pair's names costs more
            SELECT DISTINCT s.postmortem_id, s.service_name, c.category
            FROM recurrence_links s JOIN recurrence_links c
              ON c.postmortem_id = s.postmortem_id AND c.earlier_postmortem_id = s.earlier_postmortem_id
        ),
        totals AS (
            SELECT DISTINCT s.service_name, r.category, p.postmortem_id
            FROM scoped_postmortems p JOIN services s USING (postmortem_id)
            JOIN root_causes r USING (postmortem_id) WHERE r.category <> 'other'
        )
        SELECT t.service_name, t.category, count(DISTINCT sh.postmortem_id) AS recurring,
               count(DISTINCT t.postmortem_id) AS postmortems
        FROM totals t LEFT JOIN shared sh USING (service_name, category)
        GROUP BY ALL HAVING count(DISTINCT sh.postmortem_id) > 0
        ORDER BY recurring DESC, postmortems DESC, t.service_name, t.category
        LIMIT $limit
    """, scope, limit=limit, **recurrence_params(scope))


def recurring_services(db: Database, scope: Scope) -> pd.DataFrame:
    """Which services recur most, and how often with a fix still open: one row per service that a
    recurrence of the scope shares with an earlier incident (docs/corpus.md section 4, item 5).

    Columns: service, postmortems (of the scope naming it), recurring (those that recur on it),
    with_open_fix (of those, the ones for which an earlier incident on it still had an action open
    when they started, as `recurrence.with_open_fix` of the headline counts them). Most
    `with_open_fix` first, then most `recurring`.
    """
    return run(db, RECURRENCE_PAIRS + EARLIER_OPEN_UNTIL + """,
        links AS (
            SELECT l.service_name, l.postmortem_id,
                   coalesce(o.open_until > CAST(timezone($tz, l.started_at) AS DATE), FALSE) AS has_open_fix
            FROM recurrence_links l LEFT JOIN earlier_open_until o ON o.postmortem_id = l.earlier_postmortem_id
        ),
        totals AS (
            SELECT s.service_name, count(DISTINCT p.postmortem_id) AS postmortems
            FROM scoped_postmortems p JOIN services s USING (postmortem_id) GROUP BY s.service_name
        )
        SELECT l.service_name AS service, t.postmortems, count(DISTINCT l.postmortem_id) AS recurring,
               count(DISTINCT l.postmortem_id) FILTER (l.has_open_fix) AS with_open_fix
        FROM links l JOIN totals t USING (service_name)
        GROUP BY l.service_name, t.postmortems
        ORDER BY with_open_fix DESC, recurring DESC, service
    """, scope, **recurrence_params(scope))
