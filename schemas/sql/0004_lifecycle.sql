-- Page lifecycle, templates and design tokens (issue 11).
--
-- Pages need no new column: status already holds 'deleted' (DeletePage) and
-- goes back to 'draft' on RestorePage/UnpublishPage; pages_slug_unique
-- already leaves deleted pages out, so a deleted page frees its slug.

-- The site's whole design-token set (DesignTokensUpdated), as stored.
ALTER TABLE sites ADD COLUMN design_tokens jsonb NOT NULL DEFAULT '{}';

-- A tenant's templates. A template is decided by the aggregate of the site
-- whose page it was saved from (its id is "<siteId>.<suffix>"), but listed
-- tenant-wide: GET /v1/templates reads every row the tenant's RLS lets it see.
-- A deleted template's row is removed (its events stay in page_events).
CREATE TABLE templates (
  tenant_id      text        NOT NULL CHECK (tenant_id <> ''),
  template_id    text        PRIMARY KEY,
  site_id        text        NOT NULL REFERENCES sites ON DELETE CASCADE,
  source_page_id text        NOT NULL,
  name           text        NOT NULL,
  description    text        NOT NULL DEFAULT '',
  content        jsonb       NOT NULL DEFAULT '[]',
  created_at     timestamptz NOT NULL
);
-- GET /v1/templates: the tenant's, newest first, keyset cursor (created_at, template_id).
CREATE INDEX templates_by_tenant ON templates (tenant_id, created_at DESC, template_id DESC);

ALTER TABLE templates ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON templates
  USING (tenant_id = current_setting('pagewright.tenant', true))
  WITH CHECK (tenant_id = current_setting('pagewright.tenant', true));

GRANT SELECT ON sites, templates TO pagewright_reader;
