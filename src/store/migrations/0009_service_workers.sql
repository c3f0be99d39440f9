-- 0009_service_workers.sql: how many calls a deployment serves at once.
--
-- Same rules as 0001. Captured from the image's orsa.toml ([service] workers)
-- when the deployment is created, so the gateway can tell calls being served
-- from calls queued behind busy workers. The default is orsa.toml's.

ALTER TABLE deployments ADD COLUMN workers BIGINT NOT NULL DEFAULT 2;
