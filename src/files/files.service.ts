import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database } from '../db/index.js';
import { iso, isUniqueViolation } from '../db/index.js';
import { findSheet, sniffFormat, workbookSheets, type FileFormat } from '../connectors/file/index.js';
import { isAppError, notFound, UserError, validationFailed } from '../errors/index.js';
import type { FieldMappingInput } from '../mapping/index.js';
import type { FileRecord, FileStatus } from './files.schema.js';

interface FileRow {
  id: string;
  org_id: string;
  user_id: string | null;
  table_name: string;
  name: string;
  size: string | number;
  checksum: string;
  format: string | null;
  status: FileStatus;
  path: string;
  rows_read: string | number | null;
  records: string | number | null;
  rejected: string | number | null;
  rows_loaded: string | number | null;
  rows_rejected: string | number | null;
  ingest_run_id: string | null;
  load_run_id: string | null;
  field_mappings: FieldMappingInput[] | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  purged_at: Date | null;
  sheet: string | null;
}

const n = (v: string | number | null) => (v === null ? null : Number(v));

const view = (r: FileRow): FileRecord => ({
  file_id: r.id,
  fileId: r.id,
  orgId: r.org_id,
  userId: r.user_id,
  table: r.table_name,
  name: r.name,
  size: Number(r.size),
  checksum: r.checksum,
  format: r.format,
  status: r.status,
  rowsRead: n(r.rows_read),
  records: n(r.records),
  rejected: n(r.rejected),
  rowsLoaded: n(r.rows_loaded),
  rowsRejected: n(r.rows_rejected),
  ingestRunId: r.ingest_run_id,
  loadRunId: r.load_run_id,
  fieldMappings: r.field_mappings ? r.field_mappings.map((m) => ({ source: m.source, target: m.target, type: m.type ?? 'string', required: m.required ?? false })) : null,
  error: r.error,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  purgedAt: r.purged_at === null || r.purged_at === undefined ? null : iso(r.purged_at),
  sheet: r.sheet ?? null,
});

/** Bytes received into a temporary file, before they are recorded. */
export interface ReceivedUpload {
  tmp: string;
  bytes: number;
  checksum: string;
  /** The first bytes (up to HEAD_BYTES): enough to tell what the file is before recording it. */
  head: Buffer;
}

const HEAD_BYTES = 64 * 1024;

