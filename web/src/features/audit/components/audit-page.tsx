import { useState } from 'react';
import { Autocomplete, Badge, Button, Group, SegmentedControl, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { QueryState } from '../../../components/query-state';
import { dateTime } from '../../../lib/format';
import { useAudit, type AuditEvent } from '../api/get-audit';
import { useAuditUsers } from '../api/get-users';

const PAGE = 50;
const OUTCOMES = ['all', 'success', 'denied', 'failed'] as const;
type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_COLORS: Record<AuditEvent['outcome'], string> = { success: 'green', denied: 'orange', failed: 'red' };
/** Prefixes the API's actions share (`token.create`, `token.revoke`), offered while typing. */
const PREFIXES = ['auth.', 'user.', 'token.', 'connection.', 'schedule.', 'run.', 'file.', 'pipeline.', 'notification.'];

/** The organisation's audit trail: who did what to which target, and how it went. Admins only. */
export function AuditPage() {
  const [action, setAction] = useState('');
  const [debouncedAction] = useDebouncedValue(action.trim(), 300);
  const [outcome, setOutcome] = useState<Outcome>('all');
  // The `before` cursor of each page seen so far: the last is the page on screen.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const audit = useAudit({
    limit: PAGE,
    ...(debouncedAction ? { action: debouncedAction } : {}),
    ...(before ? { before } : {}),
    ...(outcome === 'all' ? {} : { outcome }),
  });
  const users = useAuditUsers();
  const emails = new Map((users.data?.users ?? []).map((u) => [u.id, u.email]));
  const events = audit.data?.events ?? [];
  const changeAction = (value: string) => {
    setAction(value);
    setCursors([undefined]);
  };
  const actor = (e: AuditEvent) => {
    if (e.actor.type === 'user' && e.actor.id) return emails.get(e.actor.id) ?? `user ${e.actor.id.slice(0, 8)}`;
    return e.actor.id ? `${e.actor.type} ${e.actor.id.slice(0, 8)}` : e.actor.type;
  };
  return (
    <Stack>
      <Title order={2}>Audit trail</Title>
      <Group align="end" wrap="wrap">
        <Autocomplete
          label="Action"
          placeholder="token.create or token."
          description="An action, or a prefix ending in a dot"
          data={PREFIXES}
          value={action}
          onChange={changeAction}
          w={280}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="audit-outcome-label">
            Outcome
          </Text>
          <SegmentedControl aria-labelledby="audit-outcome-label" value={outcome} onChange={(v) => {
              setOutcome(v as Outcome);
              setCursors([undefined]);
            }} data={[...OUTCOMES]} />
        </Stack>
      </Group>
      <QueryState
        isPending={audit.isPending}
        error={audit.error}
        isEmpty={events.length === 0}
        empty="No events match."
      >
        <Table.ScrollContainer minWidth={800}>
          <Table striped data-testid="audit-events" style={{ opacity: audit.isPlaceholderData ? 0.6 : 1 }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Target</Table.Th>
                <Table.Th>Outcome</Table.Th>
                <Table.Th>Error code</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                      {dateTime(e.createdAt)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={e.ip ? `from ${e.ip}` : 'no address'} disabled={!e.ip}>
                      <Text size="sm">{actor(e)}</Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {e.action}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {e.target ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={OUTCOME_COLORS[e.outcome]} variant="light">
                      {e.outcome}
                      {e.status ? ` ${e.status}` : ''}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {e.errorCode ?? '—'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
      <Group justify="space-between">
        <Button variant="default" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </Button>
        <Text size="sm" c="dimmed">
          Page {cursors.length}
        </Text>
        <Button
          variant="default"
          disabled={events.length < PAGE || audit.isPlaceholderData}
          onClick={() => setCursors((c) => [...c, events[events.length - 1]!.id])}
        >
          Older
        </Button>
      </Group>
    </Stack>
  );
}
