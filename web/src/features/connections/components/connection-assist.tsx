import { useState } from 'react';
import { Alert, Badge, Button, Fieldset, Group, List, NativeSelect, Stack, Text, Textarea } from '@mantine/core';
import { useDetectConnection, type Detection } from '../api/detect-connection';
import { useImportCurl, type CurlImport } from '../api/import-curl';
import { useImportOpenApi, type OpenApiImport, type OpenApiInput } from '../api/import-openapi';
import type { ConnectionInput } from '../api/create-connection';
import { configOf, formOfProposal, type ConnectionForm } from './connection-form';

const CONFIDENCE_COLOR = { high: 'teal', medium: 'yellow', low: 'orange', none: 'gray' } as const;
const FINDING_LABELS: Record<keyof Detection['findings'], string> = {
  recordsPath: 'Records',
  pagination: 'Pages',
  fieldMappings: 'Fields',
  primaryKey: 'Primary key',
  incremental: 'Incremental cursor',
};

/** A finding's value in a few words. */
function valueInWords(key: keyof Detection['findings'], value: unknown): string {
  if (value === null || value === undefined) return key === 'recordsPath' ? 'the answer itself' : 'not decided';
  switch (key) {
    case 'recordsPath':
      return String(value);
    case 'pagination': {
      const p = value as { type: string } & Record<string, unknown>;
      if (p.type === 'none') return 'one page';
      const parts = Object.entries(p)
        .filter(([k]) => k !== 'type')
        .map(([k, v]) => `${k} ${String(v)}`);
      return `${p.type}${parts.length ? ` (${parts.join(', ')})` : ''}`;
    }
    case 'fieldMappings':
      return `${String(value)} fields`;
    case 'primaryKey':
      return (value as { field: string }).field;
    case 'incremental':
      return (value as { cursorField: string }).cursorField;
  }
}

/** What detection decided, each with its evidence and confidence, and what it asks. */
export function DetectionEvidence({ detection }: { detection: Detection }) {
  return (
    <Stack gap="xs" data-testid="detection-evidence">
      {detection.questions.map((q) => (
        <Alert key={q.about + q.question} color="yellow" title="A question before saving">
          <Text size="sm">{q.question}</Text>
          <List size="xs" mt={4}>
            {q.saw.map((s) => (
              <List.Item key={s}>{s}</List.Item>
            ))}
          </List>
        </Alert>
      ))}
      {(Object.keys(FINDING_LABELS) as (keyof Detection['findings'])[]).map((key) => {
        const f = detection.findings[key];
        return (
          <Stack key={key} gap={2}>
            <Group gap="xs">
              <Text size="sm" fw={500}>
                {FINDING_LABELS[key]}: {valueInWords(key, f.value)}
              </Text>
              <Badge size="xs" variant="light" color={CONFIDENCE_COLOR[f.confidence]}>
                {f.confidence === 'none' ? 'undecided' : `${f.confidence} confidence`}
              </Badge>
            </Group>
            <List size="xs" c="dimmed">
              {f.evidence.map((e) => (
                <List.Item key={e}>{e}</List.Item>
              ))}
            </List>
          </Stack>
        );
      })}
    </Stack>
  );
}

