import { useMemo, useState } from 'react';
import { Alert, Badge, Button, Fieldset, Group, List, Loader, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { QueryState } from '../../../components/query-state';
import { ApiError } from '../../../lib/api-client';
import { useCanEdit } from '../../../lib/auth';
import { useCreateSchedule } from '../api/create-schedule';
import { useDeleteSchedule } from '../api/delete-schedule';
import { useScheduleDescription, type ScheduleTiming } from '../api/describe-schedule';
import { useSchedules, type Schedule } from '../api/get-schedules';
import { useUpdateSchedule } from '../api/update-schedule';

type ScheduleType = Schedule['scheduleType'];

/** The presets' expressions, as the server fills them in (src/engine/schedule/schedule.schema.ts), shown while a preset is chosen. */
const PRESETS: Record<Exclude<ScheduleType, 'custom'>, string> = {
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
};
const TYPES: { value: ScheduleType; label: string }[] = [
  { value: 'hourly', label: 'Hourly' },
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
  { value: 'monthly', label: 'Monthly' },
  { value: 'custom', label: 'Custom' },
];

/** Every IANA time zone this browser knows, UTC first. */
function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** A fire time in the schedule's own time zone: "Mon, 2 Mar 2026, 09:00". */
export function inZone(iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));
  } catch {
    return new Date(iso).toISOString();
  }
}

/** The schedule of one connection (one at most): create it, change it, pause or resume it, delete it. */
export function ScheduleEditor({ connectionId }: { connectionId: string }) {
  const schedules = useSchedules();
  const schedule = schedules.data?.schedules.find((s) => s.connectionId === connectionId);
  return (
    <Fieldset legend="Schedule" data-testid="schedule-editor">
      <QueryState isPending={schedules.isPending} error={schedules.error}>
        {/* Keyed so a saved answer (new expression, new zone) resets the form to what the server holds. */}
        <ScheduleForm key={schedule ? `${schedule.scheduleId}:${schedule.updatedAt}` : 'new'} connectionId={connectionId} schedule={schedule} />
      </QueryState>
    </Fieldset>
  );
}

