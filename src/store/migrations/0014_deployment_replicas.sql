-- 0014_deployment_replicas.sql: how many copies of a deployment serve calls.
--
-- Same rules as 0001. Runtimes that run several copies (swarm) start this
-- many behind the gateway; the others run one. Capped by the admin's
-- setting when the deployment is created.

ALTER TABLE deployments ADD COLUMN replicas BIGINT NOT NULL DEFAULT 1;
