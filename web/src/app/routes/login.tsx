import { Center } from '@mantine/core';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { LoginForm } from '../../features/auth';
import { useToken } from '../../lib/auth';

export function LoginRoute() {
  const token = useToken();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? '/';
  if (token) return <Navigate to={from} replace />;
  return (
    <Center mih="100vh" p="md">
      <LoginForm onSuccess={() => navigate(from, { replace: true })} />
    </Center>
  );
}
