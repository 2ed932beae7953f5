export { ConnectionsService, type ConnectionState } from './connections.service.js';
export { previewConnection, PREVIEW_RECORDS, type PreviewResult } from './preview.js';
export { dryRunNextRun, planNextRun, type DryRun, type NextRun } from './next-run.js';
export { Connection, ConnectionInput, ConnectionPatch, PreviewInput, ConnectionId, Destination, type ConnectionConfig } from './connection.schema.js';
export { SECRET_MASK, maskConnectionBody } from './secrets.js';
