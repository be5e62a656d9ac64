-- `pagewright deadletter retry`: what became of each dead letter an operator
-- replayed into the read models. Keyed by the dead letter's own position in
-- pagewright.deadletter, so a second retry of one that applied finds its row
-- and changes nothing; one that failed again keeps its new reason here (the
-- log is append-only, and may be owned by a running serve).
--
-- Operators' data, no tenant's: no row-level security, and the reader (the
-- gateway's queries) gets no grant.
CREATE TABLE dead_letter_retries (
  dl_partition   int         NOT NULL CHECK (dl_partition >= 0),
  dl_offset      bigint      NOT NULL CHECK (dl_offset >= 0),
  -- The original record's position, as the dead letter names it.
  topic          text        NOT NULL,
  log_partition  int         NOT NULL,
  log_offset     bigint      NOT NULL,
  -- applied: it is in the read models now; already: its site had it (a
  -- duplicate dead letter, or applied by another retry); failed: see reason.
  outcome        text        NOT NULL CHECK (outcome IN ('applied', 'already', 'failed')),
  reason         text        NOT NULL DEFAULT '',
  attempts       int         NOT NULL DEFAULT 1,
  at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dl_partition, dl_offset)
);
