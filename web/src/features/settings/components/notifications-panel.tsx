import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Checkbox, Group, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { ApiError } from '../../../lib/api-client';
import { dateTime } from '../../../lib/format';
import { useCreateNotification } from '../api/create-notification';
import { useDeleteNotification } from '../api/delete-notification';
import { useNotifications } from '../api/get-notifications';
import { ConfirmButton } from './confirm-button';
import { SecretOnceModal } from './secret-once-modal';

type Kind = 'webhook' | 'email';

/** A webhook URL with its query values hidden: some services put a token there. */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const key of new Set(u.searchParams.keys())) u.searchParams.set(key, '***');
    return u.toString().replaceAll('%2A%2A%2A', '***');
  } catch {
    return url;
  }
}
type RunEvent = 'run.succeeded' | 'run.failed';

/** Where run outcomes are sent; editors add and remove targets, a webhook's signing secret shown once. */
export function NotificationsPanel({ canEdit }: { canEdit: boolean }) {
  const targets = useNotifications();
  const remove = useDeleteNotification();
  const [secret, setSecret] = useState<string | null>(null);
  const list = targets.data?.targets ?? [];
  return (
    <Stack>
      <Title order={3}>Notifications</Title>
      {canEdit && <CreateTargetForm emailEnabled={targets.data?.emailEnabled ?? false} onSecret={setSecret} />}
      {remove.error && <Alert color="red">{remove.error.message}</Alert>}
      <QueryState isPending={targets.isPending} error={targets.error} isEmpty={list.length === 0} empty="No notification targets: nobody is told when runs fail.">
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="notification-targets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Sent to</Table.Th>
                <Table.Th>Events</Table.Th>
                <Table.Th>Connection</Table.Th>
                <Table.Th>Added</Table.Th>
                {canEdit && <Table.Th />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>
                    {t.kind}{' '}
                    {!t.enabled && (
                      <Badge color="gray" size="xs">
                        off
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {t.url ? maskedUrl(t.url) : t.address}
                    </Text>
                  </Table.Td>
                  <Table.Td>{t.events.join(', ')}</Table.Td>
                  <Table.Td>{t.connectionId ?? 'every run'}</Table.Td>
                  <Table.Td>{dateTime(t.createdAt)}</Table.Td>
                  {canEdit && (
                    <Table.Td ta="right">
                      <ConfirmButton
                        label="Delete"
                        ariaLabel={`Delete notification target ${t.url ? maskedUrl(t.url) : t.address}`}
                        title="Delete this notification target?"
                        confirm="Delete target"
                        loading={remove.isPending}
                        onConfirm={() => remove.mutateAsync(t.id)}
                      >
                        Run outcomes will no longer be sent to {t.url ? maskedUrl(t.url) : t.address}.
                      </ConfirmButton>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
      <SecretOnceModal title="Webhook signing secret" label="Verify each delivery's signature with this secret" secret={secret} onClose={() => setSecret(null)} />
    </Stack>
  );
}

function CreateTargetForm({ emailEnabled, onSecret }: { emailEnabled: boolean; onSecret: (secret: string) => void }) {
  const create = useCreateNotification();
  const [kind, setKind] = useState<Kind>('webhook');
  const [to, setTo] = useState('');
  const [events, setEvents] = useState<RunEvent[]>(['run.failed']);
  const [connectionId, setConnectionId] = useState('');
  const error = create.error instanceof ApiError ? create.error : null;
  const errors = { to: error?.field(kind === 'webhook' ? 'url' : 'address'), events: error?.field('events'), connectionId: error?.field('connectionId') };
  const general = create.error && !Object.values(errors).some(Boolean) ? create.error.message : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const common = { events, ...(connectionId.trim() ? { connectionId: connectionId.trim() } : {}) };
    create.mutate(kind === 'webhook' ? { kind, url: to.trim(), ...common } : { kind, address: to.trim(), ...common }, {
      onSuccess: (answer) => {
        setTo('');
        if (answer.secret) onSecret(answer.secret);
        // Keep the secret out of the mutation's cache once it is handed over.
        create.reset();
      },
    });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Add a notification target">
      <Stack gap="xs">
        <SegmentedControl
          aria-label="Kind"
          value={kind}
          onChange={(v) => setKind(v as Kind)}
          data={[
            { value: 'webhook', label: 'Webhook' },
            { value: 'email', label: emailEnabled ? 'E-mail' : 'E-mail (SMTP not set up)', disabled: !emailEnabled },
          ]}
          w="fit-content"
        />
        <Group align="start" wrap="wrap">
          <TextInput
            label={kind === 'webhook' ? 'Webhook URL' : 'E-mail address'}
            placeholder={kind === 'webhook' ? 'https://hooks.example.com/sluice' : 'ops@example.com'}
            required
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
            error={errors.to}
            w={340}
          />
          <TextInput
            label="Only runs of connection"
            placeholder="every run"
            value={connectionId}
            onChange={(e) => setConnectionId(e.currentTarget.value)}
            error={errors.connectionId}
            w={200}
          />
          <Checkbox.Group label="When a run" value={events} onChange={(v) => setEvents(v as RunEvent[])} error={errors.events}>
            <Group mt={8}>
              <Checkbox value="run.failed" label="fails" />
              <Checkbox value="run.succeeded" label="succeeds" />
            </Group>
          </Checkbox.Group>
          <Button type="submit" mt={25} loading={create.isPending}>
            Add target
          </Button>
        </Group>
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
      </Stack>
    </form>
  );
}
