-- 0015_leases.sql: work one control-plane instance does at a time.
--
-- Same rules as 0001. Several orsa-deployer processes on one database each
-- try to take a named lease (the reconciler, the collector); the holder
-- renews it before expires_at, and when it dies another takes it after.
-- `term` grows each time the lease changes hands (a fencing token).

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  term BIGINT NOT NULL
);
