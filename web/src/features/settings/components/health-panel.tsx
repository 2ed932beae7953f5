import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { useAirflowRunLinks } from '../api/get-airflow-run-links';
import { useHealth } from '../api/get-health';

/**
 * Airflow's UI: the part before `/dags/` of a run's link (which honours
 * AIRFLOW_UI_URL), else the Airflow address the health detail names.
 */
export function airflowUiUrl(runLinks: string[], detail: string | undefined): string | null {
  const link = runLinks[0];
  if (link) return link.includes('/dags/') ? link.slice(0, link.indexOf('/dags/')) : new URL(link).origin;
  const named = detail?.match(/https?:\/\/[^\s;,)]+/)?.[0];
  return named ? named.replace(/\/api\/v\d+\/?$/, '').replace(/\/+$/, '') : null;
}

const okBadge = (ok: boolean | null) =>
  ok === null ? (
    <Badge color="gray">not checked</Badge>
  ) : (
    <Badge color={ok ? 'green' : 'red'}>{ok ? 'ok' : 'down'}</Badge>
  );

/** The server's view of its database and orchestrator, with a way into Airflow's UI when Airflow runs the pipelines. */
export function HealthPanel() {
  const health = useHealth();
  const orchestrator = health.data?.orchestrator;
  const isAirflow = orchestrator?.kind === 'airflow';
  const links = useAirflowRunLinks(isAirflow);
  const ui = isAirflow ? airflowUiUrl(links.data ?? [], orchestrator?.detail) : null;
  return (
    <Stack>
      <Title order={3}>Orchestrator and health</Title>
      <QueryState isPending={health.isPending} error={health.error}>
        {health.data && orchestrator && (
          <SimpleGrid cols={{ base: 1, sm: 2 }} data-testid="health">
            <Paper withBorder p="md">
              <Stack gap={6}>
                <Group justify="space-between">
                  <Text fw={600}>Orchestrator: {orchestrator.kind === 'airflow' ? 'Apache Airflow' : 'builtin'}</Text>
                  {okBadge(orchestrator.ok)}
                </Group>
                {orchestrator.detail && (
                  <Text size="sm" c="dimmed">
                    {orchestrator.detail}
                  </Text>
                )}
                {ui && (
                  <Anchor href={ui} target="_blank" rel="noreferrer" size="sm">
                    Open the Airflow UI
                  </Anchor>
                )}
              </Stack>
            </Paper>
            <Paper withBorder p="md">
              <Stack gap={6}>
                <Group justify="space-between">
                  <Text fw={600}>Database: {health.data.database.kind === 'pglite' ? 'embedded PostgreSQL' : 'PostgreSQL'}</Text>
                  {okBadge(health.data.database.ok)}
                </Group>
                <Text size="sm" c="dimmed">
                  Sluice {health.data.version} · {health.data.status}
                </Text>
              </Stack>
            </Paper>
          </SimpleGrid>
        )}
      </QueryState>
    </Stack>
  );
}
