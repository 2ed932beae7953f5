import type { ReactNode } from 'react';
import { Alert, Center, Loader, Text } from '@mantine/core';

/** What every list shows while it loads, when it failed, and when it is empty. */
export function QueryState({
  isPending,
  error,
  isEmpty,
  empty,
  children,
}: {
  isPending: boolean;
  error: Error | null;
  isEmpty?: boolean;
  empty?: ReactNode;
  children: ReactNode;
}) {
  if (isPending) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (error) {
    return (
      <Alert color="red" title="Could not load" role="alert">
        {error.message}
      </Alert>
    );
  }
  if (isEmpty) {
    return (
      <Text c="dimmed" py="md">
        {empty ?? 'Nothing here yet.'}
      </Text>
    );
  }
  return <>{children}</>;
}
