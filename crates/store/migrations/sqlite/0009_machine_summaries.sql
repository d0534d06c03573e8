-- Machine-written summaries (`[llm]`, off by default). Additive only. The PostgreSQL flavour in
-- ../postgres/0009_machine_summaries.sql differs only in types.

-- Every summary a language model wrote, by article, model and the SHA-256 of what was sent (the prompt's version
-- and the article's text as sent): the same three are never requested twice. The page shows an article's newest.
CREATE TABLE machine_summaries (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    model       TEXT    NOT NULL,
    input_hash  TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (article_id, model, input_hash)
);

-- Articles waiting for one: queued by the enrichment stage (again when a page's fuller text replaces the feed's),
-- taken off when a summary is kept. A failed request stays with its error for the operator (/admin), to be
-- tried again at next_attempt_at; NULL there means the stage gave up until the article is queued again.
CREATE TABLE machine_summary_queue (
    article_id       INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    queued_at        INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    attempts         INTEGER NOT NULL,
    last_error       TEXT,
    last_error_at    INTEGER
);
CREATE INDEX machine_summary_queue_due ON machine_summary_queue (next_attempt_at, article_id)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX machine_summary_queue_failed ON machine_summary_queue (last_error_at) WHERE last_error_at IS NOT NULL;
