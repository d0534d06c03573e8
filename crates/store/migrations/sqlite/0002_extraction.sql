-- The extraction stage: per-source mode (auto: only teasers; always; never), and the queue of articles whose
-- page has not been extracted yet (extracted_at is set on success and on failure, so each page is tried once).
ALTER TABLE sources ADD COLUMN extract_mode TEXT NOT NULL DEFAULT 'auto'
    CHECK (extract_mode IN ('auto', 'always', 'never'));
CREATE INDEX articles_unextracted ON articles (id) WHERE extracted_at IS NULL;
