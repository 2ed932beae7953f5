import { Center, Loader } from '@mantine/core';
import { Navigate, Outlet, useLocation } from 'react-router';
import { useMe, useToken } from '../lib/auth';

/** Signed-in pages only: without a token (or with one the server no longer takes), the login page. */
export function RequireSession() {
  const token = useToken();
  const me = useMe();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (me.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  return <Outlet />;
}
