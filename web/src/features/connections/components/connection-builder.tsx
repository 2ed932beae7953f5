import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  ActionIcon,
  Alert,
  Button,
  Fieldset,
  Group,
  NativeSelect,
  NumberInput,
  PasswordInput,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { ApiError } from '../../../lib/api-client';
import { useCanEdit } from '../../../lib/auth';
import type { Connection } from '../api/get-connections';
import { useCreateConnection } from '../api/create-connection';
import { useUpdateConnection } from '../api/update-connection';
import { useDeleteConnection } from '../api/delete-connection';
import { usePreviewConnection, type Preview, type PreviewInput } from '../api/preview-connection';
import { useRunConnection } from '../api/run-connection';
import {
  AUTH_TYPES,
  configOf,
  emptyForm,
  FormProblem,
  formOf,
  hasMaskedSecret,
  METHODS,
  PAGINATION_TYPES,
  PARAMETER_PLACES,
  patchOf,
  SECRET_MASK,
  WRITE_MODES,
  type AuthFields,
  type ConnectionForm,
  type MappingRow,
  type PaginationFields,
} from './connection-form';
import { ConnectionAssist } from './connection-assist';
import { MappingEditor } from './mapping-editor';
import { fieldLabel, listInWords } from './plain-words';
import { PreviewResult } from './preview-result';

/** Templates and JSON read best in a fixed-width font; the label stays as every other label. */
const MONO_INPUT = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

const AUTH_LABELS: Record<AuthFields['type'], string> = {
  none: 'None',
  bearer: 'Bearer token',
  basic: 'Basic (username and password)',
  apiKey: 'API key',
  oauth2ClientCredentials: 'OAuth 2 client credentials',
};
const PAGINATION_LABELS: Record<PaginationFields['type'], string> = {
  none: 'None (one request)',
  page: 'Page number',
  offset: 'Offset and limit',
  cursor: 'Cursor',
  nextUrl: 'Next URL in the body',
  linkHeader: 'Link header',
};

/** The form fields of each auth and pagination type, named as the API names them. */
const AUTH_FIELDS: Record<AuthFields['type'], (keyof AuthFields)[]> = {
  none: [],
  bearer: ['token'],
  basic: ['username', 'password'],
  apiKey: ['in', 'name', 'value'],
  oauth2ClientCredentials: ['tokenUrl', 'clientId', 'clientSecret', 'scope', 'clientAuth'],
};
const PAGINATION_FIELDS: Record<PaginationFields['type'], (keyof PaginationFields)[]> = {
  none: [],
  page: ['pageParam', 'startPage', 'sizeParam', 'pageSize', 'totalPagesPath', 'totalPagesHeader', 'maxPages'],
  offset: ['offsetParam', 'limitParam', 'limit', 'totalPath', 'totalHeader', 'maxPages'],
  cursor: ['cursorPath', 'cursorParam', 'cursorIn', 'hasMorePath', 'maxPages'],
  nextUrl: ['nextUrlPath', 'maxPages'],
  linkHeader: ['rel', 'maxPages'],
};
const PAGINATION_HINTS: Partial<Record<keyof PaginationFields, { label: string; placeholder?: string }>> = {
  pageParam: { label: 'Page parameter', placeholder: 'page' },
  startPage: { label: 'First page', placeholder: '1' },
  sizeParam: { label: 'Page size parameter', placeholder: 'per_page' },
  pageSize: { label: 'Page size', placeholder: '50' },
  totalPagesPath: { label: 'Total pages (JSONPath)', placeholder: '$.total_pages' },
  totalPagesHeader: { label: 'Total pages header', placeholder: 'X-Total-Pages' },
  offsetParam: { label: 'Offset parameter', placeholder: 'offset' },
  limitParam: { label: 'Limit parameter', placeholder: 'limit' },
  limit: { label: 'Limit', placeholder: '100' },
  totalPath: { label: 'Total (JSONPath)', placeholder: '$.total' },
  totalHeader: { label: 'Total header', placeholder: 'X-Total-Count' },
  cursorPath: { label: 'Next cursor (JSONPath)', placeholder: '$.meta.next_cursor' },
  cursorParam: { label: 'Cursor parameter', placeholder: 'cursor' },
  cursorIn: { label: 'Cursor sent in (query or body)', placeholder: 'query' },
  hasMorePath: { label: 'More pages flag (JSONPath)', placeholder: '$.has_more' },
  nextUrlPath: { label: 'Next URL (JSONPath)', placeholder: '$.next' },
  rel: { label: 'Link relation', placeholder: 'next' },
  maxPages: { label: 'At most pages', placeholder: 'no limit' },
};

