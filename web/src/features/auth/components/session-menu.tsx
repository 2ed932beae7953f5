import { Badge, Button, Group, Text } from '@mantine/core';
import { useMe } from '../../../lib/auth';
import { useLogout } from '../api/logout';

/** The signed-in user's organisation and role, and the way out. */
export function SessionMenu() {
  const { data: me } = useMe();
  const logout = useLogout();
  if (!me) return null;
  return (
    <Group gap="sm" wrap="nowrap">
      <Text size="sm" visibleFrom="sm" data-testid="session-org">
        {me.org.name} <Text span c="dimmed">({me.org.id})</Text>
      </Text>
      <Badge variant="outline" data-testid="session-role">
        {me.role}
      </Badge>
      {me.user && (
        <Text size="sm" c="dimmed" visibleFrom="md">
          {me.user.email}
        </Text>
      )}
      <Button size="xs" variant="default" onClick={() => logout.mutate()} loading={logout.isPending}>
        Log out
      </Button>
    </Group>
  );
}