/** The options of a curl command Sluice leaves out, and those it carries out its own way. */
function CurlWarnings({ imported }: { imported: CurlImport }) {
  if (imported.warnings.length === 0 && imported.notes.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="curl-warnings">
      {imported.warnings.length > 0 && (
        <Alert color="yellow" title="Left out of the connection">
          <List size="sm">
            {imported.warnings.map((w) => (
              <List.Item key={w.option + w.message}>
                {w.option}: {w.message}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      {imported.notes.map((n) => (
        <Text key={n} size="xs" c="dimmed">
          {n}
        </Text>
      ))}
    </Stack>
  );
}

export interface ConnectionAssistProps {
  form: ConnectionForm;
  onProposal: (form: ConnectionForm) => void;
}

/**
 * Where a new connection starts: Detect reads a few pages of the Base URL (with the authentication typed
 * below, used for the probe only) and fills in the rest with its evidence; a pasted curl command fills in the
 * request and its credentials, naming what it leaves out.
 */
export function ConnectionAssist({ form, onProposal }: ConnectionAssistProps) {
  const detect = useDetectConnection();
  const readCurl = useImportCurl();
  const [command, setCommand] = useState('');
  const [detection, setDetection] = useState<Detection | null>(null);
  const [imported, setImported] = useState<CurlImport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const readOpenApi = useImportOpenApi();
  const [openApiText, setOpenApiText] = useState('');
  const [openApi, setOpenApi] = useState<OpenApiImport | null>(null);
  const [operation, setOperation] = useState('');
  /** A URL is fetched by the server; anything else is the document itself. */
  const openApiSource = (): OpenApiInput => (/^https?:\/\/\S+$/i.test(openApiText.trim()) ? { url: openApiText.trim() } : { document: openApiText });
  const onListOperations = () => {
    setError(null);
    setOpenApi(null);
    readOpenApi.mutate(openApiSource(), {
      onSuccess: (answer) => {
        setOpenApi(answer);
        setOperation(answer.operations[0]?.key ?? '');
      },
      onError: (e) => setError(e.message),
    });
  };
  const onUseOperation = () => {
    setError(null);
    setDetection(null);
    setImported(null);
    readOpenApi.mutate(
      { ...openApiSource(), operation },
      {
        onSuccess: (answer) => {
          setOpenApi(answer);
          if (answer.proposal) onProposal(formOfProposal(answer.proposal as unknown as ConnectionInput, form, { keepAuth: false }));
        },
        onError: (e) => setError(e.message),
      },
    );
  };

  const onDetect = () => {
    setError(null);
    setImported(null);
    let apiConfig;
    try {
      apiConfig = configOf(form).apiConfig;
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    detect.mutate(
      { url: apiConfig.baseUrl, method: apiConfig.method, auth: apiConfig.auth, headers: apiConfig.headers, body: apiConfig.body },
      {
        onSuccess: (answer) => {
          setDetection(answer);
          onProposal(formOfProposal(answer.proposal, form, { keepAuth: true }));
        },
        onError: (e) => setError(e.message),
      },
    );
  };

  const onReadCurl = () => {
    setError(null);
    setDetection(null);
    readCurl.mutate(command, {
      onSuccess: (answer) => {
        setImported(answer);
        onProposal(formOfProposal(answer.proposal, form, { keepAuth: false }));
      },
      onError: (e) => setError(e.message),
    });
  };

  return (
    <Fieldset legend="Start from an address or a curl command">
      <Stack gap="sm">
        <Group align="center">
          <Button variant="light" onClick={onDetect} loading={detect.isPending} disabled={form.baseUrl.trim() === ''}>
            Detect
          </Button>
          <Text size="sm" c="dimmed">
            Type the Base URL (and the authentication, if the API needs it) below, then Detect: Sluice reads a few pages and fills in the records, pages, fields, key and cursor, saying why.
          </Text>
        </Group>
        <Textarea
          label="Paste a curl command"
          description="As the API's documentation shows it; its credentials go into the secret fields, sealed when saved"
          placeholder="curl -H 'Authorization: Bearer …' https://api.example.com/v1/items"
          value={command}
          onChange={(e) => setCommand(e.currentTarget.value)}
          autosize
          minRows={2}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        <Group>
          <Button variant="default" onClick={onReadCurl} loading={readCurl.isPending} disabled={command.trim() === ''}>
            Fill in from the command
          </Button>
        </Group>
        <Textarea
          label="Or an OpenAPI document"
          description="Its URL, or the document itself (JSON or YAML)"
          placeholder="https://api.example.com/openapi.json"
          value={openApiText}
          onChange={(e) => setOpenApiText(e.currentTarget.value)}
          autosize
          minRows={1}
          maxRows={8}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        <Group align="flex-end">
          <Button variant="default" onClick={onListOperations} loading={readOpenApi.isPending && !openApi} disabled={openApiText.trim() === ''}>
            List its operations
          </Button>
          {openApi && openApi.operations.length > 0 && (
            <>
              <NativeSelect
                label="Operation"
                data={openApi.operations.map((o) => ({ value: o.key, label: o.summary ? `${o.key} (${o.summary})` : o.key }))}
                value={operation}
                onChange={(e) => setOperation(e.currentTarget.value)}
              />
              <Button variant="default" onClick={onUseOperation} loading={readOpenApi.isPending}>
                Fill in from the operation
              </Button>
            </>
          )}
        </Group>
        {openApi?.needs && openApi.needs.length > 0 && (
          <Alert color="yellow" title="To fill in" data-testid="openapi-needs">
            <List size="sm">
              {openApi.needs.map((n) => (
                <List.Item key={n.field}>
                  {n.field}: {n.message}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        {error && (
          <Alert color="red" role="alert" title="That did not work">
            {error}
          </Alert>
        )}
        {imported && <CurlWarnings imported={imported} />}
        {detection && <DetectionEvidence detection={detection} />}
      </Stack>
    </Fieldset>
  );
}
