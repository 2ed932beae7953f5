import { useState } from 'react';
import { Alert, Group, Pagination, SegmentedControl, Stack, Table, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { QueryState } from '../../../components/query-state';
import { useCanEdit } from '../../../lib/auth';
import { count } from '../../../lib/format';
import { PLAN_STATUSES, useForecasts, useForecastSettings, usePlan, type PlanStatus } from '../api/forecasts';
import { ItemChart } from './item-chart';
import { RunPanel } from './run-panel';
import { SettingsForm } from './settings-form';
import { PlanStatusBadge, STATUS_LABELS } from './status';

const PAGE = 25;
const FIGURES = ['on_hand', 'reorder_point', 'order_quantity', 'stockout_date', 'days_of_cover'] as const;
const FIGURE_LABELS: Record<(typeof FIGURES)[number], string> = { on_hand: 'On hand', reorder_point: 'Reorder point', order_quantity: 'Order', stockout_date: 'Runs out', days_of_cover: 'Days of cover' };

const figure = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? v.toLocaleString(undefined, { maximumFractionDigits: 1 }) : String(v));

/**
 * The Forecast tab of a table: the last run (live) and Run forecast, the
 * plan (items to reorder first, by stock-out date) with a search and a
 * status filter, a chart of the item picked, and the settings.
 */
export function ForecastTab({ table, columns }: { table: string; columns: string[] }) {
  const canEdit = useCanEdit();
  const forecasts = useForecasts();
  const settings = useForecastSettings(table);
  const forecast = forecasts.data?.tables.find((t) => t.table === table);
  const published = forecast?.published ?? null;
  const [status, setStatus] = useState<PlanStatus | 'all'>('all');
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 250);
  const [page, setPage] = useState(1);
  const [picked, setPicked] = useState<string | null>(null);
  const query = { ...(status === 'all' ? {} : { status }), ...(q ? { q } : {}), limit: PAGE, offset: (page - 1) * PAGE };
  const plan = usePlan(table, query, published?.runId ?? null);
  const items = plan.data?.items ?? [];
  const itemColumns = plan.data?.itemColumns ?? [];
  const selected = picked ?? (items[0]?.key as string | undefined) ?? null;
  return (
    <Stack data-testid="forecast-tab">
      <RunPanel table={table} forecast={forecast} canRun={canEdit && (settings.data?.enabled ?? false)} />
      {settings.data && !settings.data.enabled && (
        <Alert color="gray" py={6}>
          The forecast of this table is off. Turn it on below to get a reorder plan after every load.
        </Alert>
      )}
      {published && (
        <Stack gap="sm">
          <Group justify="space-between" align="flex-end">
            <Title order={4}>Plan</Title>
            <Text size="sm" c="dimmed">
              {PLAN_STATUSES.filter((s) => published.counts[s] > 0)
                .map((s) => `${count(published.counts[s])} ${STATUS_LABELS[s].toLowerCase()}`)
                .join(' · ')}
            </Text>
          </Group>
          <Group>
            <TextInput placeholder="Search items" aria-label="Search items" value={search} onChange={(e) => (setSearch(e.currentTarget.value), setPage(1))} w={240} />
            <SegmentedControl
              size="xs"
              value={status}
              onChange={(v) => (setStatus(v as PlanStatus | 'all'), setPage(1))}
              data={[{ value: 'all', label: 'All' }, ...PLAN_STATUSES.map((s) => ({ value: s, label: `${STATUS_LABELS[s]} (${count(published.counts[s])})` }))]}
            />
          </Group>
          <QueryState isPending={plan.isPending} error={plan.error} isEmpty={items.length === 0} empty="No item matches.">
            <Table.ScrollContainer minWidth={600}>
              <Table striped highlightOnHover withTableBorder data-testid="forecast-plan">
                <Table.Thead>
                  <Table.Tr>
                    {itemColumns.map((c) => (
                      <Table.Th key={c}>{c}</Table.Th>
                    ))}
                    <Table.Th>Status</Table.Th>
                    {FIGURES.map((f) => (
                      <Table.Th key={f}>{FIGURE_LABELS[f]}</Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((item) => {
                    const key = item.key as string;
                    return (
                      <Table.Tr key={key} aria-selected={key === selected} bg={key === selected ? 'var(--mantine-color-blue-light)' : undefined}>
                        {itemColumns.map((c, i) => (
                          <Table.Td key={c}>
                            {i === 0 ? (
                              <UnstyledButton onClick={() => setPicked(key)} td="underline" fz="sm">
                                {figure(item[c])}
                              </UnstyledButton>
                            ) : (
                              figure(item[c])
                            )}
                          </Table.Td>
                        ))}
                        <Table.Td>
                          <PlanStatusBadge status={String(item.status)} />
                        </Table.Td>
                        {FIGURES.map((f) => (
                          <Table.Td key={f}>{figure(item[f])}</Table.Td>
                        ))}
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {(plan.data?.total ?? 0) > PAGE && <Pagination value={page} onChange={setPage} total={Math.ceil((plan.data?.total ?? 0) / PAGE)} size="sm" />}
          </QueryState>
          {selected && <ItemChart key={`${published.runId}:${selected}`} table={table} itemKey={selected} />}
        </Stack>
      )}
      {!published && settings.data?.enabled && <Text c="dimmed">No forecast has been published for this table yet.</Text>}
      <QueryState isPending={settings.isPending} error={settings.error}>
        {settings.data && <SettingsForm table={table} settings={settings.data} columns={columns} canEdit={canEdit} />}
      </QueryState>
    </Stack>
  );
}
