import { lazy, Suspense, useState } from 'react';
import { Anchor, Group, Paper, Progress, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { RelativeTime } from '../../../components/relative-time';
import { count } from '../../../lib/format';
import { useQuality, type QualityReport } from '../api/get-quality';

// Recharts (about 110 kB gzipped) loads with the first Quality tab, not with the app.
const TrendChart = lazy(() => import('./quality-trend-chart').then((m) => ({ default: m.QualityTrendChart })));

const PERIODS = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
];

const percent = (share: number): string => (share === 0 ? '0 %' : share < 0.001 ? '< 0.1 %' : `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`);

/**
 * A table's quality as its loads measured it: the latest load's rows,
 * loaded, rejected and duplicate keys, the empty share of each column in the
 * rows it wrote, and the trend over the loads of the chosen period.
 */
export function QualityPanel({ table, columns }: { table: string; columns: string[] }) {
  const [days, setDays] = useState('30');
  const quality = useQuality(table, Number(days));
  const reports = quality.data?.reports ?? [];
  const latest = reports[0];
  return (
    <Stack data-testid="quality">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Measured after each load, from uploads and connection runs alike.
        </Text>
        <SegmentedControl size="xs" aria-label="Period" data={PERIODS} value={days} onChange={setDays} />
      </Group>
      <QueryState
        isPending={quality.isPending}
        error={quality.error}
        isEmpty={!latest}
        empty={`No load of this table in the last ${days} days has been measured.`}
      >
        {latest && (
          <>
            <Latest report={latest} />
            <Paper withBorder p="md">
              <Title order={5} mb="xs">
                Empty share per column, in the rows the latest load wrote
              </Title>
              <EmptyShares report={latest} columns={columns} />
            </Paper>
            <Paper withBorder p="md" data-testid="quality-trend">
              <Title order={5} mb="xs">
                Over the loads of the last {days} days
              </Title>
              <Suspense fallback={<Skeleton h={220} aria-label="Loading the chart" />}>
                <TrendChart reports={reports} />
              </Suspense>
            </Paper>
          </>
        )}
      </QueryState>
    </Stack>
  );
}

function Latest({ report }: { report: QualityReport }) {
  const m = report.metrics;
  const received = m.loaded + m.rejected;
  return (
    <Stack gap={4}>
      <Text size="sm" c="dimmed">
        Latest load <RelativeTime iso={report.createdAt} />
        {report.runId && (
          <>
            {' '}
            ·{' '}
            <Anchor component={Link} to={`/runs/${encodeURIComponent(report.runId)}`} size="sm">
              its run
            </Anchor>
          </>
        )}
      </Text>
      <SimpleGrid cols={{ base: 2, sm: 4 }} data-testid="quality-latest">
        <Stat label="rows in the table" value={count(m.rows)} />
        <Stat label="loaded by it" value={count(m.loaded)} />
        <Stat label={received > 0 ? `rejected (${percent(m.rejected / received)})` : 'rejected'} value={count(m.rejected)} alert={m.rejected > 0} />
        <Stat
          label={m.primaryKey?.length ? `duplicate keys (${m.primaryKey.join(', ')})` : 'duplicate keys: no key set'}
          value={m.duplicateKeys === null ? '—' : count(m.duplicateKeys)}
          alert={(m.duplicateKeys ?? 0) > 0}
        />
      </SimpleGrid>
    </Stack>
  );
}

function Stat({ label, value, alert = false }: { label: string; value: string; alert?: boolean }) {
  return (
    <Paper withBorder p="sm">
      <Text fw={700} size="lg" c={alert ? 'red' : undefined}>
        {value}
      </Text>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
    </Paper>
  );
}

/** Each column's share of empty values, in the table's column order (the file's). */
function EmptyShares({ report, columns }: { report: QualityReport; columns: string[] }) {
  const shares = report.metrics.nullRate;
  const names = [...columns.filter((c) => c in shares), ...Object.keys(shares).filter((c) => !columns.includes(c))];
  if (names.length === 0) return <Text c="dimmed">The load measured no columns.</Text>;
  return (
    <Table.ScrollContainer minWidth={400}>
      <Table data-testid="quality-empty-shares">
        <Table.Tbody>
          {names.map((name) => {
            const share = shares[name] ?? 0;
            return (
              <Table.Tr key={name}>
                <Table.Td ff="monospace" w="30%">
                  {name}
                </Table.Td>
                <Table.Td>
                  <Progress value={share * 100} color={share > 0.5 ? 'orange' : 'teal'} aria-label={`${name} empty`} />
                </Table.Td>
                <Table.Td ta="right" w={90} style={{ whiteSpace: 'nowrap' }}>
                  {percent(share)}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
