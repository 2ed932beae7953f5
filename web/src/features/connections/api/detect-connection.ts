import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

/** What detection needs: the address, and what it takes to be let in (used for the probe, never kept). */
export type DetectInput = paths['/api/connections/detect']['post']['requestBody']['content']['application/json'];
/** A proposed connection with, for each decision, its evidence and confidence, and the questions detection could not answer. */
export type Detection = paths['/api/connections/detect']['post']['responses'][200]['content']['application/json'];

export const detectConnection = (input: DetectInput): Promise<Detection> => unwrap(api.POST('/api/connections/detect', { body: input }));

/** Reads a few pages of the address and proposes records, pagination, fields, key and cursor. */
export const useDetectConnection = () => useMutation({ mutationFn: detectConnection });
