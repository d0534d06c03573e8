-- A source's political lean as the operator rates it (left, lean-left, center, lean-right, right; empty: not
-- rated), for a story's coverage by lean and the blindspots page. Additive only. The SQLite flavour in
-- ../sqlite/0014_source_lean.sql is the same.
ALTER TABLE sources ADD COLUMN lean TEXT NOT NULL DEFAULT ''
    CHECK (lean IN ('', 'left', 'lean-left', 'center', 'lean-right', 'right'));
