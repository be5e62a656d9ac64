-- GET /v1/audit: the tenant's events, newest first, filtered by actor, type,
-- site and time. hash is the SHA-256 (lowercase hex) of the record's exact
-- bytes, which the envelope column (jsonb) no longer holds; rows projected
-- before this migration have none until `pagewright rebuild`.
ALTER TABLE page_events ADD COLUMN hash text CHECK (hash ~ '^[0-9a-f]{64}$');
-- Newest first, keyset cursor (occurred_at, site_id, seq); RLS adds tenant_id.
CREATE INDEX page_events_audit ON page_events (tenant_id, occurred_at DESC, site_id DESC, seq DESC);
