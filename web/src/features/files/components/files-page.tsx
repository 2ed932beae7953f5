import { useState } from 'react';
import { Alert, Anchor, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { StateBadge } from '../../../components/state-badge';
import { RelativeTime } from '../../../components/relative-time';
import { useCanEdit } from '../../../lib/auth';
import { bytes, count } from '../../../lib/format';
import { useFiles } from '../api/get-files';
import { useTableNames } from '../api/get-table-names';
import { UploadForm } from './upload-form';
import { IngestChain } from './ingest-chain';

/** Upload a file and follow it into its table; the organisation's earlier uploads below. */
export function FilesPage() {
  const canEdit = useCanEdit();
  const [uploads, setUploads] = useState<{ fileId: string; runId: string }[]>([]);
  const files = useFiles();
  const tables = useTableNames();
  const list = files.data?.files ?? [];
  return (
    <Stack>
      <Title order={2}>Files</Title>
      {canEdit ? (
        <UploadForm onUploaded={(answer) => setUploads((u) => [{ fileId: answer.file_id, runId: answer.dag_run_id }, ...u])} />
      ) : (
        <Alert color="gray">Viewers can see uploads but not add them; ask an editor or admin.</Alert>
      )}
      {uploads.map((u) => (
        <IngestChain key={`${u.fileId}:${u.runId}`} fileId={u.fileId} ingestRunId={u.runId} />
      ))}
      <Title order={3}>Uploaded files</Title>
      <QueryState isPending={files.isPending} error={files.error} isEmpty={list.length === 0} empty="No files uploaded yet.">
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="uploaded-files">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>File</Table.Th>
                <Table.Th>Table</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Loaded</Table.Th>
                <Table.Th ta="right">Rejected</Table.Th>
                <Table.Th>Uploaded</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((f) => (
                <Table.Tr key={f.fileId} data-testid={`file-${f.fileId}`}>
                  <Table.Td>
                    <Text size="sm">{f.name}</Text>
                    <Text size="xs" c="dimmed">
                      {bytes(f.size)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {/* A failed first upload leaves no table behind: no link to a page that would say so. */}
                    {tables?.has(f.table) ? (
                      <Anchor component={Link} to={`/tables/${encodeURIComponent(f.table)}`} size="sm">
                        {f.table}
                      </Anchor>
                    ) : (
                      <Text size="sm" title="No such table (yet)">
                        {f.table}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <StateBadge state={f.status} />
                    {f.status === 'failed' && f.error && (
                      <Text size="xs" c="red" maw={360} data-testid="file-error">
                        {f.error}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{count(f.rowsLoaded)}</Table.Td>
                  <Table.Td ta="right">{count(f.rowsRejected)}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <RelativeTime iso={f.createdAt} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
    </Stack>
  );
}
