import { Alert, Button, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { useCanEdit } from '../../../lib/auth';
import { useDryRun, useNextRun, type DryRun } from '../api/get-next-run';
import { cell } from './preview-result';

const when = (iso: string) => new Date(iso).toLocaleString();

/**
 * The next run, before it runs: when it fires and the first request it will
 * send, with the values its templates will see (last_run_at, the cursor).
 * Secrets arrive masked; nothing is sent to the source.
 */
export function NextRunPanel({ connectionId }: { connectionId: string }) {
  const next = useNextRun(connectionId);
  const dryRun = useDryRun();
  const canEdit = useCanEdit();
  const data = next.data;
  return (
    <Paper withBorder p="md" data-testid="next-run">
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>Next run</Title>
          {canEdit && (
            <Button size="xs" variant="light" loading={dryRun.isPending} onClick={() => dryRun.mutate(connectionId)}>
              Dry run
            </Button>
          )}
        </Group>
        <QueryState isPending={next.isPending} error={next.error}>
          {data && (
            <>
              <Text size="sm">
                {data.scheduledAt ? `Fires at ${when(data.scheduledAt)}` : 'Not scheduled: this is what a run started now would send.'} It reads
                {data.context.lastRunAt ? ` last_run_at = ${data.context.lastRunAt}` : ' no last_run_at (no successful run yet)'}
                {data.context.cursor !== null ? ` and cursor = ${String(data.context.cursor)}` : ''}.
              </Text>
              <Code block style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
                {data.request.method} {data.request.url}
              </Code>
              <Table fz="sm" withRowBorders={false}>
                <Table.Tbody>
                  {Object.entries(data.request.headers).map(([name, value]) => (
                    <Table.Tr key={name}>
                      <Table.Td ff="monospace">{name}</Table.Td>
                      <Table.Td ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                        {value}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              {data.request.body !== null && <Code block>{JSON.stringify(data.request.body, null, 2)}</Code>}
              {data.pagination !== 'none' && (
                <Text size="xs" c="dimmed">
                  Later pages follow its {data.pagination} pagination.
                </Text>
              )}
            </>
          )}
        </QueryState>
        {dryRun.error && (
          <Alert color="red" title="The dry run failed">
            {dryRun.error.message}
          </Alert>
        )}
        {dryRun.data && <DryRunResult result={dryRun.data} />}
      </Stack>
    </Paper>
  );
}

/** What the dry run found: counts first, in plain words, then a sample of the rows. */
function DryRunResult({ result }: { result: DryRun }) {
  const columns = Object.keys(result.sample[0] ?? {});
  return (
    <Stack gap="xs" data-testid="dry-run">
      <Text size="sm">
        It would read {result.read} record{result.read === 1 ? '' : 's'}
        {result.complete ? '' : ' (the dry run stopped at its limit; the run reads on)'}:{' '}
        {result.writeMode === 'replace'
          ? `the table would be replaced by ${result.rows} rows`
          : `${result.wouldInsert} new row${result.wouldInsert === 1 ? '' : 's'}, ${result.wouldUpdate} updated`}
        {result.rejected.count > 0 ? `, ${result.rejected.count} rejected` : ''}. Nothing was written.
      </Text>
      {columns.length > 0 && (
        <Table.ScrollContainer minWidth={300}>
          <Table fz="xs" striped>
            <Table.Thead>
              <Table.Tr>
                {columns.map((c) => (
                  <Table.Th key={c}>{c}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.sample.map((row, i) => (
                <Table.Tr key={i}>
                  {columns.map((c) => (
                    <Table.Td key={c}>{cell(row[c])}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
