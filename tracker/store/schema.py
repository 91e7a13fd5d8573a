"""The schema, as an ordered list of versioned migrations.

Never edit a migration that has shipped: append a new one. `PRAGMA user_version`
holds the schema version; the `migrations` table records when each was applied.
docs/schema.md describes the result.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


TIMELINE_V1 = """
CREATE VIEW timeline AS
SELECT
    a.published                     AS published,
    substr(a.published, 1, 10)      AS day,
    st.speaker                      AS speaker,
    st.official_id                  AS official_id,
    st.official                     AS official,
    st.country                      AS country,
    st.role                         AS role,
    st.kind                         AS kind,
    st.text                         AS text,
    sc.level                        AS level,
    sc.label                        AS label,
    sc.escalation                   AS escalation,
    coalesce(sc.instruments, '[]')  AS instruments,
    a.title                         AS title,
    a.url                           AS url,
    f.name                          AS feed,
    st.id                           AS statement_id,
    a.id                            AS article_id,
    sc.model                        AS model,
    sc.model_version                AS model_version
FROM statements st
JOIN articles a ON a.id = st.article_id
JOIN feeds f ON f.id = a.feed_id
LEFT JOIN scores sc ON sc.statement_id = st.id AND sc.current = 1;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema: feeds, articles, officials, statements, scores, runs, timeline",
        """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'news' CHECK (kind IN ('news', 'speech')),
    config_url TEXT NOT NULL,
    url TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    disabled INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    etag TEXT,
    last_modified TEXT,
    last_checked TEXT,
    last_success TEXT,
    last_status INTEGER,
    last_error TEXT,
    last_error_at TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    total_failures INTEGER NOT NULL DEFAULT 0,
    next_check TEXT,
    created TEXT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id),
    key TEXT NOT NULL,
    url TEXT,
    title TEXT NOT NULL,
    author TEXT,
    published TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    text_source TEXT NOT NULL CHECK (text_source IN ('page', 'summary')),
    page_error TEXT,
    page_attempts INTEGER NOT NULL DEFAULT 1,
    entry_hash TEXT NOT NULL,
    extractor TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (feed_id, key)
);
CREATE INDEX articles_published ON articles (published);

CREATE TABLE officials (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    role TEXT,
    organisation TEXT,
    country TEXT,
    tenure_start TEXT,
    tenure_end TEXT
);

CREATE TABLE statements (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    speaker TEXT NOT NULL,
    official_id TEXT,
    official INTEGER NOT NULL DEFAULT 0 CHECK (official IN (0, 1)),
    role TEXT,
    country TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'reported', 'speech')),
    text TEXT NOT NULL,
    span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL
);
CREATE INDEX statements_article ON statements (article_id);
CREATE INDEX statements_official ON statements (official_id);

CREATE TABLE scores (
    id INTEGER PRIMARY KEY,
    statement_id INTEGER NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    model_version TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),
    label TEXT NOT NULL CHECK (label IN ('deescalate', 'neutral', 'pressure', 'threat')),
    escalation REAL NOT NULL CHECK (escalation BETWEEN 0 AND 1),
    probs TEXT NOT NULL,
    instruments TEXT NOT NULL DEFAULT '[]',
    scored TEXT NOT NULL,
    current INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1))
);
CREATE UNIQUE INDEX scores_current ON scores (statement_id) WHERE current = 1;

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    pid INTEGER,
    feeds_total INTEGER NOT NULL DEFAULT 0,
    feeds_ok INTEGER NOT NULL DEFAULT 0,
    feeds_not_modified INTEGER NOT NULL DEFAULT 0,
    feeds_failed INTEGER NOT NULL DEFAULT 0,
    new_articles INTEGER NOT NULL DEFAULT 0,
    updated_articles INTEGER NOT NULL DEFAULT 0,
    new_statements INTEGER NOT NULL DEFAULT 0,
    seconds REAL
);

CREATE TABLE run_feeds (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    feed_id INTEGER NOT NULL REFERENCES feeds(id),
    status TEXT NOT NULL CHECK (status IN ('ok', 'not_modified', 'failed', 'disabled', 'skipped')),
    http_status INTEGER,
    error TEXT,
    entries INTEGER NOT NULL DEFAULT 0,
    new_articles INTEGER NOT NULL DEFAULT 0,
    updated_articles INTEGER NOT NULL DEFAULT 0,
    new_statements INTEGER NOT NULL DEFAULT 0,
    page_errors INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    PRIMARY KEY (run_id, feed_id)
);
"""
        + TIMELINE_V1,
    ),
)

