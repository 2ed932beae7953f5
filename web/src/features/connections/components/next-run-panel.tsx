import { Code, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { useNextRun } from '../api/get-next-run';

const when = (iso: string) => new Date(iso).toLocaleString();

/**
 * The next run, before it runs: when it fires and the first request it will
 * send, with the values its templates will see (last_run_at, the cursor).
 * Secrets arrive masked; nothing is sent to the source.
 */
export function NextRunPanel({ connectionId }: { connectionId: string }) {
  const next = useNextRun(connectionId);
  const data = next.data;
  return (
    <Paper withBorder p="md" data-testid="next-run">
      <Stack gap="xs">
        <Title order={4}>Next run</Title>
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
      </Stack>
    </Paper>
  );
}
