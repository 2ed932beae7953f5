import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Group, PasswordInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { ApiError } from '../../../lib/api-client';
import { dateTime } from '../../../lib/format';
import { useCreateUser } from '../api/create-user';
import { useUsers } from '../api/get-users';

const ROLES = ['admin', 'editor', 'viewer'] as const;
type Role = (typeof ROLES)[number];

/** The organisation's users; admins add users with a role. */
export function UsersPanel({ canManage }: { canManage: boolean }) {
  const users = useUsers();
  const list = users.data?.users ?? [];
  return (
    <Stack>
      <Title order={3}>Users</Title>
      {canManage && <CreateUserForm />}
      <QueryState isPending={users.isPending} error={users.error} isEmpty={list.length === 0} empty="No users.">
        <Table.ScrollContainer minWidth={600}>
          <Table striped data-testid="users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Added</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>
                    {u.email}{' '}
                    {u.disabled && (
                      <Badge color="gray" size="xs">
                        disabled
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{u.name ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge variant="outline">{u.role}</Badge>
                  </Table.Td>
                  <Table.Td>{dateTime(u.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
    </Stack>
  );
}

function CreateUserForm() {
  const create = useCreateUser();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const error = create.error instanceof ApiError ? create.error : null;
  const errors = { email: error?.field('email'), name: error?.field('name'), password: error?.field('password'), role: error?.field('role') };
  const general = create.error && !Object.values(errors).some(Boolean) ? create.error.message : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { email: email.trim(), password, role, ...(name.trim() ? { name: name.trim() } : {}) },
      {
        onSuccess: () => {
          setEmail('');
          setName('');
          setPassword('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Add a user">
      <Stack gap="xs">
        <Group align="start" wrap="wrap">
          <TextInput label="Email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.email} w={240} />
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} w={180} />
          <PasswordInput
            label="Password"
            required
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.password}
            w={200}
          />
          <Select label="Role" data={[...ROLES]} value={role} onChange={(v) => setRole((v as Role | null) ?? 'viewer')} allowDeselect={false} error={errors.role} w={120} />
          <Button type="submit" mt={25} loading={create.isPending}>
            Add user
          </Button>
        </Group>
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
        {create.isSuccess && (
          <Text size="sm" c="teal">
            Added {create.data.email} as {create.data.role}.
          </Text>
        )}
      </Stack>
    </form>
  );
}