TIMELINE_V2 = TIMELINE_V1.replace(
    "    sc.model_version                AS model_version\n",
    "    sc.model_version                AS model_version,\n"
    "    (SELECT count(*) FROM statement_sources ss WHERE ss.statement_id = st.id) AS sources\n",
)

MIGRATIONS += (
    Migration(
        2,
        "statement sources (syndicated copies counted once), speaker keys, officials' roles",
        """
ALTER TABLE statements ADD COLUMN speaker_key TEXT NOT NULL DEFAULT '';
ALTER TABLE statements ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE statements ADD COLUMN published TEXT NOT NULL DEFAULT '';
UPDATE statements SET
    speaker_key = coalesce(official_id, 'name:' || lower(speaker)),
    published = (SELECT a.published FROM articles a WHERE a.id = statements.article_id);
CREATE INDEX statements_speaker_published ON statements (speaker_key, published);

CREATE TABLE statement_sources (
    statement_id INTEGER NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (statement_id, article_id, span_start)
);
CREATE INDEX statement_sources_article ON statement_sources (article_id);
INSERT INTO statement_sources (statement_id, article_id, span_start, span_end, text)
    SELECT id, article_id, span_start, span_end, text FROM statements;

ALTER TABLE officials ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';

DROP VIEW timeline;
"""
        + TIMELINE_V2,
    ),
)

TIMELINE_V3 = """
CREATE VIEW timeline AS
SELECT
    st.published                    AS published,
    st.day                          AS day,
    st.speaker                      AS speaker,
    st.official_id                  AS official_id,
    st.official                     AS official,
    st.country                      AS country,
    st.role                         AS role,
    st.kind                         AS kind,
    st.text                         AS text,
    sc.level                        AS level,
    sc.label                        AS label,
    sc.escalation                   AS escalation,
    coalesce(sc.instruments, '[]')  AS instruments,
    a.title                         AS title,
    a.url                           AS url,
    f.name                          AS feed,
    st.id                           AS statement_id,
    a.id                            AS article_id,
    sc.model                        AS model,
    sc.model_version                AS model_version,
    (SELECT count(*) FROM statement_sources ss WHERE ss.statement_id = st.id) AS sources
FROM statements st
JOIN articles a ON a.id = st.article_id
JOIN feeds f ON f.id = a.feed_id
LEFT JOIN scores sc ON sc.statement_id = st.id AND sc.current = 1;
"""

MIGRATIONS += (
    Migration(
        3,
        "query-friendly timeline: day column and indexes, per-official/country/instrument day views, "
        "full-text search, spikes",
        """
ALTER TABLE statements ADD COLUMN day TEXT GENERATED ALWAYS AS (substr(published, 1, 10)) VIRTUAL;
DROP INDEX statements_official;
CREATE INDEX statements_day ON statements (day);
CREATE INDEX statements_official_day ON statements (official_id, day);
CREATE INDEX statements_country_day ON statements (country, day);
CREATE INDEX statements_speaker ON statements (speaker);

DROP VIEW timeline;
"""
        + TIMELINE_V3
        + """
CREATE VIEW official_days AS
SELECT
    t.official_id AS official_id,
    max(t.speaker) AS speaker,
    max(t.country) AS country,
    t.day AS day,
    count(*) AS statements,
    round(avg(t.escalation), 4) AS mean_escalation,
    round(max(t.escalation), 4) AS max_escalation,
    (SELECT t2.text FROM timeline t2 WHERE t2.official_id = t.official_id AND t2.day = t.day
     ORDER BY t2.escalation DESC, t2.statement_id LIMIT 1) AS top_statement
FROM timeline t
WHERE t.official_id IS NOT NULL
GROUP BY t.official_id, t.day;

CREATE VIEW country_days AS
SELECT
    t.country AS country,
    t.day AS day,
    count(*) AS statements,
    count(DISTINCT t.speaker) AS speakers,
    round(avg(t.escalation), 4) AS mean_escalation,
    round(max(t.escalation), 4) AS max_escalation,
    (SELECT t2.speaker || ': ' || t2.text FROM timeline t2 WHERE t2.country = t.country AND t2.day = t.day
     ORDER BY t2.escalation DESC, t2.statement_id LIMIT 1) AS top_statement
FROM timeline t
WHERE t.country IS NOT NULL AND t.official = 1
GROUP BY t.country, t.day;

CREATE VIEW instrument_days AS
SELECT t.day AS day, je.value AS instrument, count(*) AS statements,
       round(avg(t.escalation), 4) AS mean_escalation
FROM timeline t, json_each(t.instruments) je
GROUP BY t.day, je.value;

CREATE VIRTUAL TABLE statements_fts USING fts5(
    text, speaker, content='statements', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
INSERT INTO statements_fts (rowid, text, speaker) SELECT id, text, speaker FROM statements;
CREATE TRIGGER statements_fts_insert AFTER INSERT ON statements BEGIN
    INSERT INTO statements_fts (rowid, text, speaker) VALUES (new.id, new.text, new.speaker);
END;
CREATE TRIGGER statements_fts_delete AFTER DELETE ON statements BEGIN
    INSERT INTO statements_fts (statements_fts, rowid, text, speaker) VALUES ('delete', old.id, old.text, old.speaker);
END;
CREATE TRIGGER statements_fts_update AFTER UPDATE OF text, speaker ON statements BEGIN
    INSERT INTO statements_fts (statements_fts, rowid, text, speaker) VALUES ('delete', old.id, old.text, old.speaker);
    INSERT INTO statements_fts (rowid, text, speaker) VALUES (new.id, new.text, new.speaker);
END;

CREATE TABLE spikes (
    series TEXT NOT NULL CHECK (series IN ('official', 'country')),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    day TEXT NOT NULL,
    statements INTEGER NOT NULL,
    escalation REAL NOT NULL,
    baseline REAL NOT NULL,
    mad REAL NOT NULL,
    z REAL NOT NULL,
    baseline_days INTEGER NOT NULL,
    highest_in_window INTEGER NOT NULL,
    computed TEXT NOT NULL,
    PRIMARY KEY (series, key, day)
);
CREATE INDEX spikes_day ON spikes (day);
""",
    ),
)

