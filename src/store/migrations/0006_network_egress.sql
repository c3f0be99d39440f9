-- 0006_network_egress.sql: deployments on networks of their own.
--
-- Same rules as 0001. A project's services get outbound network access only
-- when an admin allows it (`allow_egress`, 0 by default). `upstream_host` is
-- where the gateway reaches a deployment: its address on its own network
-- ('' for one published on the host's loopback, as before this migration).

ALTER TABLE projects ADD COLUMN allow_egress INTEGER NOT NULL DEFAULT 0
  CHECK (allow_egress IN (0, 1));
ALTER TABLE deployments ADD COLUMN upstream_host TEXT NOT NULL DEFAULT '';
