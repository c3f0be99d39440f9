-- 0017_run_runner.sql: which control-plane instance runs a run.
--
-- Same rules as 0001. With several instances on one database (ADR 0019) a
-- run is claimed by one (queued → running); another instance leaves it
-- alone while the claimer lives, and fails it once the claimer is dead.

ALTER TABLE runs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
