import { AppShell, Burger, Group, NavLink, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { Link, Outlet, useLocation } from 'react-router';
import { SessionMenu } from '../features/auth';
import { useMe } from '../lib/auth';

const NAV = [
  { to: '/', label: 'Dashboard' },
  { to: '/tables', label: 'Tables' },
  { to: '/forecasts', label: 'Forecasts' },
  { to: '/files', label: 'Files' },
  { to: '/connections', label: 'Connections' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/runs', label: 'Runs' },
  { to: '/settings', label: 'Settings' },
  // The API answers the audit trail to admins only.
  { to: '/audit', label: 'Audit', adminOnly: true },
];

/** The frame of every signed-in page: header with the session, navigation, the page. */
export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const { pathname } = useLocation();
  const isAdmin = useMe().data?.role === 'admin';
  // Below the `sm` breakpoint the navigation is a drawer behind the burger; closed, it is out of the tab order too.
  const mobile = useMediaQuery('(max-width: 48em)');
  const current = (to: string) => (to === '/' ? pathname === '/' : pathname === to || pathname.startsWith(`${to}/`));
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3}>Sluice</Title>
          </Group>
          <SessionMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main" style={mobile && !opened ? { visibility: 'hidden' } : undefined}>
        {NAV.filter((item) => !item.adminOnly || isAdmin).map((item) => (
          <NavLink key={item.to} component={Link} to={item.to} label={item.label} active={current(item.to)} onClick={close} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
