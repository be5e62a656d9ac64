-- ANALYZE reads 300 rows per unit of the largest statistics target among a
-- table's columns: at the default of 100, every automatic analyze of
-- page_events reads 30,000 pages (240 MB once the log is that large) in one
-- go. On the benchmark machine one such read, at 14,000 pages, put every
-- slow sample of a run's command-to-visible latency into the same 300 ms.
-- The queries on page_events reach it by its indexes (a site's events by
-- seq, a page's by seq, a tenant's by time) and need only coarse
-- statistics: ten histogram buckets and ten common values per column. The
-- envelope keeps none (0011).
DO $$
DECLARE
  col name;
BEGIN
  FOR col IN
    SELECT attname FROM pg_attribute
     WHERE attrelid = 'page_events'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'envelope'
  LOOP
    EXECUTE format('ALTER TABLE page_events ALTER COLUMN %I SET STATISTICS 10', col);
  END LOOP;
END
$$;
