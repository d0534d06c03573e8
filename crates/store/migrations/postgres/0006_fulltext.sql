-- PostgreSQL answers search itself: a weighted text-search vector of every article (title A, text B), kept by
-- the database as the article changes, and a GIN index over it. SQLite deployments search a tantivy index.
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, left(coalesce(extracted_text, content_text, ''), 100000)), 'B')
) STORED;
CREATE INDEX articles_search ON articles USING GIN (search_vector);
