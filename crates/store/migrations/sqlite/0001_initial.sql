-- Tidings schema, SQLite flavour. The PostgreSQL flavour in ../postgres/0001_initial.sql has the same tables,
-- columns and indexes; keep the two in step.
--
-- Conventions (see crates/store/src/lib.rs):
-- * ids are INTEGER PRIMARY KEY (i64 in Rust);
-- * every timestamp is INTEGER microseconds since the Unix epoch, UTC (`datetime(col / 1000000, 'unixepoch')`
--   reads it). Integers compare and index correctly whatever the year and take 8 bytes; text would need one fixed
--   width and format everywhere to order right;
-- * booleans are INTEGER 0/1;
-- * times are always written by the application, never by SQL defaults, so both backends agree to the microsecond.

CREATE TABLE sources (
    id                  INTEGER PRIMARY KEY,
    url                 TEXT    NOT NULL UNIQUE,
    kind                TEXT    NOT NULL DEFAULT 'feed' CHECK (kind IN ('feed', 'page')),
    title               TEXT,
    site_url            TEXT,
    category            TEXT,
    created_at          INTEGER NOT NULL,
    etag                TEXT,
    last_modified       TEXT,
    last_polled_at      INTEGER,
    last_success_at     INTEGER,
    last_error          TEXT,
    last_error_at       INTEGER,
    error_count         INTEGER NOT NULL DEFAULT 0,
    next_poll_at        INTEGER NOT NULL,
    poll_interval_secs  INTEGER NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);

-- due_sources: enabled sources by next_poll_at.
CREATE INDEX sources_due ON sources (next_poll_at, id) WHERE NOT disabled;

-- Stories: articles about one event across outlets (filled by the clustering stage).
CREATE TABLE stories (
    id               INTEGER PRIMARY KEY,
    headline         TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- Newest article time in the story, for "top stories" ordering.
    latest_at        INTEGER NOT NULL,
    article_count    INTEGER NOT NULL DEFAULT 0,
    outlet_count     INTEGER NOT NULL DEFAULT 0,
    language         TEXT,
    summary_text     TEXT,
    -- JSON array of strings.
    key_points       TEXT
);
CREATE INDEX stories_latest ON stories (latest_at DESC, id DESC);

CREATE TABLE articles (
    id                   INTEGER PRIMARY KEY,
    source_id            INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    guid                 TEXT    NOT NULL CHECK (guid <> ''),
    url                  TEXT,
    canonical_url        TEXT,
    title                TEXT    NOT NULL,
    author               TEXT,
    summary_html         TEXT,
    content_html         TEXT,
    content_text         TEXT    NOT NULL,
    published_at         INTEGER,
    updated_at           INTEGER,
    language             TEXT,
    image_url            TEXT,
    content_hash         TEXT    NOT NULL CHECK (content_hash <> ''),
    fetched_at           INTEGER NOT NULL,
    -- The listing order: published_at, or fetched_at when there is none or it lies more than a day after
    -- fetched_at (a wrong clock or time zone must not pin an item to the top). Written once, at insert.
    sort_at              INTEGER NOT NULL,
    -- Extraction of the linked page (later stage).
    extracted_html       TEXT,
    extracted_text       TEXT,
    extracted_at         INTEGER,
    extraction_error     TEXT,
    word_count           INTEGER,
    -- Enrichment (later stage): extractive summary and key points (JSON array of strings).
    summary_text         TEXT,
    key_points           TEXT,
    enriched_at          INTEGER,
    -- Clustering and syndication (later stages).
    story_id             INTEGER REFERENCES stories (id) ON DELETE SET NULL,
    original_article_id  INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    UNIQUE (source_id, guid)
);

-- Dedup lookups. The hash/URL comes first so the same index also serves cross-source lookups (syndication).
CREATE INDEX articles_canonical_url ON articles (canonical_url, source_id) WHERE canonical_url IS NOT NULL;
CREATE INDEX articles_content_hash ON articles (content_hash, source_id);
-- latest_articles and source_articles keyset pagination.
CREATE INDEX articles_latest ON articles (sort_at DESC, id DESC);
CREATE INDEX articles_source_latest ON articles (source_id, sort_at DESC, id DESC);
CREATE INDEX articles_story ON articles (story_id) WHERE story_id IS NOT NULL;
CREATE INDEX articles_original ON articles (original_article_id) WHERE original_article_id IS NOT NULL;

-- Feed categories / tags, in feed order.
CREATE TABLE article_categories (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_categories_name ON article_categories (name);

-- Named entities (people, organisations, places) with their own pages.
CREATE TABLE entities (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('person', 'organization', 'place')),
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, slug)
);

CREATE TABLE article_entities (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id   INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    mentions    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (article_id, entity_id)
);
CREATE INDEX article_entities_entity ON article_entities (entity_id, article_id);

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE article_topics (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    score       REAL    NOT NULL DEFAULT 1.0,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_topics_topic ON article_topics (topic_id, article_id);

-- Reader accounts.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT    NOT NULL,
    email          TEXT,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL DEFAULT 'reader' CHECK (role IN ('reader', 'moderator', 'admin')),
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER,
    -- Set while the account may not post (a ban or a time-out).
    banned_until   INTEGER,
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
-- Names and e-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;

-- Login sessions; the id is a hash of the cookie's token, never the token itself.
CREATE TABLE sessions (
    id            TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Threaded comments on an article or on a story (exactly one of the two).
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    story_id    INTEGER REFERENCES stories (id) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    -- NULL once the author's account is deleted; the thread stays.
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body        TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'pending', 'hidden', 'removed')),
    -- Sum of votes, kept in step with the votes table.
    score       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    edited_at   INTEGER,
    CHECK ((article_id IS NULL) <> (story_id IS NULL))
);
CREATE INDEX comments_article ON comments (article_id, created_at) WHERE article_id IS NOT NULL;
CREATE INDEX comments_story ON comments (story_id, created_at) WHERE story_id IS NOT NULL;
CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;
-- Rate limits look at a user's recent comments.
CREATE INDEX comments_user ON comments (user_id, created_at);

CREATE TABLE votes (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id  INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, comment_id)
);
CREATE INDEX votes_comment ON votes (comment_id);

-- Readers' reports of comments, and what the moderators did about them.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    comment_id   INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    reporter_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reason       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    resolved_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    resolution   TEXT
);
CREATE INDEX reports_open ON reports (created_at) WHERE resolved_at IS NULL;
CREATE INDEX reports_comment ON reports (comment_id);

-- Every moderation action, for accountability.
CREATE TABLE moderation_log (
    id            INTEGER PRIMARY KEY,
    moderator_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action        TEXT    NOT NULL,
    target_kind   TEXT    NOT NULL CHECK (target_kind IN ('comment', 'user', 'source', 'article', 'story')),
    target_id     INTEGER NOT NULL,
    reason        TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX moderation_log_created ON moderation_log (created_at DESC);
CREATE INDEX moderation_log_target ON moderation_log (target_kind, target_id);
