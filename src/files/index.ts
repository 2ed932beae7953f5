/** Uploaded files and how their tables are loaded. */
export { FilesService, type ReceivedUpload } from './files.service.js';
export { FileRecord, FileStatus } from './files.schema.js';
export { TableSettingsStore, type TableSettings } from './table-settings.js';
