-- The column types inferred while a file was landed (every value seen once,
-- src/ingest/tolerant-schema.ts), so the load does not read the raw rows twice.
ALTER TABLE files ADD COLUMN field_mappings jsonb;
