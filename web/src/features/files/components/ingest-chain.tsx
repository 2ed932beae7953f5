import { useEffect } from 'react';
import { Alert, Anchor, Card, Group, Loader, Stack, Stepper, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { StateBadge } from '../../../components/state-badge';
import { bytes, count } from '../../../lib/format';
import { useChainRun } from '../api/get-chain-run';
import { useFile } from '../api/get-file';

/** Follows an upload live: the file lands (ingest run), then loads into its table (load run). */
export function IngestChain({ fileId, ingestRunId }: { fileId: string; ingestRunId: string }) {
  const file = useFile(fileId);
  const ingest = useChainRun(file.data?.ingestRunId ?? ingestRunId);
  const load = useChainRun(file.data?.loadRunId);
  const f = file.data;
  const settled = f?.status === 'loaded' || f?.status === 'failed';
  const queryClient = useQueryClient();
  useEffect(() => {
    // The file reached its table (or failed): lists that show it are out of date.
    if (settled) for (const key of [['files', 'list'], ['tables'], ['pipeline-status']]) void queryClient.invalidateQueries({ queryKey: key });
  }, [settled, queryClient]);
  const active = f?.status === 'loaded' ? 3 : load.data ? 2 : ingest.data?.state === 'success' ? 2 : 1;
  // An ingest that failed (or was cancelled) triggers no load: the Load step did not run and will not.
  const ingestEnded = ingest.data?.state === 'failed' || ingest.data?.state === 'cancelled';
  const loadNotRun = !f?.loadRunId && (ingestEnded || f?.status === 'failed');
  return (
    <Card withBorder data-testid="ingest-chain">
      <Stack>
        <Group justify="space-between">
          <Text fw={600}>
            {f?.name ?? 'Upload'} → {f?.table ?? '…'}
          </Text>
          {f && <StateBadge state={f.status} />}
        </Group>
        <Stepper active={active} size="sm" allowNextStepsSelect={false}>
          <Stepper.Step label="Uploaded" description={f ? bytes(f.size) : undefined} />
          <Stepper.Step
            label="Ingest"
            description={<RunLink id={f?.ingestRunId ?? ingestRunId} state={ingest.data?.state} />}
            loading={ingest.data?.state === 'running' || ingest.data?.state === 'queued'}
            color={ingest.data?.state === 'failed' ? 'red' : undefined}
          />
          <Stepper.Step
            label="Load"
            description={
              loadNotRun ? (
                <Text size="xs" c="dimmed" span data-testid="load-not-run">
                  not run: the ingest failed
                </Text>
              ) : (
                <RunLink id={f?.loadRunId} state={load.data?.state} />
              )
            }
            loading={load.data?.state === 'running' || load.data?.state === 'queued'}
            color={load.data?.state === 'failed' ? 'red' : undefined}
          />
        </Stepper>
        {f && (
          <Text size="sm">
            {count(f.rowsRead)} rows read · {count(f.rowsLoaded)} loaded · {count(f.rowsRejected)} rejected
          </Text>
        )}
        {f?.error && <Alert color="red">{f.error}</Alert>}
        {f?.status === 'loaded' && (
          <Anchor component={Link} to={`/tables/${encodeURIComponent(f.table)}`}>
            Open table {f.table}
          </Anchor>
        )}
        {!f && file.isPending && <Loader size="sm" aria-label="Loading" />}
        {file.error && <Alert color="red">{file.error.message}</Alert>}
      </Stack>
    </Card>
  );
}

function RunLink({ id, state }: { id: string | null | undefined; state: string | undefined }) {
  if (!id) return <Text size="xs" c="dimmed">waiting</Text>;
  return (
    <Group gap={4} component="span">
      <StateBadge state={state} />
      <Anchor component={Link} to={`/runs/${encodeURIComponent(id)}`} size="xs">
        run
      </Anchor>
    </Group>
  );
}