/** The fields this form shows for its current auth and pagination types: an API issue under any of them lands next to it. */
function shownFields(f: ConnectionForm): string[] {
  return [
    'id',
    'name',
    'apiConfig.baseUrl',
    'apiConfig.method',
    'apiConfig.headers',
    'apiConfig.body',
    'apiConfig.auth.type',
    ...AUTH_FIELDS[f.auth.type].map((k) => `apiConfig.auth.${k}`),
    'apiConfig.pagination.type',
    ...PAGINATION_FIELDS[f.pagination.type].map((k) => `apiConfig.pagination.${k}`),
    'apiConfig.recordsPath',
    'apiConfig.rateLimit.requestsPerSecond',
    'apiConfig.timeoutMs',
    'apiConfig.retry.maxAttempts',
    ...f.parameters.flatMap((_, i) => ['name', 'in', 'value'].map((k) => `parameters.${i}.${k}`)),
    ...f.fieldMappings.flatMap((_, i) => ['source', 'target', 'type'].map((k) => `fieldMappings.${i}.${k}`)),
    'destination.table',
    'destination.writeMode',
    'destination.primaryKey',
    'incremental.cursorField',
  ];
}

const under = (issue: string, field: string) => issue === field || issue.startsWith(`${field}.`) || issue.startsWith(`${field}[`);

export interface ConnectionBuilderProps {
  /** The saved connection; absent for a new one. */
  connection?: Connection;
  onSaved?: (connection: Connection) => void;
  onDeleted?: () => void;
  onRunStarted?: (runId: string) => void;
}

/**
 * The no-code builder for one connection: every field of its configuration,
 * the API's field errors next to each field, Test (preview) with the mapping
 * editor, then save, run now and delete. Viewers see it read-only.
 */
