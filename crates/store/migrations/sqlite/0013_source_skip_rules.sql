-- A source's own skip rules (regular expressions, one per line; empty: none), applied with [poll] skip_rules to its
-- items before they are stored. Additive only. The PostgreSQL flavour in ../postgres/0013_source_skip_rules.sql is the
-- same.
ALTER TABLE sources ADD COLUMN skip_rules TEXT NOT NULL DEFAULT '';
