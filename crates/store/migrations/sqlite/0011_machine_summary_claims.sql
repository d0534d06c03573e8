-- A worker's claim on a queued article, apart from when the article is next due (which a claim also moves to its
-- end): queuing an article again keeps a claim in force, so the worker holding it is not joined by a second
-- request, and a stopping worker hands back exactly the claims it still holds. Additive only. The PostgreSQL
-- flavour in ../postgres/0011_machine_summary_claims.sql differs only in types.
ALTER TABLE machine_summary_queue ADD COLUMN claimed_until INTEGER;
