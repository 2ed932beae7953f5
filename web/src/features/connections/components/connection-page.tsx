import type { ReactNode } from 'react';
import { Anchor, Group, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { useConnection } from '../api/get-connection';
import type { Connection } from '../api/get-connections';
import { ConnectionBuilder } from './connection-builder';
import { LatestRunCell } from './connections-list';
import { NextRunPanel } from './next-run-panel';

const Heading = ({ children }: { children: ReactNode }) => (
  <Title order={2} style={{ overflowWrap: 'anywhere' }}>
    <Anchor component={Link} to="/connections" c="dimmed" inherit>
      Connections
    </Anchor>{' '}
    / {children}
  </Title>
);

/** A new connection: the empty builder; `onSaved` leads to the saved connection's page. */
export function NewConnectionPage({ onSaved }: { onSaved: (connection: Connection) => void }) {
  return (
    <Stack>
      <Heading>New connection</Heading>
      <ConnectionBuilder onSaved={onSaved} />
    </Stack>
  );
}

/** A saved connection: its builder, with room below for what the app adds (its schedule). */
export function ConnectionPage({
  id,
  onDeleted,
  onRunStarted,
  children,
}: {
  id: string;
  onDeleted: () => void;
  onRunStarted: (runId: string) => void;
  children?: ReactNode;
}) {
  const connection = useConnection(id);
  const data = connection.data;
  return (
    <Stack>
      <Heading>{data?.name ?? id}</Heading>
      <QueryState isPending={connection.isPending} error={connection.error}>
        {data && (
          <>
            <Group gap="xs">
              <Text c="dimmed" size="sm">
                <Text span ff="monospace" inherit>{data.id}</Text> → table <Text span ff="monospace" inherit>{data.destination.table}</Text> · latest run
              </Text>
              <LatestRunCell run={data.latestRun} />
            </Group>
            <ConnectionBuilder connection={data} onDeleted={onDeleted} onRunStarted={onRunStarted} />
            <NextRunPanel connectionId={data.id} />
            {children}
          </>
        )}
      </QueryState>
    </Stack>
  );
}
