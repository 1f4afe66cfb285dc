-- The pmanalytics database schema. docs/schema.md describes every table and column;
-- tests/test_docs.py fails when the two disagree.
-- Naming: *_id identifiers, *_at instants (TIMESTAMPTZ), *_date calendar dates,
-- is_* booleans, units as suffixes (*_hours, *_minutes, *_bytes), position = order in the source.

CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE postmortems (
    postmortem_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    is_public BOOLEAN NOT NULL,
    published_to VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    detected_at TIMESTAMPTZ,
    mitigated_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    is_out_of_order BOOLEAN NOT NULL,
    lang VARCHAR,
    source_path VARCHAR NOT NULL,
    source_line INTEGER,
    source_format VARCHAR NOT NULL,
    extra_json VARCHAR
);

CREATE TABLE services (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    service_name VARCHAR NOT NULL
);

CREATE TABLE teams (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    team_name VARCHAR NOT NULL
);

CREATE TABLE tags (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    tag VARCHAR NOT NULL
);

CREATE TABLE root_causes (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    category VARCHAR NOT NULL,
    category_as_written VARCHAR NOT NULL,
    summary VARCHAR,
    tags VARCHAR,
    is_human_error BOOLEAN NOT NULL
);

CREATE TABLE sections (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    section VARCHAR,
    heading VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    source_line INTEGER NOT NULL
);

CREATE TABLE timeline_events (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    description VARCHAR NOT NULL,
    source_line INTEGER
);

CREATE TABLE actions (
    postmortem_id VARCHAR NOT NULL,
    action_id VARCHAR NOT NULL,
    position INTEGER,
    description VARCHAR NOT NULL,
    action_type VARCHAR,
    owner VARCHAR,
    due_date DATE,
    status VARCHAR NOT NULL,
    status_as_written VARCHAR,
    closed_date DATE,
    is_from_tracker BOOLEAN NOT NULL,
    is_tracker_updated BOOLEAN NOT NULL,
    source_path VARCHAR NOT NULL,
    source_line INTEGER,
    extra_json VARCHAR
);

CREATE TABLE lessons (
    postmortem_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    kind VARCHAR,
    text VARCHAR NOT NULL
);

CREATE TABLE incidents (
    incident_id VARCHAR NOT NULL,
    title VARCHAR,
    severity VARCHAR,
    is_public BOOLEAN NOT NULL,
    started_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    postmortem_id VARCHAR,
    source_path VARCHAR NOT NULL,
    source_line INTEGER
);

CREATE TABLE files (
    path VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    size_bytes BIGINT,
    modified_at TIMESTAMPTZ,
    content_sha256 VARCHAR
);

CREATE TABLE load_problems (
    load_id INTEGER NOT NULL,
    path VARCHAR NOT NULL,
    line INTEGER,
    level VARCHAR NOT NULL,
    field VARCHAR,
    message VARCHAR NOT NULL
);

CREATE TABLE loads (
    load_id INTEGER NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    corpus_path VARCHAR NOT NULL,
    corpus_fingerprint VARCHAR NOT NULL,
    files_seen INTEGER NOT NULL,
    loaded INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    duration_seconds DOUBLE NOT NULL,
    pmanalytics_version VARCHAR NOT NULL
);

-- Internal: the parse results of the actions.* exports, so that a reload in which they did not
-- change can apply them to the postmortems that did without reading them again (see incremental.py).
CREATE TABLE parse_cache (
    path VARCHAR NOT NULL,
    content_sha256 VARCHAR,
    result_json VARCHAR NOT NULL
);

-- Internal: the words of each postmortem's text, counted as its rows go in, from which related
-- incidents (metrics/similarity.py) weigh words at query time instead of reading every text again.
CREATE TABLE postmortem_words (
    postmortem_id VARCHAR NOT NULL,
    part VARCHAR NOT NULL,
    word VARCHAR NOT NULL,
    occurrences INTEGER NOT NULL
);
