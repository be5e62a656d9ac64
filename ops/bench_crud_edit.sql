-- One edit on the CRUD baseline (pgbench script; ops/bench_crud.sql made the
-- tables): rename a page in one transaction, as the benchmark's HTTP requests do.
\set n random(1, 128)
BEGIN;
UPDATE pages SET title = 'Edit ' || :client_id || '-' || :n,
                 structure = jsonb_set(structure, '{title}', to_jsonb('Edit ' || :client_id || '-' || :n)),
                 latest_version_number = latest_version_number + 1, updated_at = now()
 WHERE id = md5(:n::text)::uuid;
INSERT INTO page_versions (page_id, version_number, snapshot, author_id)
SELECT id, latest_version_number, structure, md5('author')::uuid FROM pages WHERE id = md5(:n::text)::uuid;
INSERT INTO audit_log (organization_id, actor_id, action, entity_id, details)
VALUES (md5('org')::uuid, md5('author')::uuid, 'page.updated', md5(:n::text)::uuid,
        jsonb_build_object('title', 'Edit ' || :client_id || '-' || :n));
COMMIT;