/** Counts bytes and hashes them on the way to disk; refuses past `max`. */
function meter(max: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (headBytes < HEAD_BYTES) {
        head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
      bytes += chunk.length;
      if (bytes > max) {
        done(new UserError('payload_too_large', `the file is larger than the ${Math.round(max / 1024 / 1024)} MiB allowed (SLUICE_MAX_UPLOAD_MB)`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { transform, result: () => ({ bytes, checksum: hash.digest('hex'), head: Buffer.concat(head) }) };
}

/**
 * Uploaded files: bytes streamed to the upload directory (never held in
 * memory), hashed, and recorded per organisation. The same bytes uploaded
 * again for the same table are recognised by their sha256 and not stored twice.
 */
export class FilesService {
  constructor(
    private readonly db: Database,
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /**
   * Streams upload bytes to a temporary file, hashing them; refuses (413)
   * past the size limit and keeps nothing then. `commit` or `discard` it.
   */
  async receive(stream: Readable): Promise<ReceivedUpload> {
    const tmpDir = path.join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = path.join(tmpDir, `${randomBytes(9).toString('base64url')}.part`);
    const m = meter(this.maxBytes);
    try {
      await pipeline(stream, m.transform, createWriteStream(tmp, { mode: 0o600 }));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return { tmp, ...m.result() };
  }

  async discard(received: ReceivedUpload): Promise<void> {
    await rm(received.tmp, { force: true });
  }

  /** Records received bytes as a file of `table`; `duplicate` (and the earlier record) when these bytes were already uploaded for it. */
  /**
   * What can be known of an upload at once, before it is recorded: it has
   * content (`file_empty`), it is a format Sluice reads (`file_unsupported`),
   * and a workbook has the sheet asked for (`invalid_config` naming `sheet`,
   * with the workbook's sheets). Returns the sheet's name as the workbook
   * writes it. The same checks run again when the file is read.
   */
  async checkContent(received: ReceivedUpload, input: { filename: string; sheet?: string | undefined }): Promise<{ format: FileFormat; sheet: string | undefined }> {
    let format: FileFormat;
    try {
      format = sniffFormat(received.head, input.filename, received.bytes <= received.head.length);
    } catch (error) {
      if (isAppError(error)) throw new UserError(error.code, error.message, { details: { issues: [{ field: 'file', message: error.message }] } });
      throw error;
    }
    if (input.sheet === undefined) return { format, sheet: undefined };
    const refuse = (message: string) => validationFailed([{ field: 'sheet', message }], 'invalid_config');
    if (format !== 'xlsx') throw refuse(`only an Excel workbook (.xlsx) has sheets; this file is ${format.toUpperCase()}`);
    const names = await workbookSheets(received.tmp);
    const sheet = findSheet(names, input.sheet);
    if (sheet === undefined) throw refuse(`the workbook has no sheet ${JSON.stringify(input.sheet)}; its sheets are ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'}`);
    return { format, sheet };
  }

  async commit(orgId: string, userId: string | null, input: { table: string; filename: string; sheet?: string | undefined }, received: ReceivedUpload): Promise<{ file: FileRecord; duplicate: boolean }> {
    ({ sheet: input.sheet } = await this.checkContent(received, input));
    // The same bytes read the same way (the same sheet of a workbook) are the same file.
    const same = () =>
      this.db.query<FileRow>('SELECT * FROM files WHERE org_id = $1 AND table_name = $2 AND checksum = $3 AND sheet IS NOT DISTINCT FROM $4', [
        orgId,
        input.table,
        received.checksum,
        input.sheet ?? null,
      ]);
    const existing = await same();
    const found = existing.rows[0];
    if (found?.purged_at) {
      // The same bytes again, after retention deleted them: keep them again, so the file can be re-ingested.
      await mkdir(path.dirname(path.join(this.dir, found.path)), { recursive: true, mode: 0o700 });
      await rename(received.tmp, path.join(this.dir, found.path));
      const { rows } = await this.db.query<FileRow>('UPDATE files SET purged_at = NULL WHERE org_id = $1 AND id = $2 RETURNING *', [orgId, found.id]);
      return { file: view(rows[0]!), duplicate: true };
    }
    if (found) {
      await this.discard(received);
      return { file: view(found), duplicate: true };
    }
    const id = `file_${randomBytes(9).toString('base64url')}`;
    const relative = path.join(safeSegment(orgId), `${id}${path.extname(input.filename).slice(0, 10).replace(/[^.\w]/g, '')}`);
    await mkdir(path.join(this.dir, safeSegment(orgId)), { recursive: true, mode: 0o700 });
    await rename(received.tmp, path.join(this.dir, relative));
    try {
      const { rows } = await this.db.query<FileRow>(
        `INSERT INTO files (id, org_id, user_id, table_name, name, size, checksum, status, path, sheet)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'uploaded', $8, $9) RETURNING *`,
        [id, orgId, userId, input.table, input.filename.slice(0, 500), received.bytes, received.checksum, relative, input.sheet ?? null],
      );
      return { file: view(rows[0]!), duplicate: false };
    } catch (error) {
      await rm(path.join(this.dir, relative), { force: true });
      // The same bytes uploaded twice at once: the other upload won; answer with its record.
      if (isUniqueViolation(error)) {
        const again = await same();
        if (again.rows[0]) return { file: view(again.rows[0]), duplicate: true };
      }
      throw error;
    }
  }

  /** Streams an upload to disk and records it (receive + commit). */
  /** Receives and records a file in one step (the CLI); nothing is kept when it is refused. */
  async store(orgId: string, userId: string | null, input: { table: string; filename: string; sheet?: string | undefined; stream: Readable }): Promise<{ file: FileRecord; duplicate: boolean }> {
    const received = await this.receive(input.stream);
    try {
      return await this.commit(orgId, userId, input, received);
    } catch (error) {
      await this.discard(received);
      throw error;
    }
  }

  async get(orgId: string, id: string): Promise<FileRecord> {
    const { rows } = await this.db.query<FileRow>('SELECT * FROM files WHERE org_id = $1 AND id = $2', [orgId, id]);
    if (!rows[0]) throw notFound('File', id);
    return view(rows[0]);
  }

  async list(orgId: string, options: { table?: string | undefined; limit?: number | undefined } = {}): Promise<FileRecord[]> {
    const { rows } = await this.db.query<FileRow>(
      'SELECT * FROM files WHERE org_id = $1 AND ($2::text IS NULL OR table_name = $2) ORDER BY created_at DESC, id DESC LIMIT $3',
      [orgId, options.table ?? null, options.limit ?? 100],
    );
    return rows.map(view);
  }

  /** The absolute path of a file's bytes; an error naming the directory when they are not there. */
  async pathOf(orgId: string, id: string): Promise<string> {
    const { rows } = await this.db.query<{ path: string; purged_at: Date | null }>('SELECT path, purged_at FROM files WHERE org_id = $1 AND id = $2', [orgId, id]);
    if (!rows[0]) throw notFound('File', id);
    if (rows[0].purged_at) {
      throw new UserError(
        'not_found',
        `the bytes of file ${id} were deleted on ${iso(rows[0].purged_at)} by retention (SLUICE_UPLOAD_RETENTION_DAYS) after it was loaded; its raw records and loaded rows remain. Upload the file again to ingest it anew`,
      );
    }
    const full = path.join(this.dir, rows[0].path);
    try {
      await stat(full);
    } catch {
      throw new UserError(
        'not_found',
        `the bytes of file ${id} are not in ${this.dir} on this machine; with workers on several machines, SLUICE_UPLOAD_DIR must be storage they all share`,
      );
    }
    return full;
  }

  /**
   * Deletes the bytes of the organisation's files loaded before `before`
   * (their last change: the load) and marks them purged; the rows stay.
   * Returns how many files lost their bytes. A file whose bytes are already
   * gone (another process's sweep, a hand-cleaned directory) is marked too.
   */
  async purgeLoadedBefore(orgId: string, before: Date, batch = 500): Promise<number> {
    let purged = 0;
    for (;;) {
      const { rows } = await this.db.query<{ id: string; path: string }>(
        `SELECT id, path FROM files WHERE org_id = $1 AND status = 'loaded' AND purged_at IS NULL AND updated_at < $2 ORDER BY updated_at LIMIT $3`,
        [orgId, before, batch],
      );
      for (const row of rows) {
        await rm(path.join(this.dir, row.path), { force: true });
        await this.db.query('UPDATE files SET purged_at = now() WHERE org_id = $1 AND id = $2 AND purged_at IS NULL', [orgId, row.id]);
        purged += 1;
      }
      if (rows.length < batch) return purged;
    }
  }

  async setRun(orgId: string, id: string, kind: 'ingest' | 'load', runId: string): Promise<void> {
    await this.db.query(`UPDATE files SET ${kind === 'ingest' ? 'ingest_run_id' : 'load_run_id'} = $3, updated_at = now() WHERE org_id = $1 AND id = $2`, [orgId, id, runId]);
  }

  async markLanded(orgId: string, id: string, counts: { format: string | null; rowsRead: number; records: number; rejected: number; fieldMappings?: FieldMappingInput[] | undefined }): Promise<void> {
    await this.db.query(
      `UPDATE files SET status = CASE WHEN status = 'loaded' THEN status ELSE 'landed' END, format = $3, rows_read = $4, records = $5, rejected = $6,
              field_mappings = COALESCE($7::jsonb, field_mappings), error = NULL, updated_at = now()
        WHERE org_id = $1 AND id = $2`,
      [orgId, id, counts.format, counts.rowsRead, counts.records, counts.rejected, counts.fieldMappings ? JSON.stringify(counts.fieldMappings) : null],
    );
  }

  async markLoaded(orgId: string, id: string, counts: { loaded: number; rejected: number; runId: string }): Promise<void> {
    await this.db.query(
      "UPDATE files SET status = 'loaded', rows_loaded = $3, rows_rejected = $4, load_run_id = $5, error = NULL, updated_at = now() WHERE org_id = $1 AND id = $2",
      [orgId, id, counts.loaded, counts.rejected, counts.runId],
    );
  }

  async markFailed(orgId: string, id: string, error: string): Promise<void> {
    await this.db.query("UPDATE files SET status = 'failed', error = $3, updated_at = now() WHERE org_id = $1 AND id = $2", [orgId, id, error.slice(0, 2000)]);
  }

  /** Files of a table landed in the raw store and not loaded yet, oldest first. */
  async landed(orgId: string, table: string): Promise<FileRecord[]> {
    const { rows } = await this.db.query<FileRow>("SELECT * FROM files WHERE org_id = $1 AND table_name = $2 AND status = 'landed' ORDER BY created_at, id", [orgId, table]);
    return rows.map(view);
  }
}

/** Organisation ids are already safe path segments; this keeps it so whatever they become. */
const safeSegment = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

