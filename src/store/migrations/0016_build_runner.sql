-- 0016_build_runner.sql: which control-plane instance runs a build.
--
-- Same rules as 0001. With several instances on one database (ADR 0019) a
-- build is claimed by one; when that instance dies its running builds are
-- queued again (once: `attempts` counts the starts), not failed.

ALTER TABLE builds ADD COLUMN runner TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
