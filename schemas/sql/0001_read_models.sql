-- Read models folded from pagewright.events (DESIGN.md, decisions 5, 9, 11).
-- Applied by pw::projections::migrate as pagewright_owner, in one transaction;
-- the runner keeps its own bookkeeping table, schema_migrations.
--
-- Tenant isolation is row-level security, not WHERE clauses: every tenant
-- table is ENABLEd and FORCEd, so the owner is bound too (no BYPASSRLS), and a
-- session sees and writes only rows of the tenant it set for the transaction
-- with set_config('pagewright.tenant', <id>, true). Unset, the setting is NULL
-- or '' and matches no row. The projector therefore sets the tenant per site
-- it writes; a bug that mixes tenants fails WITH CHECK instead of leaking.
-- Consequence: COPY FROM is refused on these tables (Postgres does not
-- support it under RLS); bulk loads go through INSERT ... SELECT.

CREATE TABLE sites (
  tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
  site_id    text        PRIMARY KEY,
  -- unique across tenants (API: per installation); the site id derives from it
  subdomain  text        NOT NULL UNIQUE,
  name       text        NOT NULL,
  seo        jsonb       NOT NULL DEFAULT '{}',
  settings   jsonb       NOT NULL DEFAULT '{}',
  version    bigint      NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- GET /v1/sites: the tenant's sites (RLS supplies tenant_id = ...)
CREATE INDEX sites_by_tenant ON sites (tenant_id, created_at, site_id);

CREATE TABLE pages (
  tenant_id         text        NOT NULL CHECK (tenant_id <> ''),
  page_id           text        PRIMARY KEY,
  site_id           text        NOT NULL REFERENCES sites ON DELETE CASCADE,
  slug              text        NOT NULL,
  title             text        NOT NULL,
  description       text        NOT NULL DEFAULT '',
  seo               jsonb       NOT NULL DEFAULT '{}',
  status            text        NOT NULL DEFAULT 'draft'
                                CHECK (status IN ('draft', 'published', 'deleted')),
  version           bigint      NOT NULL,
  published_version bigint      NOT NULL DEFAULT 0,  -- 0 = never published
  content           jsonb       NOT NULL DEFAULT '[]',
  updated_at        timestamptz NOT NULL
);
-- A deleted page frees its slug (the decider's rule, mirrored).
CREATE UNIQUE INDEX pages_slug_unique ON pages (site_id, slug) WHERE status <> 'deleted';
-- GET /v1/sites/{id}/pages[?status=]: newest first, keyset cursor (updated_at, page_id).
CREATE INDEX pages_by_site_updated ON pages (site_id, updated_at DESC, page_id DESC);
CREATE INDEX pages_by_site_status_updated ON pages (site_id, status, updated_at DESC, page_id DESC);

-- Every event of a site, as stored (envelope = the record value). page_id is
-- NULL for site-level events, so the tenant audit log can read this table too.
CREATE TABLE page_events (
  tenant_id   text        NOT NULL CHECK (tenant_id <> ''),
  site_id     text        NOT NULL,
  page_id     text,
  seq         bigint      NOT NULL,
  type        text        NOT NULL,
  occurred_at timestamptz NOT NULL,
  actor       text        NOT NULL,
  command_id  text        NOT NULL,
  envelope    jsonb       NOT NULL,
  PRIMARY KEY (site_id, seq)
);
-- GET /v1/pages/{id}/history: oldest first
CREATE INDEX page_events_by_page ON page_events (page_id, seq) WHERE page_id IS NOT NULL;

-- Where each projector resumes: written in the same transaction as its rows.
-- Not tenant data; queries read it to wait for X-Pagewright-After.
CREATE TABLE projection_offsets (
  projector   text   NOT NULL,
  topic       text   NOT NULL,
  partition   int    NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (projector, topic, partition)
);

ALTER TABLE sites       ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE pages       ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE page_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON sites
  USING (tenant_id = current_setting('pagewright.tenant', true))
  WITH CHECK (tenant_id = current_setting('pagewright.tenant', true));
CREATE POLICY tenant_isolation ON pages
  USING (tenant_id = current_setting('pagewright.tenant', true))
  WITH CHECK (tenant_id = current_setting('pagewright.tenant', true));
CREATE POLICY tenant_isolation ON page_events
  USING (tenant_id = current_setting('pagewright.tenant', true))
  WITH CHECK (tenant_id = current_setting('pagewright.tenant', true));

GRANT SELECT ON sites, pages, page_events, projection_offsets TO pagewright_reader;
