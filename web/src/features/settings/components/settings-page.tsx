import { Stack, Tabs, Title } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useCanEdit, useMe } from '../../../lib/auth';
import { HealthPanel } from './health-panel';
import { NotificationsPanel } from './notifications-panel';
import { TokensPanel } from './tokens-panel';
import { UsersPanel } from './users-panel';

/** Settings: users, API tokens (admins), notification targets, orchestrator health. The tab is kept in the URL (?tab=tokens). */
export function SettingsPage() {
  const isAdmin = useMe().data?.role === 'admin';
  const canEdit = useCanEdit();
  const tabs = [
    { value: 'users', label: 'Users' },
    ...(isAdmin ? [{ value: 'tokens', label: 'API tokens' }] : []),
    { value: 'notifications', label: 'Notifications' },
    { value: 'health', label: 'Orchestrator' },
  ];
  const [params, setParams] = useSearchParams();
  const tab = tabs.some((t) => t.value === params.get('tab')) ? params.get('tab')! : 'users';
  return (
    <Stack>
      <Title order={2}>Settings</Title>
      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'users' ? { tab: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List>
          {tabs.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="users" pt="md">
          <UsersPanel canManage={isAdmin} />
        </Tabs.Panel>
        {isAdmin && (
          <Tabs.Panel value="tokens" pt="md">
            <TokensPanel />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="notifications" pt="md">
          <NotificationsPanel canEdit={canEdit} />
        </Tabs.Panel>
        <Tabs.Panel value="health" pt="md">
          <HealthPanel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