export function ConnectionBuilder({ connection, onSaved, onDeleted, onRunStarted }: ConnectionBuilderProps) {
  const canEdit = useCanEdit();
  const [saved, setSaved] = useState<Connection | undefined>(connection);
  const [form, setForm] = useState<ConnectionForm>(() => (connection ? formOf(connection) : emptyForm()));
  // The last failure and what caused it: a Test failure shows by the Test button, others by the Save button.
  const [failure, setFailure] = useState<{ error: Error; from: 'test' | 'other' } | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const create = useCreateConnection();
  const update = useUpdateConnection();
  const remove = useDeleteConnection();
  const test = usePreviewConnection();
  const run = useRunConnection();

  const dirty = useMemo(() => !saved || JSON.stringify(form) !== JSON.stringify(formOf(saved)), [form, saved]);
  const problem = failure?.error ?? null;
  const issues = problem instanceof ApiError ? problem.issues : problem instanceof FormProblem ? [{ field: problem.field, message: problem.message }] : [];
  const errorFor = (field: string) => {
    const found = issues.filter((i) => under(i.field, field));
    return found.length ? found.map((i) => (i.field === field ? i.message : `${i.field.slice(field.length + 1)}: ${i.message}`)).join('; ') : undefined;
  };
  const shown = shownFields(form);
  const elsewhere = issues.filter((i) => !shown.some((f) => under(i.field, f)));
  const named = issues.filter((i) => !elsewhere.includes(i));

  // A refused save or test with field problems: the first field in need comes into view and takes the focus,
  // wherever on this long form it is (the alert is by the button that was pressed).
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!failure || issues.length === 0) return;
    const first = root.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (!first) return;
    first.scrollIntoView?.({ block: 'center', behavior: 'smooth' });
    first.focus({ preventScroll: true });
    // Only when a new failure arrives (`issues` is derived from it): not while the person goes on typing.
  }, [failure]);

  const edit = (change: Partial<ConnectionForm>) => setForm((f) => ({ ...f, ...change }));
  const editAuth = (change: Partial<AuthFields>) => setForm((f) => ({ ...f, auth: { ...f.auth, ...change } }));
  const editPagination = (change: Partial<PaginationFields>) => setForm((f) => ({ ...f, pagination: { ...f.pagination, ...change } }));
  const setMappings = useCallback((fieldMappings: MappingRow[]) => setForm((f) => ({ ...f, fieldMappings })), []);

  /** Calls fn, keeping its failure (an API error with field issues, or a form problem) to show next to the fields. */
  const attempt = (from: 'test' | 'other', fn: (fail: (error: Error) => void) => void) => {
    const fail = (error: Error) => setFailure({ error, from });
    setFailure(null);
    try {
      fn(fail);
    } catch (error) {
      fail(error as Error);
    }
  };

  // A saved connection whose masked secrets are still in the form can only be tested as saved: the server has the secrets.
  const testsSaved = saved !== undefined && (!dirty || hasMaskedSecret(form));
  const onTest = () =>
    attempt('test', (fail) => {
      const input: PreviewInput = testsSaved && saved ? { id: saved.id } : { config: configOf(form) };
      test.mutate(input, { onSuccess: setPreview, onError: fail });
    });

  const onSave = () =>
    attempt('other', (fail) => {
      const done = (answer: Connection) => {
        setSaved(answer);
        setForm(formOf(answer));
        onSaved?.(answer);
      };
      if (saved) update.mutate({ id: saved.id, patch: patchOf(form) }, { onSuccess: done, onError: fail });
      else create.mutate(configOf(form), { onSuccess: done, onError: fail });
    });

  const onRun = () =>
    attempt('other', (fail) => saved && run.mutate(saved.id, { onSuccess: (answer) => onRunStarted?.(answer.runId), onError: fail }));
  const onDelete = () => attempt('other', (fail) => saved && remove.mutate(saved.id, { onSuccess: () => onDeleted?.(), onError: fail }));

  const problemAlert = problem && (
    <Alert
      color="red"
      role="alert"
      data-testid="builder-problem"
      title={issues.length ? `${issues.length === 1 ? 'A field needs' : 'Some fields need'} a change` : failure?.from === 'test' ? 'The test did not read the source' : 'That did not work'}
    >
      {issues.length === 0 ? (
        problem.message
      ) : (
        <Stack gap={4}>
          {named.length > 0 && <Text size="sm">Check {listInWords(named.map((i) => fieldLabel(i.field)))}: the messages are next to {named.length === 1 ? 'it' : 'them'}.</Text>}
          {elsewhere.map((i) => (
            <Text size="sm" key={i.field}>
              {fieldLabel(i.field)}: {i.message}
            </Text>
          ))}
        </Stack>
      )}
    </Alert>
  );

  const secretInput = (label: string, key: 'token' | 'password' | 'value' | 'clientSecret') => (
    <PasswordInput
      label={label}
      value={form.auth[key]}
      onChange={(e) => editAuth({ [key]: e.currentTarget.value })}
      error={errorFor(`apiConfig.auth.${key}`)}
      description={form.auth[key] === SECRET_MASK ? 'Stored encrypted; leave ******** to keep it' : undefined}
      autoComplete="off"
      required
    />
  );

  return (
    <Stack ref={root}>
      {canEdit && !saved && <ConnectionAssist form={form} onProposal={setForm} />}
      <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0, minWidth: 0 }}>
        <Stack>
          <Fieldset legend="Connection">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Name" value={form.name} onChange={(e) => edit({ name: e.currentTarget.value })} error={errorFor('name')} required />
              <TextInput
                label="Id"
                description={saved ? 'Fixed once saved' : 'Optional: generated when blank; part of the pipeline name'}
                value={form.id}
                readOnly={saved !== undefined}
                onChange={(e) => edit({ id: e.currentTarget.value })}
                error={errorFor('id')}
              />
            </SimpleGrid>
          </Fieldset>

          <Fieldset legend="Request">
            <Stack gap="sm">
              <Group align="flex-start" wrap="nowrap">
                <NativeSelect
                  label="Method"
                  data={[...METHODS]}
                  value={form.method}
                  onChange={(e) => edit({ method: e.currentTarget.value as ConnectionForm['method'] })}
                  error={errorFor('apiConfig.method')}
                  w={110}
                />
                <TextInput
                  label="Base URL"
                  placeholder="https://api.example.com/users"
                  value={form.baseUrl}
                  onChange={(e) => edit({ baseUrl: e.currentTarget.value })}
                  error={errorFor('apiConfig.baseUrl')}
                  required
                  style={{ flex: 1 }}
                />
              </Group>
              <Rows
                title="Headers"
                addLabel="Add header"
                error={errorFor('apiConfig.headers')}
                rows={form.headers}
                onAdd={() => edit({ headers: [...form.headers, { name: '', value: '' }] })}
                onRemove={(i) => edit({ headers: form.headers.filter((_, j) => j !== i) })}
                render={(h, i) => (
                  <>
                    <TextInput aria-label={`Header ${i + 1} name`} placeholder="Accept" value={h.name} onChange={(e) => edit({ headers: form.headers.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)) })} />
                    <TextInput
                      aria-label={`Header ${i + 1} value`}
                      placeholder="application/json"
                      value={h.value}
                      style={{ flex: 1 }}
                      onChange={(e) => edit({ headers: form.headers.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x)) })}
                    />
                  </>
                )}
              />
              <Rows
                title="Parameters"
                hint="Values are templates: {{ last_run_at | date: '%Y-%m-%d' }}, {{ cursor }}, {{ now }}. A value that renders empty is not sent."
                addLabel="Add parameter"
                rows={form.parameters}
                onAdd={() => edit({ parameters: [...form.parameters, { name: '', in: 'query', value: '' }] })}
                onRemove={(i) => edit({ parameters: form.parameters.filter((_, j) => j !== i) })}
                render={(p, i) => {
                  const change = (c: Partial<ConnectionForm['parameters'][number]>) => edit({ parameters: form.parameters.map((x, j) => (j === i ? { ...x, ...c } : x)) });
                  return (
                    <>
                      <TextInput aria-label={`Parameter ${i + 1} name`} placeholder="since" value={p.name} onChange={(e) => change({ name: e.currentTarget.value })} error={errorFor(`parameters.${i}.name`)} />
                      <NativeSelect aria-label={`Parameter ${i + 1} place`} data={[...PARAMETER_PLACES]} value={p.in} onChange={(e) => change({ in: e.currentTarget.value as typeof p.in })} />
                      <TextInput
                        aria-label={`Parameter ${i + 1} value`}
                        placeholder="{{ last_run_at }}"
                        value={p.value}
                        style={{ flex: 1 }}
                        styles={MONO_INPUT}
                        onChange={(e) => change({ value: e.currentTarget.value })}
                        error={errorFor(`parameters.${i}.value`)}
                      />
                    </>
                  );
                }}
              />
              {form.method !== 'GET' && (
                <Textarea
                  label="Body (JSON)"
                  description="Strings in it are templates"
                  value={form.body}
                  onChange={(e) => edit({ body: e.currentTarget.value })}
                  error={errorFor('apiConfig.body')}
                  autosize
                  minRows={3}
                  styles={MONO_INPUT}
                />
              )}
            </Stack>
          </Fieldset>

          <Fieldset legend="Authentication">
            <Stack gap="sm">
              <NativeSelect
                label="Type"
                data={AUTH_TYPES.map((t) => ({ value: t, label: AUTH_LABELS[t] }))}
                value={form.auth.type}
                onChange={(e) => editAuth({ type: e.currentTarget.value as AuthFields['type'] })}
                error={errorFor('apiConfig.auth.type')}
              />
              {form.auth.type === 'bearer' && secretInput('Token', 'token')}
              {form.auth.type === 'basic' && (
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput label="Username" value={form.auth.username} onChange={(e) => editAuth({ username: e.currentTarget.value })} error={errorFor('apiConfig.auth.username')} required />
                  {secretInput('Password', 'password')}
                </SimpleGrid>
              )}
              {form.auth.type === 'apiKey' && (
                <SimpleGrid cols={{ base: 1, sm: 3 }}>
                  <NativeSelect label="Sent in" data={['header', 'query']} value={form.auth.in} onChange={(e) => editAuth({ in: e.currentTarget.value as AuthFields['in'] })} error={errorFor('apiConfig.auth.in')} />
                  <TextInput label="Name" value={form.auth.name} onChange={(e) => editAuth({ name: e.currentTarget.value })} error={errorFor('apiConfig.auth.name')} required />
                  {secretInput('Key', 'value')}
                </SimpleGrid>
              )}
              {form.auth.type === 'oauth2ClientCredentials' && (
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput label="Token URL" value={form.auth.tokenUrl} onChange={(e) => editAuth({ tokenUrl: e.currentTarget.value })} error={errorFor('apiConfig.auth.tokenUrl')} required />
                  <TextInput label="Client id" value={form.auth.clientId} onChange={(e) => editAuth({ clientId: e.currentTarget.value })} error={errorFor('apiConfig.auth.clientId')} required />
                  {secretInput('Client secret', 'clientSecret')}
                  <TextInput label="Scope" value={form.auth.scope} onChange={(e) => editAuth({ scope: e.currentTarget.value })} error={errorFor('apiConfig.auth.scope')} />
                  <NativeSelect
                    label="Client credentials sent in"
                    data={[
                      { value: 'body', label: 'the body' },
                      { value: 'basic', label: 'a Basic header' },
                    ]}
                    value={form.auth.clientAuth}
                    onChange={(e) => editAuth({ clientAuth: e.currentTarget.value as AuthFields['clientAuth'] })}
                  />
                </SimpleGrid>
              )}
            </Stack>
          </Fieldset>

          <Fieldset legend="Pagination and limits">
            <Stack gap="sm">
              <NativeSelect
                label="Pagination"
                data={PAGINATION_TYPES.map((t) => ({ value: t, label: PAGINATION_LABELS[t] }))}
                value={form.pagination.type}
                onChange={(e) => editPagination({ type: e.currentTarget.value as PaginationFields['type'] })}
                error={errorFor('apiConfig.pagination.type')}
              />
              {form.pagination.type !== 'none' && (
                <SimpleGrid cols={{ base: 1, sm: 3 }}>
                  {PAGINATION_FIELDS[form.pagination.type].map((key) => (
                    <TextInput
                      key={key}
                      label={PAGINATION_HINTS[key]?.label ?? key}
                      placeholder={PAGINATION_HINTS[key]?.placeholder}
                      value={form.pagination[key]}
                      onChange={(e) => editPagination({ [key]: e.currentTarget.value })}
                      error={errorFor(`apiConfig.pagination.${key}`)}
                      required={key === 'cursorPath' || key === 'nextUrlPath'}
                    />
                  ))}
                </SimpleGrid>
              )}
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                <TextInput
                  label="Records path (JSONPath)"
                  description="Blank: the answer is the array"
                  placeholder="$.data"
                  value={form.recordsPath}
                  onChange={(e) => edit({ recordsPath: e.currentTarget.value })}
                  error={errorFor('apiConfig.recordsPath')}
                />
                <NumberField label="Requests per second" description="Blank: no limit" value={form.requestsPerSecond} onChange={(v) => edit({ requestsPerSecond: v })} error={errorFor('apiConfig.rateLimit.requestsPerSecond')} />
                <NumberField label="Timeout (ms)" description="Per request" value={form.timeoutMs} onChange={(v) => edit({ timeoutMs: v })} error={errorFor('apiConfig.timeoutMs')} />
                <NumberField label="Attempts" description="Retries 429, 5xx, network errors" value={form.maxAttempts} onChange={(v) => edit({ maxAttempts: v })} error={errorFor('apiConfig.retry.maxAttempts')} />
              </SimpleGrid>
            </Stack>
          </Fieldset>
        </Stack>
      </fieldset>

      {canEdit && (
        <Group>
          <Button variant="light" onClick={onTest} loading={test.isPending}>
            Test
          </Button>
          {saved && dirty && (
            <Text size="sm" c="dimmed">
              {testsSaved ? 'Tests the saved version: the form still holds a stored secret. Save to test your changes.' : 'Tests the form as it is now, unsaved.'}
            </Text>
          )}
        </Group>
      )}
      {failure?.from === 'test' && problemAlert}
      {preview && <PreviewResult preview={preview} pagination={form.pagination} />}

      <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0, minWidth: 0 }}>
        <Stack>
          <Fieldset legend="Field mappings">
            <MappingEditor
              value={form.fieldMappings}
              onChange={setMappings}
              schema={preview?.schema}
              sample={preview?.raw}
              readOnly={!canEdit}
              errorFor={errorFor}
            />
          </Fieldset>

          <Fieldset legend="Destination">
            <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
              <TextInput label="Table" description="Blank: named after the connection" value={form.table} onChange={(e) => edit({ table: e.currentTarget.value })} error={errorFor('destination.table')} />
              <NativeSelect label="Write mode" data={[...WRITE_MODES]} value={form.writeMode} onChange={(e) => edit({ writeMode: e.currentTarget.value as ConnectionForm['writeMode'] })} error={errorFor('destination.writeMode')} />
              <TextInput
                label="Primary key"
                description="Columns, comma-separated; upsert needs one"
                value={form.primaryKey}
                onChange={(e) => edit({ primaryKey: e.currentTarget.value })}
                error={errorFor('destination.primaryKey')}
              />
              <TextInput
                label="Incremental cursor field"
                description="Blank: every run reads everything"
                placeholder="updated_at"
                value={form.cursorField}
                onChange={(e) => edit({ cursorField: e.currentTarget.value })}
                error={errorFor('incremental.cursorField')}
              />
            </SimpleGrid>
          </Fieldset>
        </Stack>
      </fieldset>

      {failure?.from === 'other' && problemAlert}

      {canEdit && (
        <Group justify="space-between">
          <Group>
            <Button onClick={onSave} loading={create.isPending || update.isPending} disabled={saved !== undefined && !dirty}>
              {saved ? 'Save changes' : 'Save'}
            </Button>
            {saved && (
              <Button variant="light" color="teal" onClick={onRun} loading={run.isPending}>
                Run now
              </Button>
            )}
            {saved && dirty && (
              <Text size="sm" c="dimmed">
                Unsaved changes: Run now uses the saved version.
              </Text>
            )}
          </Group>
          {saved &&
            (confirmDelete ? (
              <Group gap="xs">
                <Text size="sm">Delete this connection?</Text>
                <Button color="red" onClick={onDelete} loading={remove.isPending}>
                  Yes, delete
                </Button>
                <Button variant="default" onClick={() => setConfirmDelete(false)}>
                  Keep it
                </Button>
              </Group>
            ) : (
              <Button variant="default" color="red" onClick={() => setConfirmDelete(true)}>
                Delete
              </Button>
            ))}
        </Group>
      )}
    </Stack>
  );
}

