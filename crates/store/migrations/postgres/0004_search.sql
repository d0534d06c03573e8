-- The search stage: an article is indexed once stored and again after its page is extracted (extraction clears
-- indexed_at), so the search index catches up from this queue after a crash or a deleted index directory.
ALTER TABLE articles ADD COLUMN indexed_at TIMESTAMPTZ;
CREATE INDEX articles_unindexed ON articles (id) WHERE indexed_at IS NULL;
