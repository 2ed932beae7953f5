import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type OpenApiInput = paths['/api/connections/import/openapi']['post']['requestBody']['content']['application/json'];
/** The document's GET operations and, for a chosen one, the connection prefilled with what to fill in. */
export type OpenApiImport = paths['/api/connections/import/openapi']['post']['responses'][200]['content']['application/json'];

export const importOpenApi = (input: OpenApiInput): Promise<OpenApiImport> => unwrap(api.POST('/api/connections/import/openapi', { body: input }));

/** Lists an OpenAPI document's GET operations, or prefills a connection from one. */
export const useImportOpenApi = () => useMutation({ mutationFn: importOpenApi });
