-- The CRUD baseline of the ingest benchmark (ops/bench_system.py): the seeds'
-- write path for one edit, as the page-builder seed documents it (pages with a
-- JSONB structure, an auto-save row in page_versions, a row in audit_log),
-- with their indexes. 128 pages, as many as the benchmark's sites hold.
CREATE TABLE pages (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL,
  title text NOT NULL,
  slug text NOT NULL UNIQUE,
  structure jsonb NOT NULL,
  status text NOT NULL DEFAULT 'draft',
  latest_version_number integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON pages (organization_id, status);
CREATE TABLE page_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  page_id uuid NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  version_number integer NOT NULL,
  branch text NOT NULL DEFAULT 'main',
  snapshot jsonb NOT NULL,
  author_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON page_versions (page_id, branch, version_number);
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  organization_id uuid NOT NULL,
  actor_id uuid NOT NULL,
  action text NOT NULL,
  entity_id uuid NOT NULL,
  details jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON audit_log (organization_id, created_at);
INSERT INTO pages (id, organization_id, title, slug, structure)
SELECT md5(n::text)::uuid, md5('org')::uuid, 'Page ' || n, 'page-' || n,
       jsonb_build_object('title', 'Page ' || n, 'components', '[]'::jsonb, 'layout', '{"type":"container"}'::jsonb)
FROM generate_series(1, 128) AS n;
