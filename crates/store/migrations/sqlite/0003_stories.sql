-- The story stage: which articles are clustered, where merged stories went, why an article is an original,
-- and related stories.
ALTER TABLE articles ADD COLUMN clustered_at INTEGER;
ALTER TABLE articles ADD COLUMN original_reason TEXT;
CREATE INDEX articles_unclustered ON articles (id) WHERE clustered_at IS NULL;

ALTER TABLE stories ADD COLUMN first_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stories ADD COLUMN merged_into INTEGER REFERENCES stories (id) ON DELETE SET NULL;
CREATE INDEX stories_live ON stories (latest_at DESC, id DESC) WHERE merged_into IS NULL AND article_count > 0;

CREATE TABLE story_relations (
    story_id    INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    related_id  INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    score       REAL    NOT NULL,
    PRIMARY KEY (story_id, related_id)
);
