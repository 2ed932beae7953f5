import { Badge, Code, Group, ScrollArea, Stack, Table, Tabs, Text } from '@mantine/core';
import type { Preview } from '../api/preview-connection';
import { stopReasonInWords, type PaginationHints } from './plain-words';

/** A record's value as a table cell shows it: empty for null, JSON for objects. */
export const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** What a Test read: the mapped records as a table, the inferred schema, the request log and the rejected records. */
export function PreviewResult({ preview, pagination = { type: 'none' } }: { preview: Preview; pagination?: PaginationHints }) {
  const columns = preview.schema.length > 0 ? preview.schema.map((c) => c.name) : [...new Set(preview.records.flatMap((r) => Object.keys(r)))];
  return (
    <Stack gap="xs" data-testid="preview-result">
      <Group gap="xs">
        <Badge color="teal" variant="light">
          {preview.records.length} records
        </Badge>
        <Badge color={preview.rejected.length ? 'orange' : 'gray'} variant="light">
          {preview.rejected.length} rejected
        </Badge>
        <Badge color="gray" variant="outline">
          {preview.requests.length} requests
        </Badge>
      </Group>
      {preview.stopReason && (
        <Text size="sm" c="dimmed" data-testid="preview-stop-reason" title={`stop reason: ${preview.stopReason}`}>
          {stopReasonInWords(preview.stopReason, pagination)}
        </Text>
      )}
      <Tabs defaultValue="records" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="records">Records</Tabs.Tab>
          <Tabs.Tab value="schema">Schema</Tabs.Tab>
          <Tabs.Tab value="requests">Requests</Tabs.Tab>
          <Tabs.Tab value="rejected">Rejected ({preview.rejected.length})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="records" pt="xs">
          {preview.records.length === 0 ? (
            <Text c="dimmed">The source answered no records.</Text>
          ) : (
            <ScrollArea.Autosize mah={420}>
              <Table striped withTableBorder data-testid="preview-records">
                <Table.Thead>
                  <Table.Tr>
                    {columns.map((c) => (
                      <Table.Th key={c}>{c}</Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {preview.records.map((r, i) => (
                    <Table.Tr key={i}>
                      {columns.map((c) => (
                        <Table.Td key={c}>{cell(r[c])}</Table.Td>
                      ))}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea.Autosize>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="schema" pt="xs">
          <Table data-testid="preview-schema">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Column</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Nullable</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.schema.map((c) => (
                <Table.Tr key={c.name}>
                  <Table.Td ff="monospace">{c.name}</Table.Td>
                  <Table.Td>{c.type}</Table.Td>
                  <Table.Td>{c.nullable ? 'yes' : 'no'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="requests" pt="xs">
          <Table data-testid="preview-requests">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Request</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">ms</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.requests.map((r, i) => (
                <Table.Tr key={i}>
                  <Table.Td style={{ wordBreak: 'break-all' }}>
                    <Code>{r.method}</Code> {r.url}
                    {r.attempt > 1 && <Text span c="dimmed" size="xs"> (attempt {r.attempt})</Text>}
                    {r.error && (
                      <Text c="red" size="xs">
                        {r.error}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={r.status !== null && r.status < 400 ? 'green' : 'red'} variant="light">
                      {r.status ?? 'no answer'}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="right">{Math.round(r.ms)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="rejected" pt="xs">
          {preview.rejected.length === 0 ? (
            <Text c="dimmed">Every record was mapped.</Text>
          ) : (
            <Table data-testid="preview-rejected">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Field</Table.Th>
                  <Table.Th>Reason</Table.Th>
                  <Table.Th>Record</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {preview.rejected.map((r, i) => (
                  <Table.Tr key={i}>
                    <Table.Td ff="monospace">{r.field ?? '—'}</Table.Td>
                    <Table.Td>{r.reason}</Table.Td>
                    <Table.Td>
                      <Code block>{JSON.stringify(r.record)}</Code>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
