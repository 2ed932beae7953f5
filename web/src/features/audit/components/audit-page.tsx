import { useState } from 'react';
import { Alert, Autocomplete, Badge, Button, Group, SegmentedControl, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { QueryState } from '../../../components/query-state';
import { useMe } from '../../../lib/auth';
import { dateTime } from '../../../lib/format';
import { useAudit, type AuditEvent } from '../api/get-audit';

const PAGE = 50;
const OUTCOMES = ['all', 'success', 'denied', 'failed'] as const;
type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_COLORS: Record<AuditEvent['outcome'], string> = { success: 'green', denied: 'orange', failed: 'red' };
/** Prefixes the API's actions share (`token.create`, `token.revoke`), offered while typing. */
const PREFIXES = ['auth.', 'user.', 'token.', 'connection.', 'schedule.', 'run.', 'file.', 'pipeline.', 'notification.'];

/** An id worth shortening: a UUID (a user's or a token's). Other ids (`bootstrap`) are short words, shown whole. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who did it, as a person reads it: a user's e-mail, a token's name, else the kind of actor and its id. */
export function actorLabel(actor: AuditEvent['actor']): string {
  if (actor.name) return actor.type === 'token' ? `token ${actor.name}` : actor.name;
  if (!actor.id) return actor.type;
  return `${actor.type} ${UUID.test(actor.id) ? `${actor.id.slice(0, 8)}…` : actor.id}`;
}

/** The organisation's audit trail: who did what to which target, and how it went. Admins only; others are told so. */
export function AuditPage() {
  const me = useMe();
  const role = me.data?.role;
  // The role decides what this page is; until it is known, neither (the API answers the trail to admins only).
  if (me.isPending) return <QueryState isPending error={null}>{null}</QueryState>;
  if (role !== 'admin') {
    return (
      <Stack>
        <Title order={2}>Audit trail</Title>
        <Alert color="gray" title="The audit trail needs the admin role" data-testid="audit-admin-only">
          You are signed in as {role === 'editor' ? 'an editor' : role === 'viewer' ? 'a viewer' : 'someone who is not an admin'}. The audit trail lists what everyone in the organisation did, so only admins may
          read it; ask one of your organisation&apos;s admins if you need something from it.
        </Alert>
      </Stack>
    );
  }
  return <AuditTrail />;
}

function AuditTrail() {
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
  const events = audit.data?.events ?? [];
  const changeAction = (value: string) => {
    setAction(value);
    setCursors([undefined]);
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
                    <Tooltip label={e.ip ? `${e.actor.type} ${e.actor.id ?? ''} from ${e.ip}` : `${e.actor.type} ${e.actor.id ?? ''}`}>
                      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                        {actorLabel(e.actor)}
                      </Text>
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
                    {/* A badge shrinks with its cell and cuts its text ("SUCCESS …"): it keeps its own width. */}
                    <Badge color={OUTCOME_COLORS[e.outcome]} variant="light" miw="max-content">
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
