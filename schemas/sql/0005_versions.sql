-- Versions and time travel (GET /v1/pages/{id}?version=N|asOf=, …/versions,
-- …/diff, restore-version). A page's version is the aggregate version its
-- events carry in the envelope; the projector writes it here beside the row,
-- so time travel finds the log positions of a page's events up to version N
-- (or an instant) and the version list pages by version, without reading the
-- envelopes. NULL for site and deployment events.
--
-- PageVersionLabelled is not a page version: its row carries the page's
-- current version, as its envelope does.
ALTER TABLE page_events ADD COLUMN page_version bigint CHECK (page_version >= 1);

UPDATE page_events SET page_version = (envelope->'aggregate'->>'version')::bigint
 WHERE page_id IS NOT NULL;

-- page_events_by_page (page_id, seq) serves both: a page's rows in seq order,
-- filtered by version or time (a page has thousands of rows, not millions).

-- Row-level security stays ENABLEd and FORCEd (0001); the reader's SELECT on
-- the table covers the new column.
GRANT SELECT ON page_events TO pagewright_reader;
