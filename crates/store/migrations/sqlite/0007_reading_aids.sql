-- Reading aids (the enrichment stage): an article's language, summary, key points, topics and entities.
--
-- The queue is articles.enriched_at (in the schema since 0001): NULL until the stage has seen the article, and
-- cleared again when its page is extracted, so the aids follow the fuller text.
CREATE INDEX articles_unenriched ON articles (id) WHERE enriched_at IS NULL;
-- The language the enrichment stage detected (articles.language is what the feed or page declared).
-- summary_text and key_points (0001) hold one sentence or point per line.
ALTER TABLE articles ADD COLUMN detected_language TEXT;

-- 0001's placeholders for entities and topics were never written to; they are replaced by the shapes the
-- pages need: an entity's key is its URL (`person/xi-jinping`), and the link rows carry the article's sort_at
-- so an entity's or a topic's newest articles come out of one index, at any size.
DROP TABLE article_entities;
DROP TABLE entities;
DROP TABLE article_topics;
DROP TABLE topics;

CREATE TABLE entities (
    id             INTEGER PRIMARY KEY,
    key            TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL CHECK (kind IN ('person', 'organisation', 'place', 'other')),
    name           TEXT    NOT NULL,
    -- Articles naming it, kept by record_enrichment.
    article_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX entities_count ON entities (article_count DESC, id);

CREATE TABLE article_entities (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id   INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    mentions    INTEGER NOT NULL,
    sort_at     INTEGER NOT NULL,
    PRIMARY KEY (article_id, entity_id)
);
CREATE INDEX article_entities_entity ON article_entities (entity_id, sort_at DESC, article_id DESC);

CREATE TABLE article_topics (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic       TEXT    NOT NULL,
    sort_at     INTEGER NOT NULL,
    PRIMARY KEY (article_id, topic)
);
CREATE INDEX article_topics_topic ON article_topics (topic, sort_at DESC, article_id DESC);

-- Topics with the number of articles in each, kept by record_enrichment: the topic list and the check that a
-- topic exists read this small table, never the links.
CREATE TABLE topics (
    name           TEXT    PRIMARY KEY,
    article_count  INTEGER NOT NULL DEFAULT 0
);
