-- Accounts, comments, moderation and personal lists (the AccountStore). 0001 made users, sessions, comments,
-- votes, reports and the moderation log; this adds what goes around them. Additive only: it runs on databases
-- that already hold articles. The PostgreSQL flavour in ../postgres/0008_accounts.sql differs only in types.

-- The second factor: the base32 TOTP secret while it is on, NULL while it is off.
ALTER TABLE users ADD COLUMN totp_secret TEXT;

-- API tokens, by the SHA-256 of the token (the token itself is shown once and never stored).
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL UNIQUE,
    label         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at DESC);

-- Invitations (no account) and password-reset links (for one account), each usable once.
CREATE TABLE one_time_tokens (
    token_hash  TEXT    PRIMARY KEY,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('invite', 'password_reset')),
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
-- Deleting an account finds its tokens through these rather than by reading every token.
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id);
CREATE INDEX one_time_tokens_created_by ON one_time_tokens (created_by);

-- Threads closed to new comments, edits and votes: one row per locked article or story (exactly one of the two).
-- The UNIQUE indexes also serve the foreign keys when an article or story is deleted.
CREATE TABLE locked_threads (
    article_id  INTEGER UNIQUE REFERENCES articles (id) ON DELETE CASCADE,
    story_id    INTEGER UNIQUE REFERENCES stories (id) ON DELETE CASCADE,
    locked_at   INTEGER NOT NULL,
    CHECK ((article_id IS NULL) <> (story_id IS NULL))
);

-- What a reader follows: a topic by name, an outlet by its source id as text, an entity by its key.
CREATE TABLE follows (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('topic', 'outlet', 'entity')),
    key         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, key)
);
-- Who follows something (for notifications and counts).
CREATE INDEX follows_followers ON follows (kind, key);

-- Articles a reader saved for later.
CREATE TABLE saved_articles (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    saved_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
-- Removing a source deletes its articles; without this each one would read the whole table for saves.
CREATE INDEX saved_articles_article ON saved_articles (article_id);

-- One report per comment and reader. 0001's table was never written to, but keep the first of any duplicates
-- rather than fail on a database that has some.
DELETE FROM reports WHERE reporter_id IS NOT NULL AND id NOT IN
    (SELECT MIN(id) FROM reports WHERE reporter_id IS NOT NULL GROUP BY comment_id, reporter_id);
CREATE UNIQUE INDEX reports_once ON reports (comment_id, reporter_id);

-- The moderation queue's held comments, oldest first, without reading every comment.
CREATE INDEX comments_pending ON comments (created_at, id) WHERE status = 'pending';
