-- 0008_service_limits.sql: the service's own request limits, per deployment.
--
-- Same rules as 0001. Captured from the image's orsa.toml when the deployment
-- is created ([service] timeout and max_body_bytes, capped by the admin's
-- maxima), so the gateway enforces them and says which setting was hit
-- instead of answering a bare 502 or 504. The defaults are orsa.toml's.

ALTER TABLE deployments ADD COLUMN timeout_s BIGINT NOT NULL DEFAULT 60;
ALTER TABLE deployments ADD COLUMN max_body_bytes BIGINT NOT NULL DEFAULT 1048576;
