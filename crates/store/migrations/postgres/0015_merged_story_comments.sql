-- Comments and thread locks of stories merged before merges carried them along (record_clustering now moves
-- them) are moved, once, to the story each became: the merged story's page redirects there, so they were out of
-- sight. Merges keep chains flat (a story merged into one that is merged later points at the last), so one step
-- reaches the story that lives. The SQLite flavour in ../sqlite/0015_merged_story_comments.sql is the same.
UPDATE comments SET story_id = (SELECT s.merged_into FROM stories s WHERE s.id = comments.story_id)
WHERE story_id IN (SELECT id FROM stories WHERE merged_into IS NOT NULL);

INSERT INTO locked_threads (story_id, locked_at)
SELECT s.merged_into, l.locked_at FROM locked_threads l JOIN stories s ON s.id = l.story_id
WHERE s.merged_into IS NOT NULL
ON CONFLICT DO NOTHING;

DELETE FROM locked_threads WHERE story_id IN (SELECT id FROM stories WHERE merged_into IS NOT NULL);