MIGRATIONS += (
    Migration(
        4,
        "digests: one row per digest day, so each is sent once and failures are retried",
        """
CREATE TABLE digests (
    day TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'skipped')),
    recipients TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    sent TEXT
);
""",
    ),
)

MIGRATIONS += (
    Migration(
        5,
        "run_feeds.warning: what a feed's body got wrong when its entries were recovered anyway",
        "ALTER TABLE run_feeds ADD COLUMN warning TEXT;",
    ),
)

MIGRATIONS += (
    Migration(6, "runs.stages: seconds per pipeline stage (JSON)", "ALTER TABLE runs ADD COLUMN stages TEXT;"),
)

SCORED = "statements st JOIN scores sc ON sc.statement_id = st.id AND sc.current = 1"

MIGRATIONS += (
    Migration(
        7,
        "day views read statements and current scores directly (no article and feed joins): "
        "a year of history answers per-official and per-country queries in well under a second",
        f"""
DROP VIEW official_days;
DROP VIEW country_days;
DROP VIEW instrument_days;
CREATE INDEX scores_statement_current ON scores (statement_id, current, escalation);

CREATE VIEW official_days AS
SELECT
    st.official_id AS official_id,
    max(st.speaker) AS speaker,
    max(st.country) AS country,
    st.day AS day,
    count(*) AS statements,
    round(avg(sc.escalation), 4) AS mean_escalation,
    round(max(sc.escalation), 4) AS max_escalation,
    (SELECT s2.text FROM {SCORED.replace("st ", "s2 ").replace("sc ", "c2 ").replace("st.", "s2.").replace("sc.", "c2.")}
     WHERE s2.official_id = st.official_id AND s2.day = st.day ORDER BY c2.escalation DESC, s2.id LIMIT 1) AS top_statement
FROM {SCORED}
WHERE st.official_id IS NOT NULL
GROUP BY st.official_id, st.day;

CREATE VIEW country_days AS
SELECT
    st.country AS country,
    st.day AS day,
    count(*) AS statements,
    count(DISTINCT st.speaker) AS speakers,
    round(avg(sc.escalation), 4) AS mean_escalation,
    round(max(sc.escalation), 4) AS max_escalation,
    (SELECT s2.speaker || ': ' || s2.text FROM {SCORED.replace("st ", "s2 ").replace("sc ", "c2 ").replace("st.", "s2.").replace("sc.", "c2.")}
     WHERE s2.country = st.country AND s2.day = st.day AND s2.official = 1 ORDER BY c2.escalation DESC, s2.id LIMIT 1) AS top_statement
FROM {SCORED}
WHERE st.country IS NOT NULL AND st.official = 1
GROUP BY st.country, st.day;

CREATE VIEW instrument_days AS
SELECT st.day AS day, je.value AS instrument, count(*) AS statements, round(avg(sc.escalation), 4) AS mean_escalation
FROM {SCORED}, json_each(sc.instruments) je
GROUP BY st.day, je.value;
""",
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
