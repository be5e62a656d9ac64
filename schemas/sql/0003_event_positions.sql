-- Where each event of page_events sits in the log: its pagewright.events
-- partition and offset, written by the projector in the same transaction as
-- the row (and as projection_offsets). A site's raw stream and its hash-chain
-- audit (gateway/site_log) read exactly these records from the log instead of
-- the whole partition the site shares with others; the bytes they serve and
-- verify are still the log's, never the envelope copy here.
--
-- Rows projected before this migration have no position (NULL): the site log
-- refuses them with 503 until `pagewright rebuild` re-projects the log.
ALTER TABLE page_events
  ADD COLUMN log_partition int    CHECK (log_partition >= 0),
  ADD COLUMN log_offset    bigint CHECK (log_offset >= 0),
  ADD CONSTRAINT page_events_position_whole CHECK ((log_partition IS NULL) = (log_offset IS NULL));

-- The site log walks a site's positions in seq order, a page at a time. The
-- primary key (site_id, seq) finds the rows; this index also carries what the
-- walk and the row-level security policy read, so the walk is an index-only
-- scan instead of a heap fetch per event (the heap rows hold whole envelopes).
CREATE INDEX page_events_positions ON page_events (site_id, seq) INCLUDE (tenant_id, log_partition, log_offset);

-- Row-level security stays ENABLEd and FORCEd (0001); the reader's SELECT on
-- the table covers the new columns.
GRANT SELECT ON page_events TO pagewright_reader;
