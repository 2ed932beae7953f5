import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';
import type { ConnectionInput } from './create-connection';

/** The preview's answer: mapped records, raw records, inferred schema, request log, rejected records. */
export type Preview = paths['/api/connections/preview']['post']['responses'][200]['content']['application/json'];
export type ColumnType = Preview['schema'][number]['type'];

/** What to preview: a configuration not saved yet, or a saved connection by id (its stored secrets included). */
export type PreviewInput = { config: ConnectionInput } | { id: string };

export const previewConnection = (input: PreviewInput): Promise<Preview> =>
  'id' in input
    ? unwrap(api.POST('/api/connections/{id}/preview', { params: { path: { id: input.id } } }))
    : unwrap(api.POST('/api/connections/preview', { body: input.config }));

/** Reads the source's first records and maps them, writing nothing. */
export const usePreviewConnection = () => useMutation({ mutationFn: previewConnection });
