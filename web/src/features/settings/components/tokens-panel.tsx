import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Group, NumberInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { RelativeTime } from '../../../components/relative-time';
import { ApiError } from '../../../lib/api-client';
import { dateTime } from '../../../lib/format';
import { useCreateToken } from '../api/create-token';
import { useTokens } from '../api/get-tokens';
import { useRevokeToken } from '../api/revoke-token';
import { ConfirmButton } from './confirm-button';
import { SecretOnceModal } from './secret-once-modal';

const ROLES = ['admin', 'editor', 'viewer'] as const;
type Role = (typeof ROLES)[number];

/** API tokens for scripts and Airflow: create (the secret shown once), list, revoke. Admins only. */
export function TokensPanel() {
  const tokens = useTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [days, setDays] = useState<number | string>('');
  // The new token's secret lives here until the modal closes, and nowhere else.
  const [secret, setSecret] = useState<string | null>(null);
  const error = create.error instanceof ApiError ? create.error : null;
  const nameError = error?.field('name');
  const daysError = error?.field('expiresInDays');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), role, ...(typeof days === 'number' ? { expiresInDays: days } : {}) },
      {
        onSuccess: (answer) => {
          setSecret(answer.token);
          setName('');
          // The mutation's cache kept the answer: drop it so the secret is held in one place only.
          create.reset();
        },
      },
    );
  };
  const list = (tokens.data?.tokens ?? []).filter((t) => t.kind === 'api');

  return (
    <Stack>
      <Title order={3}>API tokens</Title>
      <Text size="sm" c="dimmed">
        For scripts, the CLI and Airflow's workers: send it as <code>Authorization: Bearer &lt;token&gt;</code>.
      </Text>
      <form onSubmit={submit} noValidate aria-label="Create an API token">
        <Group align="start" wrap="wrap">
          <TextInput label="Name" placeholder="airflow-workers" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameError} w={240} />
          <Select label="Role" data={[...ROLES]} value={role} onChange={(v) => setRole((v as Role | null) ?? 'editor')} allowDeselect={false} w={140} />
          <NumberInput label="Expires in days" placeholder="never" min={1} max={3650} value={days} onChange={setDays} error={daysError} w={160} />
          <Button type="submit" mt={25} loading={create.isPending}>
            Create token
          </Button>
        </Group>
      </form>
      {create.error && !nameError && !daysError && (
        <Alert color="red" role="alert">
          {create.error.message}
        </Alert>
      )}
      {revoke.error && <Alert color="red">{revoke.error.message}</Alert>}
      <QueryState isPending={tokens.isPending} error={tokens.error} isEmpty={list.length === 0} empty="No API tokens yet.">
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="tokens">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Starts with</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>{t.name}</Table.Td>
                  <Table.Td>
                    <Badge variant="outline">{t.role}</Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {t.prefix}…
                    </Text>
                  </Table.Td>
                  <Table.Td>{dateTime(t.createdAt)}</Table.Td>
                  <Table.Td>{t.expiresAt ? dateTime(t.expiresAt) : 'never'}</Table.Td>
                  <Table.Td>{t.lastUsedAt ? <RelativeTime iso={t.lastUsedAt} /> : 'never'}</Table.Td>
                  <Table.Td ta="right">
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke token ${t.name}`}
                      title={`Revoke "${t.name}"?`}
                      confirm="Revoke token"
                      loading={revoke.isPending}
                      onConfirm={() => revoke.mutateAsync(t.id)}
                    >
                      Anything using this token gets 401 from now on. This cannot be undone.
                    </ConfirmButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
      <SecretOnceModal title="Your new API token" label="Token" secret={secret} onClose={() => setSecret(null)} />
    </Stack>
  );
}
