import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

/** A connection read from a curl command, with the options Sluice does not carry out named. */
export type CurlImport = paths['/api/connections/import/curl']['post']['responses'][200]['content']['application/json'];

export const importCurl = (command: string): Promise<CurlImport> => unwrap(api.POST('/api/connections/import/curl', { body: { command } }));

/** Reads a pasted curl command into a connection proposal. */
export const useImportCurl = () => useMutation({ mutationFn: importCurl });
