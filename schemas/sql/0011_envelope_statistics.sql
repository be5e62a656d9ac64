-- No query filters or sorts on an event's envelope; it is read whole, by
-- position. Statistics on it only made every ANALYZE of page_events detoast
-- and compare the sampled envelopes: half of the work of the automatic
-- analyze that, on a busy two-core machine, stalled the projector for a few
-- hundred milliseconds each time page_events grew by a tenth.
ALTER TABLE page_events ALTER COLUMN envelope SET STATISTICS 0;