function ScheduleForm({ connectionId, schedule }: { connectionId: string; schedule?: Schedule }) {
  const canEdit = useCanEdit();
  const zones = useMemo(timeZones, []);
  const [type, setType] = useState<ScheduleType>(schedule?.scheduleType ?? 'daily');
  const [cron, setCron] = useState(schedule?.cronExpression ?? PRESETS.daily);
  const [timezone, setTimezone] = useState(schedule?.timezone ?? browserZone());
  const [confirmDelete, setConfirmDelete] = useState(false);
  // Five presets side by side do not fit a phone: there they stack.
  const narrow = useMediaQuery('(max-width: 30em)');
  const create = useCreateSchedule();
  const update = useUpdateSchedule();
  const remove = useDeleteSchedule();
  const error = create.error ?? update.error ?? remove.error;
  const apiError = error instanceof ApiError ? error : null;

  const choose = (value: ScheduleType) => {
    reset();
    setType(value);
    if (value !== 'custom') setCron(PRESETS[value]);
  };
  const typeCron = (value: string) => {
    reset();
    setCron(value);
    setType('custom');
  };
  const chooseZone = (value: string | null) => {
    if (!value) return;
    reset();
    setTimezone(value);
  };
  const timing = type === 'custom' ? { scheduleType: type, cronExpression: cron.trim() } : { scheduleType: type };
  const changed = !schedule || schedule.scheduleType !== type || schedule.timezone !== timezone || (type === 'custom' && schedule.cronExpression !== cron.trim());
  // What the form would save, described by the server as it is typed: after a pause in typing, one request.
  const current = JSON.stringify({ ...timing, timezone });
  const [debounced] = useDebouncedValue(current, 300);
  const asked = JSON.parse(debounced) as ScheduleTiming;
  const described = useScheduleDescription(asked, changed && (asked.scheduleType !== 'custom' || Boolean(asked.cronExpression)));
  const settled = debounced === current && !described.isPlaceholderData && !described.isFetching;
  // The description's 422 names the field as saving would; it holds only for what the form holds now.
  const describeError = settled && described.error instanceof ApiError ? described.error : null;
  const cronError = apiError?.field('cronExpression') ?? apiError?.field('scheduleType') ?? describeError?.field('cronExpression') ?? describeError?.field('scheduleType');
  const timezoneError = apiError?.field('timezone') ?? describeError?.field('timezone');
  const general = error && !cronError && !timezoneError ? error.message : null;
  // Saved and unchanged: what the server holds. Changed: the description of the form, the last one dimmed while the next is asked.
  const shown = changed ? (describeError ? undefined : described.data) : schedule;
  const stale = changed && !settled;

  function reset() {
    [create, update, remove].forEach((m) => m.reset());
  }

  const save = () => {
    reset();
    if (schedule) update.mutate({ id: schedule.scheduleId, patch: { ...timing, timezone } });
    else create.mutate({ connectionId, ...timing, timezone });
  };

  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Stack gap="sm">
          <SegmentedControl
            aria-label="How often"
            data={TYPES}
            value={type}
            onChange={(v) => choose(v as ScheduleType)}
            disabled={!canEdit}
            fullWidth
            orientation={narrow ? 'vertical' : 'horizontal'}
          />
          <TextInput
            label="CRON expression"
            description="minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5"
            value={cron}
            onChange={(e) => typeCron(e.currentTarget.value)}
            error={cronError}
            readOnly={!canEdit}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <Select
            label="Time zone"
            data={zones}
            value={timezone}
            onChange={chooseZone}
            searchable
            limit={50}
            nothingFoundMessage="No such time zone"
            error={timezoneError}
            readOnly={!canEdit}
            allowDeselect={false}
          />
        </Stack>
        <Stack gap={4}>
          {schedule ? (
            <Group gap="xs">
              <Badge color={schedule.paused ? 'gray' : 'teal'} variant="light">
                {schedule.paused ? 'paused' : 'active'}
              </Badge>
              <Text size="sm" c="dimmed">
                saved: <Text span ff="monospace" inherit>{schedule.cronExpression}</Text> in {schedule.timezone} · {schedule.orchestrator}
              </Text>
            </Group>
          ) : (
            <Text c="dimmed" size="sm">
              Not scheduled: it runs only when started by hand.
            </Text>
          )}
          {changed && (
            <Text size="sm" c="dimmed" data-testid="schedule-unsaved">
              {schedule ? 'Not saved yet: Save schedule to run on this timing.' : 'Create schedule to run on this timing:'}
            </Text>
          )}
          {shown ? (
            <Stack gap={4} style={{ opacity: stale ? 0.5 : 1 }} aria-busy={stale}>
              <Text fw={500} data-testid="schedule-description">
                {shown.description}
              </Text>
              <Text size="sm" fw={500} mt="xs">
                Next runs ({shown.timezone})
              </Text>
              {schedule?.paused && !changed ? (
                <Text size="sm" c="dimmed">
                  None while paused.
                </Text>
              ) : (
                <List size="sm" data-testid="schedule-next-runs">
                  {shown.nextRuns.map((at) => (
                    <List.Item key={at}>
                      <time dateTime={at}>{inZone(at, shown.timezone)}</time>
                    </List.Item>
                  ))}
                </List>
              )}
            </Stack>
          ) : (
            changed && !cronError && !timezoneError && <Loader size="xs" aria-label="Describing the schedule" />
          )}
        </Stack>
      </SimpleGrid>
      {general && (
        <Alert color="red" role="alert">
          {general}
        </Alert>
      )}
      {canEdit && (
        <Group justify="space-between">
          <Group>
            <Button onClick={save} loading={create.isPending || update.isPending} disabled={!changed}>
              {schedule ? 'Save schedule' : 'Create schedule'}
            </Button>
            {schedule && (
              <Button
                variant="light"
                onClick={() => {
                  reset();
                  update.mutate({ id: schedule.scheduleId, patch: { paused: !schedule.paused } });
                }}
                loading={update.isPending && update.variables?.patch.paused !== undefined}
              >
                {schedule.paused ? 'Resume' : 'Pause'}
              </Button>
            )}
          </Group>
          {schedule &&
            (confirmDelete ? (
              <Group gap="xs">
                <Text size="sm">Delete this schedule?</Text>
                <Button
                  color="red"
                  loading={remove.isPending}
                  onClick={() => {
                    reset();
                    remove.mutate(schedule.scheduleId);
                  }}
                >
                  Yes, delete
                </Button>
                <Button variant="default" onClick={() => setConfirmDelete(false)}>
                  Keep it
                </Button>
              </Group>
            ) : (
              <Button variant="default" color="red" onClick={() => setConfirmDelete(true)}>
                Delete schedule
              </Button>
            ))}
        </Group>
      )}
    </Stack>
  );
}
