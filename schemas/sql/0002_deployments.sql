-- Deployments of sites (issue: build and deploy workers), folded from the
-- Deployment* events. `live` marks the deployment an environment's live
-- pointer names; the site query reads it as "deployments" per environment.
CREATE TABLE deployments (
  tenant_id     text        NOT NULL CHECK (tenant_id <> ''),
  deployment_id text        PRIMARY KEY,
  site_id       text        NOT NULL REFERENCES sites ON DELETE CASCADE,
  environment   text        NOT NULL CHECK (environment IN ('production', 'staging', 'preview')),
  strategy      text        NOT NULL CHECK (strategy IN ('all-at-once', 'blue-green')),
  status        text        NOT NULL DEFAULT 'queued'
                            CHECK (status IN ('queued', 'building', 'succeeded', 'failed')),
  version       bigint      NOT NULL,
  requested_by  text        NOT NULL,
  requested_at  timestamptz NOT NULL,
  started_at    timestamptz,
  finished_at   timestamptz,
  worker        text        NOT NULL DEFAULT '',
  manifest_hash text,
  url           text,
  report        jsonb       NOT NULL DEFAULT '{}',
  log           jsonb       NOT NULL DEFAULT '[]',
  error         text,
  live          boolean     NOT NULL DEFAULT false,
  live_since    timestamptz,
  pruned        boolean     NOT NULL DEFAULT false,
  updated_at    timestamptz NOT NULL
);
-- GET /v1/sites/{id}/deployments: newest first, keyset cursor (requested_at, deployment_id).
CREATE INDEX deployments_by_site ON deployments (site_id, requested_at DESC, deployment_id DESC);
-- At most one live deployment per site and environment.
CREATE UNIQUE INDEX deployments_live ON deployments (site_id, environment) WHERE live;

ALTER TABLE deployments ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deployments
  USING (tenant_id = current_setting('pagewright.tenant', true))
  WITH CHECK (tenant_id = current_setting('pagewright.tenant', true));
GRANT SELECT ON deployments TO pagewright_reader;
