import { useMutation } from '@tanstack/react-query';
import { api, toApiError } from '../../../lib/api-client';

export type ExportPart = 'rows' | 'rejected';

/** `attachment; filename="orders.csv"` → `orders.csv`. */
export const filenameOf = (disposition: string | null, fallback: string): string => /filename="([^"]+)"/.exec(disposition ?? '')?.[1] ?? fallback;

/**
 * A table (or its rejected rows) as CSV, saved by the browser. The export
 * needs the bearer token, which a plain link cannot send: the file is
 * fetched, then handed to the browser as a download. `bom=true` starts it
 * with a byte-order mark, so Excel reads its UTF-8 as UTF-8.
 */
export async function downloadExport(table: string, part: ExportPart): Promise<string> {
  const { data, error, response } = await api.GET('/api/tables/{table}/export', {
    params: { path: { table }, query: { format: 'csv', part, bom: 'true' } },
    parseAs: 'blob',
  });
  if (!response.ok || error !== undefined || !(data instanceof Blob)) throw toApiError(response.status, error);
  const filename = filenameOf(response.headers.get('content-disposition'), part === 'rows' ? `${table}.csv` : `${table}__rejected.csv`);
  const url = URL.createObjectURL(data);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}

/** Downloads a table or its rejected rows as CSV. */
export const useDownloadExport = () => useMutation({ mutationFn: ({ table, part }: { table: string; part: ExportPart }) => downloadExport(table, part) });
