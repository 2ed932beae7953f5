import { plainKeyPath } from './jsonpath.js';
import type { FieldMappingInput } from './mapping.schema.js';

/**
 * Where each primary-key column's value sits in a source record, for the
 * columns whose mapping reads a plain path (`$.id` → `["id"]`): what the
 * warehouse needs to recognise a record's key in its rejected rows. Columns
 * without such a mapping are left out (the warehouse then looks under the
 * column's own name, which is right in auto mode and for uploads).
 */
export function keyPathsOf(mappings: readonly FieldMappingInput[], primaryKey: readonly string[] | null | undefined): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const column of primaryKey ?? []) {
    const mapping = mappings.find((m) => m.target === column);
    const path = mapping ? plainKeyPath(mapping.source) : null;
    if (path && path.length > 0) paths[column] = path;
  }
  return paths;
}
