-- What a running task reports of its progress (rows so far, bytes of a file
-- read), for progress bars in the CLI and the web app.
ALTER TABLE task_instances ADD COLUMN progress jsonb;
