import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { landFileFast } from '../ingest/fast/index.js';
import { inferFileMappings } from '../ingest/index.js';
import type { FieldMappingInput } from '../mapping/index.js';
import type { PipelineDefinition, TaskContext } from '../engine/index.js';
import { UserError } from '../errors/index.js';
import { wrapRejection } from '../ingest/raw-rejection.js';
import type { PipelineDeps } from './deps.js';

export const ORG_INGEST_DAG = 'enhanced_org_aware_ingest_dag';
export const ORG_LOAD_DAG = 'enhanced_mongo_to_postgres_dag';
export { FORECAST_DAG } from '../forecasts/index.js';

const HOUR = 60 * 60_000;

/** The conf every org-aware run carries (the second seed's names). */
export interface OrgConf {
  org_id: string;
  table: string;
  file_id?: string;
  user_id?: string | null;
  triggered_by?: string;
}

/** Passes a stream through, telling `onBytes` how many bytes went by (at most every 64 KiB). */
function countBytes(stream: Readable, onBytes: (bytes: number) => void): Readable {
  let bytes = 0;
  let told = 0;
  return stream.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes - told >= 65_536) {
          told = bytes;
          onBytes(bytes);
        }
        done(null, chunk);
      },
    }),
  );
}

/** Reads and checks the conf: its org must be the run's (a conf cannot reach into another organisation). */
export function orgConf(ctx: TaskContext, needFile: boolean): OrgConf {
  const conf = ctx.conf as Partial<OrgConf>;
  if (typeof conf.table !== 'string' || conf.table === '') throw new UserError('invalid_config', 'conf.table: required');
  if (conf.org_id !== undefined && String(conf.org_id) !== ctx.orgId) throw new UserError('forbidden_org', `conf.org_id ${JSON.stringify(conf.org_id)} is not the run's organisation`);
  if (needFile && (typeof conf.file_id !== 'string' || conf.file_id === '')) throw new UserError('invalid_config', 'conf.file_id: required');
  return { ...conf, org_id: ctx.orgId, table: conf.table } as OrgConf;
}

/**
 * `enhanced_org_aware_ingest_dag`: an uploaded file into the raw store.
 *
 *   validate_file → land_raw → record_metadata → trigger_load
 *
 * Rows land under the file's id with their row numbers, so landing the same
 * file again (a retry, a re-trigger, the same bytes uploaded twice) stores
 * nothing twice. Rows the reader cannot read land too, wrapped with their
 * reason, so the load keeps them in `<table>__rejected`.
 */
export function orgIngestPipeline(deps: PipelineDeps): PipelineDefinition {
  return {
    name: ORG_INGEST_DAG,
    description: 'Validates an uploaded file, lands its rows in the raw store, records its metadata and triggers the load.',
    tasks: [
      {
        id: 'validate_file',
        upstream: [],
        timeoutMs: 10 * 60_000,
        retry: { maxAttempts: 2, initialDelayMs: 5_000 },
        async run(ctx) {
          const conf = orgConf(ctx, true);
          const file = await deps.files.get(ctx.orgId, conf.file_id!);
          if (file.table !== conf.table) {
            throw new UserError('invalid_config', `conf.table: file ${file.fileId} was uploaded for table ${file.table}, not ${conf.table}`);
          }
          const path = await deps.files.pathOf(ctx.orgId, file.fileId);
          await deps.files.setRun(ctx.orgId, file.fileId, 'ingest', ctx.runId);
          ctx.log.info(`file ${file.name} (${file.size} bytes, sha256 ${file.checksum.slice(0, 12)}…) for table ${file.table}`);
          return { output: { fileId: file.fileId, path, name: file.name, size: file.size, ...(file.sheet ? { sheet: file.sheet } : {}) } };
        },
      },
      {
        id: 'land_raw',
        writes: 'raw',
        upstream: ['validate_file'],
        timeoutMs: 4 * HOUR,
        retry: { maxAttempts: 3, initialDelayMs: 10_000 },
        async run(ctx) {
          const conf = orgConf(ctx, true);
          const { path, name, size, sheet } = ctx.upstreamOutput('validate_file') as { path: string; name: string; size: number; sheet?: string };
          const read = { filename: name, ...(sheet ? { sheet } : {}) };
          const source = { kind: 'file' as const, id: conf.file_id! };
          try {
            // The columns first, from the first rows; then every row into the raw store, plain CSV rows without a record object each.
            const { mappings, notes } = await inferFileMappings(path, read);
            ctx.log.info(`columns: ${mappings.map((m) => `${m.target} ${m.type}`).join(', ') || 'none'}`);
            for (const note of notes) ctx.log.warn(note);
            let rejected = 0;
            const counted = countBytes(createReadStream(path), (bytes) => ctx.progress({ bytes, totalBytes: size }));
            const landed = await landFileFast(deps.raw, ctx.orgId, conf.table, source, counted, {
              read,
              signal: ctx.signal,
              // Rows the reader cannot read land too, wrapped with their reason, so the load keeps them in <table>__rejected.
              onRejected: async (rows) => {
                rejected += rows.length;
                await deps.raw.writeBatch(ctx.orgId, conf.table, source, rows.map((r) => ({ rowNumber: r.rowNumber, data: wrapRejection(r) })));
              },
            });
            const summary = landed.summary;
            for (const note of summary.notes) ctx.log.warn(note);
            ctx.log.info(`landed ${summary.rowsRead} rows of a ${summary.format} file: ${summary.records} records, ${rejected} rejected by the reader`);
            return {
              rowsIn: summary.rowsRead,
              rowsOut: summary.records,
              rowsRejected: rejected,
              output: { format: summary.format, rowsRead: summary.rowsRead, records: summary.records, rejected, delimiter: summary.delimiter, hasHeader: summary.hasHeader, fieldMappings: mappings },
            };
          } catch (error) {
            await deps.files.markFailed(ctx.orgId, conf.file_id!, error instanceof Error ? error.message : String(error));
            throw error;
          }
        },
      },
      {
        id: 'record_metadata',
        upstream: ['land_raw'],
        timeoutMs: 5 * 60_000,
        async run(ctx) {
          const conf = orgConf(ctx, true);
          const landed = ctx.upstreamOutput('land_raw') as { format: string | null; rowsRead: number; records: number; rejected: number; fieldMappings: FieldMappingInput[] };
          await deps.files.markLanded(ctx.orgId, conf.file_id!, landed);
          return { output: { status: 'landed' } };
        },
      },
      {
        id: 'trigger_load',
        upstream: ['record_metadata'],
        timeoutMs: 5 * 60_000,
        airflowTrigger: {
          dagId: ORG_LOAD_DAG,
          conf: {
            org_id: "{{ dag_run.conf['org_id'] }}",
            table: "{{ dag_run.conf['table'] }}",
            file_id: "{{ dag_run.conf.get('file_id', '') }}",
            triggered_by: ORG_INGEST_DAG,
            upstream_run_id: '{{ run_id }}',
          },
        },
        async run(ctx) {
          const conf = orgConf(ctx, true);
          const runId = await deps.triggerDag({
            orgId: ctx.orgId,
            dagId: ORG_LOAD_DAG,
            trigger: 'upstream',
            conf: { org_id: ctx.orgId, table: conf.table, file_id: conf.file_id, user_id: conf.user_id ?? null, triggered_by: ORG_INGEST_DAG, upstream_run_id: ctx.runId },
          });
          ctx.log.info(`triggered ${ORG_LOAD_DAG} run ${runId}`);
          return { output: { dag_id: ORG_LOAD_DAG, dag_run_id: runId } };
        },
      },
    ],
  };
}
