import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, Progress, Stack, Text, TextInput } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { ApiError } from '../../../lib/api-client';
import { useMe } from '../../../lib/auth';
import { bytes } from '../../../lib/format';
import { useUploadFile, type UploadAnswer } from '../api/upload-file';

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A table name from a file name: `Orders 2024.csv` → `orders_2024`. */
export const tableNameOf = (fileName: string): string =>
  fileName
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(\d)/, '_$1')
    .slice(0, 63);

/** Drop (or pick) a CSV, TSV, JSON, NDJSON or Excel (.xlsx) file, name its table, upload it with a progress bar. */
export function UploadForm({ onUploaded }: { onUploaded: (answer: UploadAnswer) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [table, setTable] = useState('');
  const [tableTouched, setTableTouched] = useState(false);
  const [problems, setProblems] = useState<{ file?: string; table?: string }>({});
  const [progress, setProgress] = useState(0);
  const upload = useUploadFile();
  // The server's limit (SLUICE_MAX_UPLOAD_MB): a larger file is refused here rather than after it was sent.
  const maxBytes = useMe().data?.limits.uploadMaxBytes;
  const tooLarge = (f: File) => maxBytes !== undefined && f.size > maxBytes;
  const tooLargeMessage = (f: File) => `${f.name} is ${bytes(f.size)}; this server takes files up to ${bytes(maxBytes)}. Split it, or ask an administrator to raise SLUICE_MAX_UPLOAD_MB.`;
  const apiError = upload.error instanceof ApiError ? upload.error : null;
  const fileError = problems.file ?? apiError?.field('file');
  const tableError = problems.table ?? apiError?.field('table');
  const general = upload.error && !apiError?.issues.length ? upload.error.message : null;

  const choose = (files: File[]) => {
    const chosen = files[0];
    if (!chosen) return;
    setFile(chosen);
    upload.reset();
    setProblems((p) => ({ ...p, file: tooLarge(chosen) ? tooLargeMessage(chosen) : undefined }));
    if (!tableTouched || !table) setTable(tableNameOf(chosen.name));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: { file?: string; table?: string } = {};
    if (!file) found.file = 'Choose a file to upload';
    else if (tooLarge(file)) found.file = tooLargeMessage(file);
    if (!table.trim()) found.table = 'Name the table the rows go to';
    else if (!TABLE_NAME.test(table.trim())) found.table = 'Use lower-case letters, digits and _ (starting with a letter or _), at most 63 characters';
    setProblems(found);
    if (found.file || found.table || !file) return;
    setProgress(0);
    upload.mutate({ file, table: table.trim(), onProgress: setProgress }, { onSuccess: onUploaded });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Upload a file">
      <Stack>
        <Dropzone
          onDrop={choose}
          multiple={false}
          maxFiles={1}
          loading={upload.isPending}
          aria-label="File to upload"
          data-testid="dropzone"
        >
          <Stack align="center" gap={4} py="lg" style={{ pointerEvents: 'none' }}>
            <Text size="lg">{file ? file.name : 'Drop a file here, or click to choose one'}</Text>
            <Text size="sm" c="dimmed">
              {file ? bytes(file.size) : `CSV, TSV, JSON, NDJSON or Excel (.xlsx)${maxBytes === undefined ? '' : `, up to ${bytes(maxBytes)}`}`}
            </Text>
          </Stack>
        </Dropzone>
        {fileError && (
          <Text c="red" size="sm" role="alert">
            {fileError}
          </Text>
        )}
        <TextInput
          label="Table"
          description="The table the rows go to; created on the first upload"
          value={table}
          onChange={(e) => {
            setTable(e.currentTarget.value);
            setTableTouched(true);
            setProblems((p) => ({ ...p, table: undefined }));
          }}
          error={tableError}
          required
        />
        {upload.isPending && <Progress value={progress * 100} animated aria-label="Upload progress" />}
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={upload.isPending}>
            Upload
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
