import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toApiError } from '../../../lib/api-client';
import { session } from '../../../lib/session';
import type { paths } from '../../../api/schema';

export type UploadAnswer = paths['/api/files/']['post']['responses'][201]['content']['application/json'];

export interface UploadInput {
  file: File;
  table: string;
  /** 0..1 as the bytes go out. */
  onProgress?: (fraction: number) => void;
}

/**
 * Sends a file to `POST /api/files/` with XMLHttpRequest, the one browser API
 * that reports upload progress; the answer names the ingest run it started.
 */
export function uploadFile({ file, table, onProgress }: UploadInput): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('table', table);
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/files/');
    const token = session.token();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status === 201) {
        onProgress?.(1);
        resolve(xhr.response as UploadAnswer);
      } else {
        if (xhr.status === 401) session.clear();
        reject(toApiError(xhr.status, xhr.response));
      }
    };
    xhr.onerror = () => reject(new Error('The upload did not reach the server; check the connection and try again.'));
    xhr.send(form);
  });
}

/** Uploads a file into a table; the file list and table views refresh afterwards. */
export function useUploadFile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: uploadFile,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['files'] }),
  });
}
