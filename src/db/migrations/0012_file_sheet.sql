-- The sheet of an uploaded .xlsx workbook to read (by name or position), as
-- the upload named it; null reads the workbook's first sheet.
ALTER TABLE files ADD COLUMN sheet text;
