-- The raw store on PostgreSQL (src/stores/raw; its README gives the reasons
-- and bench/raw-store.ts the measurements). Records are kept as the source
-- gave them, in segments: one row per stored chunk of up to a few thousand
-- records of one source, the records as one JSON array. Per-record rows cost
-- a heap tuple and two index entries each and measured 2-7 times slower to
-- write; a segment costs one of each per chunk.
--
-- Logically every record still carries its org, table, source, row number,
-- ingest time and watermark: record i (0-based) of a segment has row number
-- row_numbers[i + 1] and watermark first_watermark + i. Idempotency on
-- (org, table, source, row number) is kept by the store: under the table's
-- lock it drops the row numbers a source already has before writing.
-- Text keys use the C collation: they are identifiers, and byte order keeps
-- index comparisons cheap whatever the server's locale.

-- One row per (org, table). `high_watermark` is the table's watermark
-- counter: a write takes this row's lock until it commits, so writers of a
-- table go one at a time, watermarks are handed out in commit order, and a
-- reader resuming "after N" never misses a record that commits later with a
-- lower watermark. The counter never goes back, even when retention empties
-- the table: a watermark is never reused.
CREATE TABLE raw_tables (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id          text COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  table_name      text COLLATE "C" NOT NULL,
  high_watermark  bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, table_name)
);

-- One row per source (a file or a run) of a table.
CREATE TABLE raw_sources (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_id     bigint NOT NULL REFERENCES raw_tables (id) ON DELETE CASCADE,
  org_id       text COLLATE "C" NOT NULL,
  source_kind  text COLLATE "C" NOT NULL CHECK (source_kind IN ('file', 'run')),
  source_id    text COLLATE "C" NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (table_id, source_kind, source_id)
);

-- `data` is text holding a JSON array written by JSON.stringify: kept
-- exactly as given (key order, which is a file's column order; "\u0000",
-- which jsonb refuses), never parsed by the server (json's validation alone
-- cost a third of a write), and compressed with lz4 where the server has it.
-- Nothing queries inside a raw record, so jsonb's operators would buy nothing.
CREATE TABLE raw_segments (
  table_id         bigint NOT NULL,
  first_watermark  bigint NOT NULL,
  last_watermark   bigint NOT NULL,
  raw_source_id    bigint NOT NULL REFERENCES raw_sources (id) ON DELETE CASCADE,
  org_id           text COLLATE "C" NOT NULL,
  ingested_at      timestamptz NOT NULL DEFAULT now(),
  row_count        integer NOT NULL,
  first_row        integer NOT NULL,
  last_row         integer NOT NULL,
  row_numbers      integer[] NOT NULL,
  data             text NOT NULL,
  PRIMARY KEY (table_id, first_watermark),
  CHECK (row_count > 0 AND cardinality(row_numbers) = row_count),
  CHECK (last_watermark = first_watermark + row_count - 1),
  CHECK (first_row > 0 AND first_row <= last_row)
);
-- The segments of a source that may hold some of a batch's row numbers
-- (last_row >= the batch's lowest): none at all when a source is appended to.
CREATE INDEX raw_segments_source_idx ON raw_segments (raw_source_id, last_row);
-- Retention: one entry per segment, so a b-tree costs next to nothing.
CREATE INDEX raw_segments_ingested_idx ON raw_segments (org_id, ingested_at);

-- lz4 compresses JSON about as well as the default (pglz) at a fraction of
-- the time. Servers built without it (and the embedded PGlite) keep pglz.
DO $$
BEGIN
  ALTER TABLE raw_segments ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
