import { toColumnName } from '../mapping/index.js';
import type { ConnectionsService } from '../connections/index.js';
import { isAppError, UserError, validationFailed } from '../errors/index.js';
import type { Actor } from '../auth/index.js';
import type { WorkflowConfig } from './runs.schema.js';

/**
 * The connection a run or schedule names: `connectionId` if it exists in the
 * caller's organisation; otherwise, with a `workflowConfig`, a connection
 * created from it (the first seed's behaviour). An existing connection is
 * used as stored: change it with PATCH /api/connections/:id.
 */
export async function ensureConnection(
  connections: ConnectionsService,
  orgId: string,
  input: { connectionId?: string | undefined; workflowConfig?: WorkflowConfig | undefined },
  actor: Actor,
): Promise<{ connectionId: string; created: boolean }> {
  const id = input.connectionId ?? input.workflowConfig?.connectionId;
  if (input.connectionId && input.workflowConfig?.connectionId && input.connectionId !== input.workflowConfig.connectionId) {
    throw new UserError('invalid_config', `workflowConfig.connectionId: "${input.workflowConfig.connectionId}" differs from connectionId "${input.connectionId}"`, {
      details: { issues: [{ field: 'workflowConfig.connectionId', message: 'must equal connectionId' }] },
    });
  }
  if (!id && !input.workflowConfig) {
    throw new UserError('invalid_config', 'connectionId: required (or send a workflowConfig to create the connection)', {
      details: { issues: [{ field: 'connectionId', message: 'required (or send a workflowConfig)' }] },
    });
  }
  if (id) {
    try {
      await connections.get(orgId, id);
      return { connectionId: id, created: false };
    } catch (error) {
      if (!(isAppError(error) && error.code === 'not_found')) throw error;
      if (!input.workflowConfig) {
        throw new UserError('not_found', `connectionId: connection ${JSON.stringify(id)} does not exist in your organisation; create it first or send its workflowConfig`, {
          details: { issues: [{ field: 'connectionId', message: 'no such connection' }] },
        });
      }
    }
  }
  const { connectionId: _ignored, ...config } = input.workflowConfig!;
  const name = typeof config.name === 'string' && config.name.trim() ? config.name : (id ?? 'connection');
  try {
    const created = await connections.create(
      orgId,
      { ...config, ...(id ? { id } : {}), name, destination: config.destination ?? { table: toColumnName(id ?? name), writeMode: 'append' } },
      actor,
    );
    return { connectionId: created.id, created: true };
  } catch (error) {
    throw prefixFields(error, 'workflowConfig');
  }
}

/** Re-labels a 422's field paths (`apiConfig.baseUrl` → `workflowConfig.apiConfig.baseUrl`). */
function prefixFields(error: unknown, prefix: string): unknown {
  if (!isAppError(error) || error.code !== 'invalid_config') return error;
  const issues = (error.details as { issues?: { field: string; message: string }[] } | undefined)?.issues;
  if (!issues) return error;
  const renamed = issues.map((i) => ({ ...i, field: `${prefix}.${i.field}` }));
  return validationFailed(renamed, 'invalid_config');
}