/** A number typed as text, so a blank field stays blank (the API's default applies). */
function NumberField({ label, description, value, onChange, error }: { label: string; description?: string; value: string; onChange: (v: string) => void; error?: string }) {
  return <NumberInput label={label} description={description} value={value} onChange={(v) => onChange(String(v))} error={error} min={0} allowDecimal />;
}

/** Rows of inputs with add and remove, for headers and parameters. */
function Rows<T>({
  title,
  hint,
  addLabel,
  rows,
  error,
  onAdd,
  onRemove,
  render,
}: {
  title: string;
  hint?: string;
  addLabel: string;
  rows: T[];
  error?: string;
  onAdd: () => void;
  onRemove: (index: number) => void;
  render: (row: T, index: number) => ReactNode;
}) {
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {title}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
      {rows.map((row, i) => (
        <Group key={i} align="flex-start" wrap="nowrap">
          {render(row, i)}
          <ActionIcon variant="subtle" color="red" mt={6} aria-label={`Remove ${title.toLowerCase()} ${i + 1}`} onClick={() => onRemove(i)}>
            ✕
          </ActionIcon>
        </Group>
      ))}
      {error && (
        <Text c="red" size="sm">
          {error}
        </Text>
      )}
      <Group>
        <Button variant="default" size="xs" onClick={onAdd}>
          {addLabel}
        </Button>
      </Group>
    </Stack>
  );
}
