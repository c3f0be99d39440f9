-- 0017_run_runner.sql: which control-plane instance runs a run.
--
-- Same rules as 0001. With several instances on one database (ADR 0019) a
-- run is claimed by one (queued → running); another instance leaves it
-- alone while the claimer lives. Once the claimer is dead the run is queued
-- again (`attempts` counts the starts) or, past the limit, fails.

ALTER TABLE runs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
