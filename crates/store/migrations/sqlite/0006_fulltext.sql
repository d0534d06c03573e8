-- PostgreSQL's 0006 adds its full-text search vector; SQLite deployments search a tantivy index instead, so
-- there is nothing to do here. The number is kept so both folders stay in step.
SELECT 1;
