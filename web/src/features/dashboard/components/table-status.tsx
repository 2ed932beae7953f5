import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { StateBadge } from '../../../components/state-badge';
import { useCanEdit } from '../../../lib/auth';
import { count, duration } from '../../../lib/format';
import { usePipelineStatus, type TableStatus } from '../api/get-pipeline-status';

/** A card per table: row and rejected counts, freshness, and the state of its last ingest, load and forecast. */
export function TableStatusGrid() {
  const status = usePipelineStatus();
  const canEdit = useCanEdit();
  const tables = status.data?.tables ?? [];
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={3}>Tables</Title>
        {status.data && (
          <Text size="sm" c="dimmed">
            organisation {status.data.org_id} · orchestrator {status.data.orchestrator}
          </Text>
        )}
      </Group>
      <QueryState isPending={status.isPending} error={status.error}>
        {tables.length === 0 ? (
          <FirstSteps canEdit={canEdit} />
        ) : (
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            {tables.map((t) => (
              <TableCard key={t.table} status={t} />
            ))}
          </SimpleGrid>
        )}
      </QueryState>
    </Stack>
  );
}

function TableCard({ status: t }: { status: TableStatus }) {
  return (
    <Card withBorder padding="md" data-testid={`table-card-${t.table}`}>
      <Group justify="space-between" mb="xs">
        <Anchor component={Link} to={`/tables/${encodeURIComponent(t.table)}`} fw={600}>
          {t.table}
        </Anchor>
        {t.failures > 0 && <Badge color="red">{t.failures} failed</Badge>}
      </Group>
      <Group gap="lg">
        <Stat label="rows" value={count(t.row_count)} />
        <Stat label="rejected" value={count(t.rejected_count)} />
        <Stat label="fresh" value={t.freshness_seconds === null ? '—' : `${duration(t.freshness_seconds)} ago`} />
      </Group>
      <Group gap="xs" mt="sm">
        <Step label="ingest" state={t.last_ingest?.state} />
        <Step label="load" state={t.last_load?.state} />
        <Step label="forecast" state={t.last_forecast?.state} />
      </Group>
      {t.connections.length > 0 && (
        <Text size="xs" c="dimmed" mt={4}>
          fed by {t.connections.length === 1 ? 'connection' : 'connections'} {t.connections.join(', ')}
        </Text>
      )}
    </Card>
  );
}

const Stat = ({ label, value }: { label: string; value: string }) => (
  <div>
    <Text fw={600}>{value}</Text>
    <Text size="xs" c="dimmed">
      {label}
    </Text>
  </div>
);

const Step = ({ label, state }: { label: string; state: string | undefined }) => (
  <Group gap={4}>
    <Text size="xs" c="dimmed">
      {label}
    </Text>
    <StateBadge state={state} />
  </Group>
);

/** What a new organisation sees instead of table cards: the two ways data comes in, as links. */
function FirstSteps({ canEdit }: { canEdit: boolean }) {
  return (
    <Card withBorder padding="lg" data-testid="first-steps">
      <Stack gap="sm">
        <Text fw={600}>No tables yet. Bring your data in one of two ways:</Text>
        {canEdit ? (
          <Group>
            <Button component={Link} to="/files">
              Upload a file
            </Button>
            <Button component={Link} to="/connections/new" variant="light">
              Connect an API
            </Button>
          </Group>
        ) : (
          <Text size="sm">An editor or an admin can upload a file or connect an API; the tables they make will show here.</Text>
        )}
        <Text size="sm" c="dimmed">
          A file (CSV, TSV, JSON, NDJSON or an Excel workbook) becomes a table at once. An API connection reads a REST API, and can run on a schedule to keep its table fresh.
        </Text>
      </Stack>
    </Card>
  );
}
