-- Media assets (POST /v1/sites/{siteId}/assets and friends). One row per
-- live asset of a site; AssetDeleted removes it (its events stay in
-- page_events), and the same file uploaded again brings it back with a new
-- created_at. The bytes are blobs of the deploy store (hash, variants[].hash),
-- never in the database.
CREATE TABLE assets (
  tenant_id    text        NOT NULL CHECK (tenant_id <> ''),
  asset_id     text        PRIMARY KEY,
  site_id      text        NOT NULL REFERENCES sites ON DELETE CASCADE,
  hash         text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  content_type text        NOT NULL,
  bytes        bigint      NOT NULL CHECK (bytes > 0),
  width        integer     NOT NULL CHECK (width > 0),
  height       integer     NOT NULL CHECK (height > 0),
  filename     text        NOT NULL DEFAULT '',
  variants     jsonb       NOT NULL DEFAULT '[]',
  created_at   timestamptz NOT NULL
);
-- GET /v1/sites/{siteId}/assets: newest first, keyset cursor (created_at, asset_id).
CREATE INDEX assets_by_site ON assets (site_id, created_at DESC, asset_id DESC);

ALTER TABLE assets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assets
  USING (tenant_id = current_setting('pagewright.tenant', true))
  WITH CHECK (tenant_id = current_setting('pagewright.tenant', true));

GRANT SELECT ON assets TO pagewright_reader;
