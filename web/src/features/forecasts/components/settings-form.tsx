import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, MultiSelect, NumberInput, Paper, Select, Stack, Switch, Text, Title } from '@mantine/core';
import type { ApiError } from '../../../lib/api-client';
import { useSaveForecastSettings, type ForecastSettings } from '../api/forecasts';

interface Form {
  enabled: boolean;
  dateColumn: string | null;
  itemColumns: string[];
  quantityColumn: string | null;
  onHandColumn: string | null;
  leadTimeDays: number;
  serviceLevel: number;
}

const formOf = (s: ForecastSettings): Form => ({
  enabled: s.enabled,
  dateColumn: s.dateColumn,
  itemColumns: s.itemColumns ?? [],
  quantityColumn: s.quantityColumn,
  onHandColumn: s.onHandColumn,
  leadTimeDays: s.leadTimeDays,
  serviceLevel: s.serviceLevel,
});

const detectedBadge = (settings: ForecastSettings, field: string) =>
  settings.detected.includes(field) ? (
    <Badge size="xs" variant="light" color="blue" ml={6}>
      detected
    </Badge>
  ) : null;

/** The forecast settings of a table: the columns (detected ones marked), lead time and service level; saving replaces them. */
export function SettingsForm({ table, settings, columns, canEdit }: { table: string; settings: ForecastSettings; columns: string[]; canEdit: boolean }) {
  const [form, setForm] = useState<Form>(() => formOf(settings));
  useEffect(() => setForm(formOf(settings)), [settings]);
  const save = useSaveForecastSettings(table);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const issueOf = (field: string) => (save.error as ApiError | null)?.issues.find((i) => i.field === field || i.field.startsWith(`${field}.`))?.message ?? settings.issues.find((i) => i.field === field)?.message;
  const submit = () =>
    save.mutate({
      enabled: form.enabled,
      ...(form.dateColumn ? { dateColumn: form.dateColumn } : {}),
      ...(form.itemColumns.length ? { itemColumns: form.itemColumns } : {}),
      ...(form.quantityColumn ? { quantityColumn: form.quantityColumn } : {}),
      onHandColumn: form.onHandColumn,
      leadTimeDays: form.leadTimeDays,
      serviceLevel: form.serviceLevel,
    });
  const data = columns.map((c) => ({ value: c, label: c }));
  return (
    <Paper withBorder p="md" data-testid="forecast-settings">
      <Stack gap="sm">
        <Title order={4}>Settings</Title>
        <Switch label="Forecast this table (after every load)" checked={form.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} disabled={!canEdit} />
        <Group grow align="flex-start">
          <Select label={<>Date column{detectedBadge(settings, 'dateColumn')}</>} data={data} value={form.dateColumn} onChange={(v) => set('dateColumn', v)} error={issueOf('dateColumn')} disabled={!canEdit} />
          <MultiSelect label={<>Item columns{detectedBadge(settings, 'itemColumns')}</>} data={data} value={form.itemColumns} onChange={(v) => set('itemColumns', v)} error={issueOf('itemColumns')} disabled={!canEdit} />
        </Group>
        <Group grow align="flex-start">
          <Select label={<>Quantity column{detectedBadge(settings, 'quantityColumn')}</>} data={data} value={form.quantityColumn} onChange={(v) => set('quantityColumn', v)} error={issueOf('quantityColumn')} disabled={!canEdit} />
          <Select label={<>Stock on hand column{detectedBadge(settings, 'onHandColumn')}</>} data={data} value={form.onHandColumn} onChange={(v) => set('onHandColumn', v)} clearable error={issueOf('onHandColumn')} disabled={!canEdit} />
        </Group>
        <Group grow align="flex-start">
          <NumberInput label="Lead time (days)" min={0} max={3650} value={form.leadTimeDays} onChange={(v) => set('leadTimeDays', typeof v === 'number' ? v : Number(v) || 0)} disabled={!canEdit} />
          <NumberInput label="Service level" min={0.51} max={0.999} step={0.01} decimalScale={3} value={form.serviceLevel} onChange={(v) => set('serviceLevel', typeof v === 'number' ? v : Number(v) || 0.95)} disabled={!canEdit} />
        </Group>
        {settings.issues.length > 0 && !save.error && (
          <Alert color="yellow" py={6}>
            {settings.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}
          </Alert>
        )}
        {save.error && (
          <Alert color="red" py={6} role="alert">
            {save.error.message}
          </Alert>
        )}
        {canEdit && (
          <Group>
            <Button size="xs" onClick={submit} loading={save.isPending}>
              Save settings
            </Button>
            {save.isSuccess && <Text size="sm" c="green">Saved.</Text>}
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
