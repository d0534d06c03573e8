-- Reading paths that stay fast with a million articles (measured with `tidings bench seed` and
-- bench/throughput.sh).
--
-- The extraction queue. Under `auto`, an article whose feed carried its full text is never extracted, so it
-- stayed in articles_unextracted for good, and every poll tick walked all of them to find the few teasers
-- (two seconds per tick at a million articles). pending_extractions now reads two small paths: the articles of
-- `always` sources by source, and teasers by the length of their text (it asks for length < teaser_max_chars).
DROP INDEX articles_unextracted;
CREATE INDEX articles_unextracted_source ON articles (source_id, id) WHERE extracted_at IS NULL AND url IS NOT NULL;
CREATE INDEX articles_unextracted_length ON articles (length(content_text), id)
    WHERE extracted_at IS NULL AND url IS NOT NULL;

-- A story's timeline comes out of the index in order (story_articles), and the stories of one outlet are found
-- in the index alone (source_stories), instead of reading each of its articles.
DROP INDEX articles_story;
CREATE INDEX articles_story ON articles (story_id, sort_at, id) WHERE story_id IS NOT NULL;
CREATE INDEX articles_source_story ON articles (source_id, story_id) WHERE story_id IS NOT NULL;
