-- SLUICE_UPLOAD_RETENTION_DAYS: the bytes of an uploaded file are deleted
-- once it has been loaded and the retention has passed; the row stays (its
-- counts, checksum and runs), marked with when its bytes went.
ALTER TABLE files ADD COLUMN purged_at timestamptz;
CREATE INDEX files_purge_idx ON files (org_id, updated_at) WHERE status = 'loaded' AND purged_at IS NULL;
